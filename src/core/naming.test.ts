/** core/naming.ts: the original's Prometheus names and the snake_case scheme's rules. */
import { describe, expect, it } from "bun:test"
import { graphitePath, graphitePaths, promBaseUnit, promLabelName, promLabels, promName, promSafe, promValue, snakeCase } from "./naming.ts"
import { ValueSet, type ValueSetMeta } from "./value-set.ts"
import { resultOf } from "../../test/helpers/context.ts"

function name(
  type: string,
  valueName: string | undefined,
  meta: ValueSetMeta = {},
  sourceName?: string,
  scheme: "pollect" | "snake_case" = "snake_case",
): string {
  const set = new ValueSet([], meta).add(1, [], valueName)
  return promName(resultOf(set, { type, name: sourceName }), set, set.values[0]!, scheme)
}

describe("promName, names: pollect (the original's)", () => {
  it("joins collection, type, name and value name; - and . become _, ! is dropped", () => {
    expect(name("LoadAvg", undefined, {}, undefined, "pollect")).toBe("pollect_LoadAvg")
    expect(name("Http", undefined, { unit: "milliseconds" }, "local", "pollect")).toBe("pollect_Http_local")
    expect(name("Interface", "total_bytes_sent", { kind: "counter", unit: "bytes" }, undefined, "pollect")).toBe(
      "pollect_Interface_total_bytes_sent",
    )
    expect(name("Process", "load_percent", {}, "py", "pollect")).toBe("pollect_Process_py_load_percent")
    expect(name("Http", "x", {}, "dev-core.eu!", "pollect")).toBe("pollect_Http_dev_core_eu_x")
  })
  it("keeps raw values", () => {
    expect(promValue(new ValueSet([], { unit: "milliseconds" }), 12, "pollect")).toBe(12)
  })
})

describe("promName, names: snake_case", () => {
  it("snake-cases every part", () => {
    expect(name("LoadAvg", undefined)).toBe("pollect_load_avg")
    expect(name("SnmpGet", "ifInOctets", {}, "Core Switch")).toBe("pollect_snmp_get_core_switch_if_in_octets")
    expect(name("MMI", "fuelLevel")).toBe("pollect_mmi_fuel_level")
  })
  it("appends the base unit and scales into it", () => {
    expect(name("Http", undefined, { unit: "milliseconds" }, "local")).toBe("pollect_http_local_seconds")
    expect(promValue(new ValueSet([], { unit: "milliseconds" }), 12.5, "snake_case")).toBe(0.0125)
    expect(promValue(new ValueSet([], { unit: "percent" }), 24.6, "snake_case")).toBe(0.246)
    expect(promValue(new ValueSet([], { unit: "kilobytes" }), 2, "snake_case")).toBe(2000)
    expect(promValue(new ValueSet([], { unit: "bits_per_second" }), 80, "snake_case")).toBe(10)
    expect(name("DiskUsage", undefined, { unit: "bytes" })).toBe("pollect_disk_usage_bytes")
    expect(name("Sensors", "cpu", { unit: "celsius" })).toBe("pollect_sensors_cpu_celsius")
    expect(promBaseUnit(new ValueSet([], { unit: "ms" }))).toEqual({ unit: "seconds", factor: 1e-3 })
    expect(promBaseUnit(new ValueSet([], { unit: "rpm" }))).toEqual({ unit: "rpm", factor: 1 })
    expect(promBaseUnit(new ValueSet([]))).toEqual({ factor: 1 })
  })
  it("replaces a unit the value name already ends with", () => {
    expect(name("Process", "load_percent", { unit: "percent" }, "py")).toBe("pollect_process_py_load_ratio")
    expect(name("Ping", "time_ms", { unit: "milliseconds" })).toBe("pollect_ping_time_seconds")
    expect(name("Disk", "used_bytes", { unit: "bytes" })).toBe("pollect_disk_used_bytes")
  })
  it("_total for counters only; no _count, _sum, _bucket or _total on gauges", () => {
    expect(name("Interface", "bytes_sent", { unit: "bytes", kind: "counter" })).toBe("pollect_interface_sent_bytes_total")
    expect(name("Interface", "total_bytes_sent", { unit: "bytes", kind: "counter" })).toBe("pollect_interface_sent_bytes_total")
    expect(name("Interface", "total_packets_sent", { kind: "counter" })).toBe("pollect_interface_packets_sent_total")
    expect(name("Requests", "total", { kind: "counter" })).toBe("pollect_requests_total")
    expect(name("Plex", "sessions_count")).toBe("pollect_plex_sessions")
    expect(name("Memory", "total")).toBe("pollect_memory")
    expect(name("Memory", "total", { unit: "bytes" })).toBe("pollect_memory_total_bytes")
  })
  it("a gauge whose whole name is two words keeps its reserved suffix (stripping it would leave one word)", () => {
    expect(name("Count", undefined)).toBe("pollect_count")
    expect(name("Total", undefined)).toBe("pollect_total")
    // Three words: the suffix goes, down to two words and no further.
    expect(name("Sessions", "count")).toBe("pollect_sessions")
    expect(name("Sum", "count")).toBe("pollect_sum")
  })
  it("a trailing _sec means per second", () => {
    expect(name("IO", "reads_sec")).toBe("pollect_io_reads_per_second")
    expect(name("Interface", "recv_bytes_sec", { unit: "bytes_per_second" })).toBe("pollect_interface_recv_bytes_per_second")
    expect(name("Bind", "server.queries_per_sec", { unit: "per_second" })).toBe("pollect_bind_server_queries_per_second")
  })
  it("joins segments promtool flags to their neighbour", () => {
    expect(name("Http", "m")).toBe("pollect_httpm")
    expect(name("Gauge", "value")).toBe("pollectgauge_value")
    expect(name("Rtt", "ms")).toBe("pollect_rttms")
  })
  it("label names: snake_case, never le or quantile", () => {
    expect(promLabelName("ifName", "snake_case")).toBe("if_name")
    expect(promLabelName("le", "snake_case")).toBe("le_label")
    expect(promLabelName("ifName")).toBe("ifName")
    const set = new ValueSet(["diskName"]).add(1, ["sda"])
    expect(promLabels(resultOf(set, { labels: { siteName: "home" } }), set, set.values[0]!, "snake_case")).toEqual({
      disk_name: "sda",
      site_name: "home",
    })
    expect(promLabels(resultOf(set, { labels: { siteName: "home" } }), set, set.values[0]!)).toEqual({ diskName: "sda", siteName: "home" })
  })
})

it("graphitePath is unchanged: pollect.loadavg.mid", () => {
  const set = new ValueSet(["time"]).add(1, ["mid"])
  expect(graphitePath(resultOf(set, { type: "LoadAvg" }), set.values[0]!)).toBe("pollect.loadavg.mid")
})

it("graphitePaths (the writer's per-result form) gives graphitePath's paths after the prefix, with names reused", () => {
  const set = new ValueSet(["disk"]).add(1, ["sda"], "reads.sec").add(2, ["sd/b c"], "reads.sec").add(3, ["x.y"], "io time")
  const bare = new ValueSet([]).add(4)
  const result = resultOf([set, bare], { collection: "a b", type: "IO", name: "host.1" })
  const paths = graphitePaths(result, "servers.web1.")
  const values = [...set.values, ...bare.values]
  expect(values.map(paths)).toEqual([
    "servers.web1.a_b.io.host.1.reads.sec.sda",
    "servers.web1.a_b.io.host.1.reads.sec.sd_b_c",
    "servers.web1.a_b.io.host.1.io_time.x_y",
    "servers.web1.a_b.io.host.1",
  ])
  expect(values.map((value) => "servers.web1." + graphitePath(result, value))).toEqual(values.map(paths))
})

it("snake_case names are remembered per collection, type, names, kind and unit, never mixed up", () => {
  const calls = [
    () => name("Io", "reads", { kind: "counter" }),
    () => name("Io", "reads", {}),
    () => name("Io", "reads", { unit: "ms" }),
    () => name("Io", undefined, {}, "x"),
    () => name("Io", "x", {}),
  ]
  const expected = ["pollect_io_reads_total", "pollect_io_reads", "pollect_io_reads_seconds", "pollect_io_x", "pollect_io_x"]
  expect(calls.map((call) => call())).toEqual(expected)
  // Again, in the reverse order: the same answers, now from the cache.
  expect([...calls].reverse().map((call) => call())).toEqual([...expected].reverse())
  expect(name("Io", "reads", {}, undefined, "pollect")).toBe("pollect_Io_reads")
})

describe("snake_case edge cases", () => {
  it("snakeCase splits acronyms from the word after them: HTTPServer → http_server", () => {
    expect(snakeCase("HTTPServer")).toBe("http_server")
    expect(snakeCase("LoadAvg")).toBe("load_avg")
    expect(snakeCase("ifHCInOctets")).toBe("if_hc_in_octets")
    expect(snakeCase("bytes-sent.1")).toBe("bytes_sent_1")
  })
  it("a collection that is a segment promtool flags is glued to the next one", () => {
    const set = new ValueSet([]).add(1)
    expect(promName(resultOf(set, { collection: "ms", type: "LoadAvg" }), set, set.values[0]!, "snake_case")).toBe("msload_avg")
  })
  it("a label name with no letters or digits becomes `label`, never an empty name", () => {
    expect(promLabelName("--", "snake_case")).toBe("label")
    expect(promLabelName("", "snake_case")).toBe("label")
  })
  it("a declared unit with no letters or digits adds no suffix and no scale", () => {
    expect(promBaseUnit(new ValueSet([], { unit: "!!" }))).toEqual({ factor: 1 })
    expect(name("Odd", "x", { unit: "!!" })).toBe("pollect_odd_x")
  })
})

it("an empty label value is one `_` level of a Graphite path, never an empty one", () => {
  const set = new ValueSet(["disk"]).add(1, [""])
  expect(graphitePath(resultOf(set, { type: "Disk" }), set.values[0]!)).toBe("pollect.disk._")
})

describe("promSafe: a Prometheus name never starts with a digit", () => {
  it("a leading digit, 0 included, gets a leading _; other characters become _", () => {
    expect(promSafe("0x")).toBe("_0x")
    expect(promSafe("0")).toBe("_0")
    expect(promSafe("9lives")).toBe("_9lives")
    expect(promSafe("x0")).toBe("x0")
    expect(promSafe("a-b.c:d")).toBe("a_b_c:d")
  })
  it("a metric or label name from a collection or label starting with 0", () => {
    const set = new ValueSet(["0port"]).add(1, ["a"])
    const result = resultOf(set, { collection: "0lab", type: "Http" })
    expect(promName(result, set, set.values[0]!, "pollect")).toBe("_0lab_Http")
    expect(promName(result, set, set.values[0]!, "snake_case")).toBe("_0lab_http")
    expect(promLabels(result, set, set.values[0]!)).toEqual({ _0port: "a" })
    expect(promLabelName("0port", "snake_case")).toBe("_0port")
  })
})

describe("control characters in names", () => {
  it("NUL and ESC in a collection, source name or label never reach a Graphite path", () => {
    const result = {
      id: "x",
      collection: "pol\u0000lect",
      type: "Http",
      name: "a\u001b[31mb",
      labels: {},
      time: 0,
      sets: [],
      timeoutSeconds: 1,
    }
    const path = graphitePath(result, { value: 1, labelValues: ["eth\u00000"], name: "v\u007f" })
    expect(path).toBe("pol_lect.http.a_[31mb.v_.eth_0")
    expect(/[\x00-\x1f\x7f]/.test(path)).toBe(false)
  })
})
