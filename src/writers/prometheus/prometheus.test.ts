/** The Prometheus writer over real HTTP on loopback: routes, names, partial writes, aging, self-metrics, TLS and auth. */
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { afterAll, afterEach, describe, expect, it } from "bun:test"
import { closeSync, openSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { silentLogger, type Logger } from "../../core/log.ts"
import type { WriterContext } from "../../core/plugin.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { PrometheusWriter, type PrometheusOptions } from "./index.ts"
import { builtinWriters } from "../index.ts"
import * as v from "valibot"
import { resultOf, tempDir, writerContext } from "../../../test/helpers/context.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"

// The suite's peer is the writer's own /metrics, scraped over HTTP: received() is what Prometheus would store.
for (const names of ["pollect", "snake_case"] as const) {
  writerConformance({
    type: "Prometheus",
    variant: `names: ${names}`,
    cls: PrometheusWriter,
    dir: import.meta.dir,
    peer: () => ({
      config: { port: 0, host: "127.0.0.1", names },
      received: async (writer) => {
        const response = await fetch(`${(writer as PrometheusWriter).url}/metrics`)
        return (await response.text()).split("\n").filter((line) => line && !line.startsWith("#"))
      },
    }),
  })
}

const started: PrometheusWriter[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((writer) => writer.stop()))
})

function recordingLogger(lines: string[]): Logger {
  const log: Logger = { debug: () => {}, info: () => {}, warn: (m) => lines.push(m), error: (m) => lines.push(m), child: () => log }
  return log
}

async function startWriter(config: Record<string, unknown> = {}, extra: Partial<WriterContext> = {}): Promise<PrometheusWriter> {
  const full = { type: "Prometheus", port: 0, host: "127.0.0.1", ...config }
  const parsed = v.parse(PrometheusWriter.options, full) as PrometheusOptions
  const writer = new PrometheusWriter({ ...parsed, type: "Prometheus" }, writerContext(extra))
  await writer.start()
  started.push(writer)
  return writer
}

async function scrape(writer: PrometheusWriter, path = "/metrics"): Promise<string> {
  const response = await fetch(writer.url + path)
  expect(response.status).toBe(200)
  return response.text()
}

/** Sample lines (no comments) whose name starts with `prefix`. */
function samples(text: string, prefix = "pollect_"): string[] {
  return text
    .split("\n")
    .filter(
      (line) =>
        line.startsWith(prefix) &&
        !line.startsWith("pollect_probe_") &&
        !line.startsWith("pollect_ticks_") &&
        !line.startsWith("pollect_build_"),
    )
}

function loadAvg(short: number, mid: number, long: number): ValueSet {
  return new ValueSet(["time"], { help: "System load average" }).add(short, ["short"]).add(mid, ["mid"]).add(long, ["long"])
}

describe("Prometheus writer", () => {
  it("is registered as a built-in writer and partial", () => {
    expect(builtinWriters.Prometheus?.cls).toBe(PrometheusWriter)
    expect(
      new PrometheusWriter(
        { ...v.parse(PrometheusWriter.options, {}), type: "Prometheus" },
        { log: silentLogger, stateDir: "", configDir: "", selfMetrics: new SelfMetrics(), once: false },
      ).partial,
    ).toBe(true)
  })

  it("defaults: port 8080, path /metrics, the original's names, no process metrics", () => {
    const parsed = v.parse(PrometheusWriter.options, { type: "Prometheus" })
    expect(parsed).toMatchObject({ port: 8080, path: "/metrics", names: "pollect", processMetrics: false })
    expect(v.safeParse(PrometheusWriter.options, { names: "camel" }).success).toBe(false)
    expect(v.safeParse(PrometheusWriter.options, { basicAuth: { user: "u", passwordHash: "plain-text" } }).success).toBe(false)
  })

  it("serves /metrics with the text format's content type, / as a page linking to it, 404 elsewhere", async () => {
    const writer = await startWriter({ path: "/prom" })
    writer.write([resultOf(loadAvg(0.5, 0.25, 0.125), { type: "LoadAvg" })])
    const response = await fetch(writer.url + "/prom")
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
    const text = await response.text()
    expect(samples(text)).toEqual([
      'pollect_LoadAvg{time="short"} 0.5',
      'pollect_LoadAvg{time="mid"} 0.25',
      'pollect_LoadAvg{time="long"} 0.125',
    ])
    expect(text).toContain("# HELP pollect_LoadAvg System load average\n# TYPE pollect_LoadAvg gauge\n")

    const index = await fetch(writer.url + "/")
    expect(index.headers.get("content-type")).toStartWith("text/html")
    expect(await index.text()).toContain('<a href="/prom">')
    expect((await fetch(writer.url + "/metrics")).status).toBe(404)
    expect((await fetch(writer.url + "/prom/x")).status).toBe(404)
    expect((await fetch(writer.url + "/prom", { method: "POST" })).status).toBe(405)
  })

  it("names: pollect gives the original's names and raw values; snake_case conventional names in base units", async () => {
    const results = (time = 1508478781) => [
      resultOf(loadAvg(1, 2, 3), { type: "LoadAvg", id: "a", time }),
      resultOf(
        [
          new ValueSet([], { unit: "milliseconds", help: "HTTP response time" }).add(12.5),
          new ValueSet([], { help: "HTTP status code" }).add(200, [], "status"),
        ],
        { type: "Http", name: "local-dev.1!", id: "b", time },
      ),
      resultOf(new ValueSet(["interface"], { unit: "bytes", kind: "counter" }).add(42, ["eth0"], "total_bytes_sent"), {
        type: "Interface",
        id: "c",
        time,
      }),
      resultOf(new ValueSet(["pidx"], { unit: "percent" }).add(50, ["0"], "load_percent"), { type: "Process", name: "py", id: "d", time }),
    ]
    const original = await startWriter()
    original.write(results())
    expect(samples(await scrape(original))).toEqual([
      'pollect_LoadAvg{time="short"} 1',
      'pollect_LoadAvg{time="mid"} 2',
      'pollect_LoadAvg{time="long"} 3',
      "pollect_Http_local_dev_1 12.5",
      "pollect_Http_local_dev_1_status 200",
      'pollect_Interface_total_bytes_sent{interface="eth0"} 42',
      'pollect_Process_py_load_percent{pidx="0"} 50',
    ])
    const snake = await startWriter({ names: "snake_case" })
    snake.write(results())
    const text = await scrape(snake)
    expect(samples(text)).toEqual([
      'pollect_load_avg{time="short"} 1',
      'pollect_load_avg{time="mid"} 2',
      'pollect_load_avg{time="long"} 3',
      "pollect_http_local_dev_1_seconds 0.0125",
      "pollect_http_local_dev_1_status 200",
      'pollect_interface_sent_bytes_total{interface="eth0"} 42',
      'pollect_process_py_load_ratio{pidx="0"} 0.5',
    ])
    expect(text).toContain("# TYPE pollect_interface_sent_bytes_total counter\n")
  })

  it("adds the source's static labels and escapes label values", async () => {
    const writer = await startWriter()
    writer.write([resultOf(new ValueSet(["path"]).add(1, ['C:\\dir "x"\nnext']), { type: "T", labels: { site: "home" } })])
    expect(samples(await scrape(writer))).toEqual(['pollect_T{path="C:\\\\dir \\"x\\"\\nnext",site="home"} 1'])
  })

  it("replaces only the reporting source's series, and drops the series a source no longer reports", async () => {
    const writer = await startWriter()
    writer.write([resultOf(loadAvg(1, 2, 3), { type: "LoadAvg", id: "a" })])
    writer.write([resultOf({ sent: 10, received: 20 }, { type: "Net", id: "b" })])
    expect(samples(await scrape(writer))).toHaveLength(5)

    // Source b now reports only `sent`: `received` goes; source a is untouched.
    writer.write([resultOf({ sent: 11 }, { type: "Net", id: "b" })])
    expect(samples(await scrape(writer))).toEqual([
      'pollect_LoadAvg{time="short"} 1',
      'pollect_LoadAvg{time="mid"} 2',
      'pollect_LoadAvg{time="long"} 3',
      "pollect_Net_sent 11",
    ])

    // A label value that disappears goes too.
    writer.write([resultOf(new ValueSet(["time"]).add(4, ["short"]), { type: "LoadAvg", id: "a" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_LoadAvg{time="short"} 4', "pollect_Net_sent 11"])

    // An empty result removes everything of that source.
    writer.write([resultOf(null, { type: "Net", id: "b" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_LoadAvg{time="short"} 4'])
  })

  it("keeps a failing source's values until the failure has lasted twice its timeout, then removes them", async () => {
    const lines: string[] = []
    const writer = await startWriter({}, { log: recordingLogger(lines) })
    let now = 1_000_000_000_000
    writer.now = () => now
    const t0 = now / 1000
    writer.write([resultOf(loadAvg(1, 2, 3), { type: "LoadAvg", id: "a", time: t0, timeoutSeconds: 5 })])
    writer.write([resultOf({ other: 7 }, { type: "Other", id: "b", time: t0, timeoutSeconds: 5 })])

    // The next probe (started at t0+10) fails 5 s later: values stay.
    now += 15_000
    writer.write([{ ...resultOf(null, { type: "LoadAvg", id: "a", time: t0 + 10, timeoutSeconds: 5 }), error: "timed out after 5 s" }])
    expect(samples(await scrape(writer))).toHaveLength(4)
    // 10 s (twice the timeout) after the failing probe started: still there...
    now = (t0 + 20) * 1000
    expect(samples(await scrape(writer))).toHaveLength(4)
    // ...past that they go, at scrape time even without a further result; the other source stays.
    now += 1
    expect(samples(await scrape(writer))).toEqual(["pollect_Other_other 7"])
    expect(lines).toEqual([
      "pollect LoadAvg (a): failing for over twice its timeout (2 × 5 s): its series are removed from /metrics until it recovers",
    ])

    // A later success brings them back.
    writer.write([resultOf(loadAvg(4, 5, 6), { type: "LoadAvg", id: "a", time: t0 + 30, timeoutSeconds: 5 })])
    expect(samples(await scrape(writer))).toHaveLength(4)
  })

  it("serves the rest when two sources make the same metric name with different labels, and logs once", async () => {
    const lines: string[] = []
    const writer = await startWriter({}, { log: recordingLogger(lines) })
    writer.write([resultOf(new ValueSet(["disk"]).add(1, ["sda"]), { type: "Dup", id: "a" })])
    for (let i = 0; i < 3; i++) {
      writer.write([resultOf([new ValueSet(["host"]).add(2, ["x"]), new ValueSet([]).add(3, [], "ok")], { type: "Dup", id: "b" })])
    }
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{disk="sda"} 1', "pollect_Dup_ok 3"])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("pollect_Dup is already served by another source with labels {disk}")

    // The same series from two sources: the first keeps it.
    writer.write([resultOf(new ValueSet(["disk"]).add(9, ["sda"]).add(8, ["sdb"]), { type: "Dup", id: "c" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{disk="sda"} 1', 'pollect_Dup{disk="sdb"} 8', "pollect_Dup_ok 3"])

    // Once the owner stops reporting it, the other shape may take the name.
    writer.write([resultOf(null, { type: "Dup", id: "a" }), resultOf(null, { type: "Dup", id: "c" })])
    writer.write([resultOf([new ValueSet(["host"]).add(2, ["x"])], { type: "Dup", id: "b" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{host="x"} 2'])
  })

  it("two sources sharing a family: one that changes its label names loses those values, the other keeps its series", async () => {
    const lines: string[] = []
    const writer = await startWriter({}, { log: recordingLogger(lines) })
    const disk = (value: number, name: string) => new ValueSet(["disk"]).add(value, [name])
    writer.write([resultOf(disk(1, "sda"), { type: "Dup", id: "a" }), resultOf(disk(2, "sdb"), { type: "Dup", id: "c" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{disk="sda"} 1', 'pollect_Dup{disk="sdb"} 2'])

    // c now labels its values by host: not served (and its old disk series goes); a's series stay.
    for (let i = 0; i < 3; i++) writer.write([resultOf(new ValueSet(["host"]).add(3, ["x"]), { type: "Dup", id: "c" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{disk="sda"} 1'])
    expect(lines).toEqual([
      "c: pollect_Dup is already served by another source with labels {disk} (gauge); these values have {host} (gauge) and are not served",
    ])
    // a keeps being updated as usual.
    writer.write([resultOf(disk(4, "sda"), { type: "Dup", id: "a" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{disk="sda"} 4'])

    // The family's first owner changing its labels while another serves the old ones: the same rule.
    writer.write([resultOf(disk(5, "sdc"), { type: "Dup", id: "c" })])
    writer.write([resultOf(new ValueSet(["host"]).add(6, ["y"]), { type: "Dup", id: "a" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{disk="sdc"} 5'])

    // A source alone in its family may change its label names: the family takes the new ones.
    writer.write([resultOf(null, { type: "Dup", id: "a" })])
    writer.write([resultOf(new ValueSet(["host"]).add(7, ["z"]), { type: "Dup", id: "c" })])
    expect(samples(await scrape(writer))).toEqual(['pollect_Dup{host="z"} 7'])
  })

  it("non-finite values in the exposition: NaN, +Inf and -Inf", async () => {
    const writer = await startWriter()
    writer.write([resultOf({ nan: NaN, up: Infinity, down: -Infinity, zero: -0 }, { type: "Odd" })])
    const text = await scrape(writer)
    expect(samples(text)).toEqual(["pollect_Odd_nan NaN", "pollect_Odd_up +Inf", "pollect_Odd_down -Inf", "pollect_Odd_zero 0"])
  })

  it("serves pollect's own metrics from SelfMetrics at scrape time", async () => {
    const selfMetrics = new SelfMetrics()
    const writer = await startWriter({}, { selfMetrics })
    selfMetrics.observeProbe("pollect", "Http.local", 0.25, true)
    selfMetrics.observeProbe("pollect", "Http.local", 0.5, false)
    selfMetrics.tickSkipped("slow")
    selfMetrics.count("pollect_points_dropped_total", { writer: "Graphite" }, 3)
    let text = await scrape(writer)
    expect(text).toContain('pollect_probe_duration_seconds{collection="pollect",source="Http.local"} 0.5\n')
    expect(text).toContain('pollect_probe_errors_total{collection="pollect",source="Http.local"} 1\n')
    expect(text).toContain('pollect_ticks_skipped_total{collection="slow"} 1\n')
    expect(text).toMatch(/pollect_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1\n/)
    expect(text).toContain('pollect_points_dropped_total{writer="Graphite"} 3\n')
    expect(text).toContain("# TYPE pollect_points_dropped_total counter\n")
    expect(text).not.toContain("process_")
    expect(text).not.toContain("nodejs_")

    selfMetrics.count("pollect_points_dropped_total", { writer: "Graphite" }, 2)
    selfMetrics.observeProbe("pollect", "Http.local", 0.125, true)
    text = await scrape(writer)
    expect(text).toContain('pollect_points_dropped_total{writer="Graphite"} 5\n')
    expect(text).toContain('pollect_probe_duration_seconds{collection="pollect",source="Http.local"} 0.125\n')
  })

  it("a source cannot take one of pollect's own metric names", async () => {
    const writer = await startWriter({ names: "snake_case" })
    writer.write([resultOf({ info: 5 }, { type: "Build", collection: "pollect" })])
    const text = await scrape(writer)
    expect(text.match(/^pollect_build_info/gm)).toHaveLength(1)
  })

  it("processMetrics: true serves correct process_* figures of this process", async () => {
    const writer = await startWriter({ processMetrics: true })
    const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1])
    const cpuBefore = process.cpuUsage()
    const text = await scrape(writer)
    const status = readFileSync("/proc/self/status", "utf8")
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]) * 1024
    expect(Math.abs(value(text, "process_resident_memory_bytes") - rss) / rss).toBeLessThan(0.2)
    const cpu = value(text, "process_cpu_seconds_total")
    expect(cpu).toBeGreaterThanOrEqual((cpuBefore.user + cpuBefore.system) / 1e6 - 1e-6)
    expect(cpu).toBeLessThanOrEqual((process.cpuUsage().user + process.cpuUsage().system) / 1e6 + 1e-6)
    expect(value(text, "process_cpu_user_seconds_total") + value(text, "process_cpu_system_seconds_total")).toBeCloseTo(cpu, 5)
    const start = value(text, "process_start_time_seconds")
    expect(Math.abs(start - (Date.now() / 1000 - process.uptime()))).toBeLessThan(2)
    // Not Bun's bogus heap figures: a plausible virtual size and no nodejs_* metrics.
    expect(value(text, "process_virtual_memory_bytes")).toBeGreaterThan(rss)
    expect(text).not.toContain("nodejs_")

    const fds = value(text, "process_open_fds")
    const opened = [0, 1, 2].map(() => openSync("/proc/self/status", "r"))
    try {
      expect(value(await scrape(writer), "process_open_fds")).toBe(fds + 3)
    } finally {
      opened.forEach((fd) => closeSync(fd))
    }
    expect(value(text, "process_max_fds")).toBeGreaterThan(0)
  })

  it("start() fails with an error naming the port when it is in use", async () => {
    const first = await startWriter()
    const second = new PrometheusWriter(
      { ...v.parse(PrometheusWriter.options, { port: first.port, host: "127.0.0.1" }), type: "Prometheus" },
      { log: silentLogger, stateDir: "", configDir: "", selfMetrics: new SelfMetrics(), once: false },
    )
    expect(second.start()).rejects.toThrow(new RegExp(`port ${first.port} .*in use`))
  })

  it("a missing TLS file is a clear start error", async () => {
    const writer = new PrometheusWriter(
      {
        ...v.parse(PrometheusWriter.options, { port: 0, host: "127.0.0.1", tls: { certFile: "nope.crt", keyFile: "nope.key" } }),
        type: "Prometheus",
      },
      { log: silentLogger, stateDir: "", configDir: "/nonexistent-dir", selfMetrics: new SelfMetrics(), once: false },
    )
    expect(writer.start()).rejects.toThrow("/nonexistent-dir/nope.crt")
  })
})

describe("Prometheus writer with TLS and basic auth", () => {
  const dir = tempDir("pollect-prom-tls-")
  const hash = Bun.password.hashSync("s3cret pass", { algorithm: "bcrypt", cost: 4 })
  afterAll(() => {})

  itWithTools(
    ["openssl"],
    "serves over TLS (relative cert paths from the config dir); 401 with WWW-Authenticate on missing or wrong credentials",
    async () => {
      selfSignedCert(dir)
      const writer = await startWriter(
        { tls: { certFile: "cert.pem", keyFile: "key.pem" }, basicAuth: { user: "prom", passwordHash: hash } },
        { configDir: dir },
      )
      writer.write([resultOf(loadAvg(1, 2, 3), { type: "LoadAvg" })])
      expect(writer.url).toStartWith("https://127.0.0.1:")
      const ca = readFileSync(join(dir, "cert.pem"), "utf8")
      const get = (auth?: string) =>
        fetch(writer.url + "/metrics", { headers: auth ? { Authorization: auth } : {}, tls: { ca } } as RequestInit)
      const basic = (user: string, password: string) => "Basic " + Buffer.from(`${user}:${password}`).toString("base64")

      const missing = await get()
      expect(missing.status).toBe(401)
      expect(missing.headers.get("www-authenticate")).toStartWith("Basic realm=")
      expect(await missing.text()).not.toContain("pollect_LoadAvg")
      expect((await get(basic("prom", "wrong"))).status).toBe(401)
      expect((await get(basic("other", "s3cret pass"))).status).toBe(401)
      expect((await get("Bearer abc")).status).toBe(401)
      expect((await fetch(writer.url + "/", { tls: { ca } } as RequestInit)).status).toBe(401)

      for (let i = 0; i < 2; i++) {
        const ok = await get(basic("prom", "s3cret pass"))
        expect(ok.status).toBe(200)
        expect(await ok.text()).toContain('pollect_LoadAvg{time="mid"} 2')
      }
      // Plain HTTP on the TLS port gets no metrics.
      const plain = await fetch(writer.url.replace("https", "http") + "/metrics").then(
        (r) => r.status,
        () => "refused",
      )
      expect(plain).not.toBe(200)
    },
  )
})
