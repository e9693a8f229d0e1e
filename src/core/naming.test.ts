/** core/naming.ts: the original's Prometheus names and the snake_case scheme's rules. */
import { describe, expect, it } from "bun:test"
import {
  graphitePath,
  graphitePaths,
  promBaseUnit,
  promLabelName,
  promLabels,
  promName,
  promSafe,
  promValue,
  SNAKE_NAMES_MAX,
  snakeCase,
  snakeNamesRemembered,
} from "./naming.ts"
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

/** Every declared unit of the tables in naming.ts: its base unit and factor (DESIGN.md "Naming": a declared unit is scaled to its base unit). */
const BASE_UNIT_TABLE: [unit: string, base: string, factor: number, threeIs: number][] = [
  ["nanoseconds", "seconds", 1e-9, 3e-9],
  ["microseconds", "seconds", 1e-6, 3e-6],
  ["milliseconds", "seconds", 1e-3, 0.003],
  ["minutes", "seconds", 60, 180],
  ["hours", "seconds", 3600, 10800],
  ["days", "seconds", 86400, 259200],
  ["percent", "ratio", 0.01, 0.03],
  ["bits", "bytes", 0.125, 0.375],
  ["bits_per_second", "bytes_per_second", 0.125, 0.375],
  ["kilobytes", "bytes", 1e3, 3e3],
  ["megabytes", "bytes", 1e6, 3e6],
  ["gigabytes", "bytes", 1e9, 3e9],
  ["terabytes", "bytes", 1e12, 3e12],
  ["kibibytes", "bytes", 1024, 3072],
  ["mebibytes", "bytes", 1024 ** 2, 3 * 1024 ** 2],
  ["gibibytes", "bytes", 1024 ** 3, 3 * 1024 ** 3],
  ["tebibytes", "bytes", 1024 ** 4, 3 * 1024 ** 4],
  ["millivolts", "volts", 1e-3, 0.003],
  ["milliamperes", "amperes", 1e-3, 0.003],
  ["milliwatts", "watts", 1e-3, 0.003],
  ["kilowatts", "watts", 1e3, 3e3],
  ["watt_hours", "joules", 3600, 10800],
  ["kilowatt_hours", "joules", 3.6e6, 10.8e6],
  ["kilometers", "meters", 1e3, 3e3],
]

/** Every abbreviation a source may declare → the unit's full name. */
const ALIAS_TABLE: [alias: string, full: string][] = [
  ["ns", "nanoseconds"],
  ["us", "microseconds"],
  ["ms", "milliseconds"],
  ["millis", "milliseconds"],
  ["s", "seconds"],
  ["sec", "seconds"],
  ["secs", "seconds"],
  ["second", "seconds"],
  ["min", "minutes"],
  ["mins", "minutes"],
  ["h", "hours"],
  ["d", "days"],
  ["pct", "percent"],
  ["b", "bytes"],
  ["byte", "bytes"],
  ["kb", "kilobytes"],
  ["mb", "megabytes"],
  ["gb", "gigabytes"],
  ["tb", "terabytes"],
  ["kib", "kibibytes"],
  ["mib", "mebibytes"],
  ["gib", "gibibytes"],
  ["tib", "tebibytes"],
  ["bps", "bits_per_second"],
  ["per_sec", "per_second"],
  ["mv", "millivolts"],
  ["ma", "milliamperes"],
  ["mw", "milliwatts"],
  ["kw", "kilowatts"],
  ["wh", "watt_hours"],
  ["kwh", "kilowatt_hours"],
  ["degrees_celsius", "celsius"],
  ["km", "kilometers"],
]

/** Units with no conversion: the name gets the unit itself, the value stays. */
const PLAIN_UNITS: Record<string, string> = { seconds: "seconds", bytes: "bytes", per_second: "per_second", celsius: "celsius" }

describe("the unit tables, entry by entry", () => {
  const baseOf = new Map(BASE_UNIT_TABLE.map(([unit, base, factor, threeIs]) => [unit, { base, factor, threeIs }]))
  it.each(BASE_UNIT_TABLE)("%s → %s ×%d", (unit, base, factor, threeIs) => {
    const set = new ValueSet([], { unit })
    expect(promBaseUnit(set)).toEqual({ unit: base, factor })
    expect(promValue(set, 3, "snake_case")).toBe(threeIs)
    expect(promValue(set, 3, "pollect")).toBe(3)
    expect(name("X", "v", { unit })).toBe(`pollect_x_v_${base}`)
    // A value name that already ends in the unit: the base unit replaces it.
    expect(name("X", `v_${unit}`, { unit })).toBe(`pollect_x_v_${base}`)
    expect(name("X", `v_${unit}`, { unit, kind: "counter" })).toBe(`pollect_x_v_${base}_total`)
  })
  it.each(ALIAS_TABLE)("the abbreviation %s is %s", (alias, full) => {
    const target = baseOf.get(full)
    const base = target?.base ?? PLAIN_UNITS[full]!
    expect(base).toBeDefined()
    const set = new ValueSet([], { unit: alias })
    expect(promBaseUnit(set)).toEqual({ unit: base, factor: target?.factor ?? 1 })
    expect(promValue(set, 3, "snake_case")).toBe(target?.threeIs ?? 3)
    expect(name("X", "v", { unit: alias })).toBe(`pollect_x_v_${base}`)
    // The value name ends in the abbreviation or in the full name: either is replaced by the base unit.
    expect(name("X", `v_${alias}`, { unit: alias })).toBe(`pollect_x_v_${base}`)
    expect(name("X", `v_${full}`, { unit: alias })).toBe(`pollect_x_v_${base}`)
    // A name ending in the abbreviation with the full unit declared.
    expect(name("X", `v_${alias}`, { unit: full })).toBe(`pollect_x_v_${base}`)
  })
  it("the longest unit word at the end is the one replaced: degrees_celsius, not celsius", () => {
    expect(name("Sensors", "cpu_degrees_celsius", { unit: "celsius" })).toBe("pollect_sensors_cpu_celsius")
    expect(name("Power", "grid_kilowatt_hours", { unit: "kwh" })).toBe("pollect_power_grid_joules")
    // watt_hours is another unit than kilowatt_hours: it stays a word of the name.
    expect(name("Power", "grid_watt_hours", { unit: "kwh" })).toBe("pollect_power_grid_watt_hours_joules")
    expect(name("Net", "rx_bits_per_second", { unit: "bps" })).toBe("pollect_net_rx_bytes_per_second")
  })
  it("a unit word only in the middle of the name moves to the end; a name that is only the unit keeps the head", () => {
    expect(name("X", "bytes_v", { unit: "bytes" })).toBe("pollect_x_v_bytes")
    expect(name("X", "hours_v", { unit: "hours" })).toBe("pollect_x_v_seconds")
    expect(name("X", "ms", { unit: "ms" })).toBe("pollect_x_seconds")
    expect(name("Bytes", undefined, { unit: "bytes" })).toBe("pollect_bytes")
    expect(name("Seconds", undefined, { unit: "ms" })).toBe("pollect_seconds")
  })
  it("a value name ending in _sec with the unit declared as seconds is in seconds, not per second (fixed)", () => {
    // Before the fix: pollect_x_uptime_per_seconds.
    expect(name("X", "uptime_sec", { unit: "sec" })).toBe("pollect_x_uptime_seconds")
    expect(name("X", "uptime_sec", { unit: "seconds" })).toBe("pollect_x_uptime_seconds")
    expect(name("X", "uptime_sec", { unit: "s" })).toBe("pollect_x_uptime_seconds")
    // Any other unit or none: per second.
    expect(name("X", "reads_sec")).toBe("pollect_x_reads_per_second")
    expect(name("X", "sent_bytes_sec", { unit: "bytes" })).toBe("pollect_x_sent_per_second_bytes")
  })
  it("`per_sec` at the end is per_second, never per_per_second", () => {
    expect(name("Bind", "queries_per_sec")).toBe("pollect_bind_queries_per_second")
    expect(name("Bind", "per_sec")).toBe("pollect_bind_per_second")
    expect(name("Bind", "x_y_z_per_sec")).toBe("pollect_bind_x_y_z_per_second")
  })
})

describe("the segments promtool flags, entry by entry", () => {
  const segments = [
    "s",
    "ms",
    "us",
    "ns",
    "sec",
    "b",
    "kb",
    "mb",
    "gb",
    "tb",
    "pb",
    "m",
    "h",
    "d",
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
  ]
  it.each(segments)("%s is glued to the segment before it, or to the next one at the start", (segment) => {
    expect(name("X", `${segment}_v`)).toBe(`pollect_x${segment}_v`)
    expect(name("X", `a_${segment}_v`)).toBe(`pollect_x_a${segment}_v`)
    const set = new ValueSet([]).add(1)
    expect(promName(resultOf(set, { collection: segment, type: "Load" }), set, set.values[0]!, "snake_case")).toBe(`${segment}load`)
  })
  it("a name of one flagged segment stays that segment", () => {
    const set = new ValueSet([]).add(1)
    expect(promName(resultOf(set, { collection: "ms", type: "" }), set, set.values[0]!, "snake_case")).toBe("ms")
    expect(promName(resultOf(set, { collection: "pollect", type: "" }), set, set.values[0]!, "snake_case")).toBe("pollect")
  })
  it("words that are not flagged stay their own segment", () => {
    expect(name("X", "mbit_v")).toBe("pollect_x_mbit_v")
    expect(name("X", "a_gauges_v")).toBe("pollect_x_a_gauges_v")
  })
})

describe("reserved label names, entry by entry", () => {
  it.each(["le", "quantile"])("%s gets _label in snake_case, stays in pollect", (label) => {
    expect(promLabelName(label, "snake_case")).toBe(`${label}_label`)
    expect(promLabelName(label)).toBe(label)
  })
  it("other names are left alone", () => {
    expect(promLabelName("les", "snake_case")).toBe("les")
    expect(promLabelName("quantiles", "snake_case")).toBe("quantiles")
  })
})

describe("the snake_case name cache keeps apart what must differ", () => {
  it("two sources of one type with different names", () => {
    expect(name("Cache", "v", {}, "first")).toBe("pollect_cache_first_v")
    expect(name("Cache", "v", {}, "second")).toBe("pollect_cache_second_v")
    expect(name("Cache", "v", {})).toBe("pollect_cache_v")
    expect(name("Cache", "v", {}, "")).toBe("pollect_cache_v")
  })
  it("one value name declared as a counter and as a gauge", () => {
    expect(name("Cache2", "hits", { kind: "counter" })).toBe("pollect_cache2_hits_total")
    expect(name("Cache2", "hits", { kind: "gauge" })).toBe("pollect_cache2_hits")
  })
  it("one value name with two units", () => {
    expect(name("Cache3", "v", { unit: "ms" })).toBe("pollect_cache3_v_seconds")
    expect(name("Cache3", "v", { unit: "bytes" })).toBe("pollect_cache3_v_bytes")
    expect(name("Cache3", "v", { unit: "" })).toBe("pollect_cache3_v")
  })
  it("a source name and a value name with the same text, and a type and a collection swapped", () => {
    expect(name("Cache4", undefined, {}, "a")).toBe("pollect_cache4_a")
    expect(name("Cache4", "a", {})).toBe("pollect_cache4_a")
    const set = new ValueSet([]).add(1, [], "v")
    expect(promName(resultOf(set, { collection: "c", type: "T" }), set, set.values[0]!, "snake_case")).toBe("c_t_v")
    expect(promName(resultOf(set, { collection: "t", type: "C" }), set, set.values[0]!, "snake_case")).toBe("t_c_v")
  })
})

describe("suffix rules", () => {
  it("a counter keeps a reserved gauge suffix in its name (only gauges lose it)", () => {
    expect(name("Requests", "count", { kind: "counter" })).toBe("pollect_requests_count_total")
    expect(name("Requests", "count_sum", { kind: "counter" })).toBe("pollect_requests_count_sum_total")
  })
  it("a counter whose type ends in total gets one _total", () => {
    expect(name("Total", undefined, { kind: "counter" })).toBe("pollect_total")
    expect(name("RequestsTotal", undefined, { kind: "counter" })).toBe("pollect_requests_total")
  })
  it("snakeCase collapses runs of separators", () => {
    expect(snakeCase("a__b")).toBe("a_b")
    expect(snakeCase("a--b")).toBe("a_b")
    expect(snakeCase("__a__")).toBe("a")
  })
  it("a value with fewer label values than labels gets empty ones", () => {
    const set = new ValueSet(["a", "b"])
    const value = { value: 1, labelValues: ["x"] }
    expect(promLabels(resultOf(set), set, value)).toEqual({ a: "x", b: "" })
  })
})

describe("Graphite segments: runs of separators are one _", () => {
  it("two spaces, a slash and a space, dots in a label", () => {
    const set = new ValueSet(["disk"]).add(1, ["a  b"], "x  y").add(2, ["/ ./"], "p / q")
    const result = resultOf(set, { collection: "c  d", type: "T", name: "n  m" })
    expect(set.values.map((value) => graphitePath(result, value))).toEqual(["c_d.t.n_m.x_y.a_b", "c_d.t.n_m.p_q._"])
  })
})

it("an empty source or value name is one `_` level of a Graphite path, never an empty one", () => {
  const set = new ValueSet([]).add(1, [], "")
  expect(graphitePath(resultOf(set, { type: "T", name: "" }), set.values[0]!)).toBe("pollect.t._._")
  expect(graphitePath(resultOf(set, { collection: "", type: "T" }), set.values[0]!)).toBe("_.t._")
})

describe("snake_case: more of the unit and suffix rules", () => {
  it("a value name ending in an abbreviation of the base unit loses it too (ms declared, `_s` or `_secs` at the end)", () => {
    expect(name("X", "time_s", { unit: "ms" })).toBe("pollect_x_time_seconds")
    expect(name("X", "time_secs", { unit: "ms" })).toBe("pollect_x_time_seconds")
    expect(name("X", "size_b", { unit: "kb" })).toBe("pollect_x_size_bytes")
  })
  it("the unit is appended unless the name ends in `_` and the unit: a word that merely ends in it is no unit", () => {
    expect(name("Xbytes", undefined, { unit: "bytes" })).toBe("pollect_xbytes_bytes")
    expect(name("Xseconds", undefined, { unit: "ms" })).toBe("pollect_xseconds_seconds")
  })
  it("a counter loses only a trailing _total before its suffix, never one in the middle", () => {
    expect(name("RequestsTotalCount", undefined, { kind: "counter" })).toBe("pollect_requests_total_count_total")
  })
  it("the cache never takes a source or value named `undefined` for an absent one", () => {
    expect(name("K1", "v", {}, "undefined")).toBe("pollect_k1_undefined_v")
    expect(name("K1", "v", {})).toBe("pollect_k1_v")
    expect(name("K2", "undefined")).toBe("pollect_k2_undefined")
    expect(name("K2", undefined)).toBe("pollect_k2")
  })
})

describe("the snake_case name cache's bound", () => {
  it(`remembers at most ${SNAKE_NAMES_MAX} names: the next new one starts it afresh`, () => {
    const set = new ValueSet([], {}).add(1, [], "cache_bound")
    const result = resultOf(set, { type: "CacheBound" })
    let before = snakeNamesRemembered()
    let peak = 0
    // Distinct source names until the cache is cleared (other tests may have filled part of it).
    for (let i = 0; i <= SNAKE_NAMES_MAX; i++) {
      promName({ ...result, name: `n${i}` }, set, set.values[0]!, "snake_case")
      const now = snakeNamesRemembered()
      if (now < before) break
      peak = Math.max(peak, now)
      before = now
    }
    expect(peak).toBe(SNAKE_NAMES_MAX)
    expect(snakeNamesRemembered()).toBe(1)
  })
})
