/** pollect's own metrics registry on its own (no HTTP): names, help, types, free counters and gauges, process_* metrics. */
import { describe, expect, it } from "bun:test"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { createSelfRegistry, PROM_CONTENT_TYPE } from "./self-registry.ts"

/** `name{labels} value` lines, no comments. */
const samples = (text: string) => text.split("\n").filter((line) => line && !line.startsWith("#"))
/** The `# HELP` and `# TYPE` lines. */
const comments = (text: string) => text.split("\n").filter((line) => line.startsWith("#"))

describe("self registry", () => {
  it("serves probe durations and errors, skipped ticks and the build info, with their help and types", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1.2.3", { processMetrics: false })
    m.observeProbe("c", "s", 0.5, false)
    m.observeProbe("c", "t", 0.25, true)
    m.tickSkipped("slow")
    m.tickSkipped("slow")
    const text = await r.metrics()
    expect(comments(text)).toEqual([
      "# HELP pollect_probe_duration_seconds Duration of the last probe of a source",
      "# TYPE pollect_probe_duration_seconds gauge",
      "# HELP pollect_probe_errors_total Failed or timed-out probes of a source",
      "# TYPE pollect_probe_errors_total counter",
      "# HELP pollect_ticks_skipped_total Ticks skipped because the previous tick of the collection was still running",
      "# TYPE pollect_ticks_skipped_total counter",
      "# HELP pollect_build_info pollect's version; the value is always 1",
      "# TYPE pollect_build_info gauge",
    ])
    expect(samples(text)).toEqual([
      'pollect_probe_duration_seconds{collection="c",source="s"} 0.5',
      'pollect_probe_duration_seconds{collection="c",source="t"} 0.25',
      'pollect_probe_errors_total{collection="c",source="s"} 1',
      'pollect_probe_errors_total{collection="c",source="t"} 0',
      'pollect_ticks_skipped_total{collection="slow"} 2',
      'pollect_build_info{version="1.2.3"} 1',
    ])
    expect([...r.names]).toEqual([
      "pollect_probe_duration_seconds",
      "pollect_probe_errors_total",
      "pollect_ticks_skipped_total",
      "pollect_build_info",
    ])
    expect(PROM_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8")
  })

  it("each scrape refills from a fresh snapshot: counters are not added up twice, forgotten probes go", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1", { processMetrics: false })
    m.observeProbe("c", "s", 0.5, false)
    m.tickSkipped("slow")
    await r.metrics()
    m.observeProbe("c", "s", 0.125, false)
    m.retainProbes(() => true)
    let text = await r.metrics()
    expect(samples(text)).toContain('pollect_probe_errors_total{collection="c",source="s"} 2')
    expect(samples(text)).toContain('pollect_probe_duration_seconds{collection="c",source="s"} 0.125')
    expect(samples(text)).toContain('pollect_ticks_skipped_total{collection="slow"} 1')
    m.retainProbes(() => false)
    text = await r.metrics()
    expect(text).not.toContain("source=")
  })

  it("free counters get _total (once), gauges keep their name; names and label names are made Prometheus-safe", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1", { processMetrics: false })
    m.count("pollect_reconnects", { "writer.name": "G" }, 2)
    m.count("pollect_points_dropped_total", { writer: "G" }, 3)
    m.count("pollect_points_dropped_total", { writer: "H" }, -3)
    m.set("pollect_queue_bytes", { writer: "R" }, -42)
    m.set("pollect_queue.points", {}, 7)
    const text = await r.metrics()
    expect(comments(text).slice(8)).toEqual([
      "# HELP pollect_reconnects_total pollect's reconnects counter",
      "# TYPE pollect_reconnects_total counter",
      "# HELP pollect_points_dropped_total pollect's points dropped counter",
      "# TYPE pollect_points_dropped_total counter",
      "# HELP pollect_queue_bytes pollect's queue bytes gauge",
      "# TYPE pollect_queue_bytes gauge",
      "# HELP pollect_queue_points pollect's queue points gauge",
      "# TYPE pollect_queue_points gauge",
    ])
    // A counter never goes below 0 (prom-client refuses a negative increment); a gauge may.
    expect(samples(text).slice(1)).toEqual([
      'pollect_reconnects_total{writer_name="G"} 2',
      'pollect_points_dropped_total{writer="G"} 3',
      'pollect_points_dropped_total{writer="H"} 0',
      'pollect_queue_bytes{writer="R"} -42',
      "pollect_queue_points 7",
    ])
    expect(r.names.has("pollect_reconnects_total")).toBe(true)
    expect(r.names.has("pollect_queue_bytes")).toBe(true)
  })

  it("the help of a free metric drops only a leading pollect_ and a trailing _total", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1", { processMetrics: false })
    m.count("pollect_x_pollect_y", {}, 1)
    m.count("pollect_a_total_b", {}, 1)
    m.set("other_pollect_total_z", {}, 1)
    const help = comments(await r.metrics()).filter((line) => line.startsWith("# HELP") && !/probe|ticks|build/.test(line))
    expect(help).toEqual([
      "# HELP pollect_x_pollect_y_total pollect's x pollect y counter",
      "# HELP pollect_a_total_b_total pollect's a total b counter",
      "# HELP other_pollect_total_z pollect's other pollect total z gauge",
    ])
  })

  it("a free metric is refilled each scrape; a new label name remakes it with every series", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1", { processMetrics: false })
    m.count("pollect_reconnects_total", { writer: "G" }, 2)
    await r.metrics()
    m.count("pollect_reconnects_total", { writer: "G" }, 1)
    expect(samples(await r.metrics()).at(-1)).toBe('pollect_reconnects_total{writer="G"} 3')
    m.count("pollect_reconnects_total", { host: "x" }, 1)
    const text = await r.metrics()
    expect(text.match(/# TYPE pollect_reconnects_total/g)).toHaveLength(1)
    expect(samples(text).slice(-2)).toEqual(['pollect_reconnects_total{writer="G"} 3', 'pollect_reconnects_total{host="x"} 1'])
    m.set("pollect_queue_bytes", { writer: "R" }, 1)
    await r.metrics()
    m.set("pollect_queue_bytes", { writer: "R", part: "a" }, 5)
    expect(samples(await r.metrics()).filter((line) => line.startsWith("pollect_queue_bytes"))).toEqual([
      'pollect_queue_bytes{writer="R"} 1',
      'pollect_queue_bytes{writer="R",part="a"} 5',
    ])
  })

  it("a free metric cannot replace one of the fixed metrics", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1", { processMetrics: false })
    m.count("pollect_ticks_skipped", { collection: "x" }, 9)
    m.set("pollect_build_info", { version: "evil" }, 5)
    const text = await r.metrics()
    expect(text).not.toContain("9")
    expect(text).not.toContain("evil")
    expect(text.match(/# TYPE/g)).toHaveLength(4)
  })

  it("processMetrics: the process_* metrics, read again at each scrape", async () => {
    const m = new SelfMetrics()
    const r = createSelfRegistry(m, "1", { processMetrics: true })
    const text = await r.metrics()
    const types = comments(text).filter((line) => line.startsWith("# TYPE process_"))
    expect(types).toEqual([
      "# TYPE process_cpu_user_seconds_total counter",
      "# TYPE process_cpu_system_seconds_total counter",
      "# TYPE process_cpu_seconds_total counter",
      "# TYPE process_start_time_seconds gauge",
      "# TYPE process_resident_memory_bytes gauge",
      "# TYPE process_virtual_memory_bytes gauge",
      "# TYPE process_open_fds gauge",
      "# TYPE process_max_fds gauge",
    ])
    expect(comments(text)).toContain("# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.")
    expect(comments(text)).toContain("# HELP process_open_fds Number of open file descriptors.")
    expect(r.names.has("process_max_fds")).toBe(true)
    const value = (t: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(t)?.[1])
    const user = value(text, "process_cpu_user_seconds_total")
    const system = value(text, "process_cpu_system_seconds_total")
    expect(user).toBeGreaterThan(0)
    expect(system).toBeGreaterThanOrEqual(0)
    expect(value(text, "process_cpu_seconds_total")).toBeCloseTo(user + system, 9)
    // Burn some CPU: the next scrape reads /proc and the CPU clock again.
    const until = process.cpuUsage().user + 20_000
    while (process.cpuUsage().user < until) Math.sqrt(Math.random())
    const later = await r.metrics()
    expect(value(later, "process_cpu_user_seconds_total")).toBeGreaterThan(user)
    expect(value(later, "process_cpu_seconds_total")).toBeGreaterThan(user + system)
    expect(value(later, "process_start_time_seconds")).toBe(value(text, "process_start_time_seconds"))
  })
})
