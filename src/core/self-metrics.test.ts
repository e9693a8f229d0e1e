/** core/self-metrics.ts: pollect's own counts, as the exporter and the log read them. */
import { describe, expect, it } from "bun:test"
import { SelfMetrics } from "./self-metrics.ts"

describe("SelfMetrics", () => {
  it("counts skipped ticks per collection, 0 for one that never skipped (the log's `N skipped so far`)", () => {
    const m = new SelfMetrics()
    expect(m.ticksSkippedFor("slow")).toBe(0)
    m.tickSkipped("slow")
    m.tickSkipped("slow")
    m.tickSkipped("other")
    expect([m.ticksSkippedFor("slow"), m.ticksSkippedFor("other"), m.ticksSkippedFor("never")]).toEqual([2, 1, 0])
    expect(m.snapshot().ticksSkipped).toEqual(
      new Map([
        ["slow", 2],
        ["other", 1],
      ]),
    )
  })

  it("probe stats keep the last duration and add up errors; counters add, gauges replace, per label set", () => {
    const m = new SelfMetrics()
    m.observeProbe("c", "LoadAvg", 0.5, true)
    m.observeProbe("c", "LoadAvg", 0.25, false)
    m.count("pollect_points_dropped_total", { writer: "Graphite" }, 3)
    m.count("pollect_points_dropped_total", { writer: "Graphite" })
    m.set("pollect_queue_bytes", { writer: "Graphite" }, 10)
    m.set("pollect_queue_bytes", { writer: "Graphite" }, 7)
    const s = m.snapshot()
    expect(s.probes).toEqual([{ collection: "c", source: "LoadAvg", durationSeconds: 0.25, errors: 1 }])
    expect(s.counters.get("pollect_points_dropped_total")).toEqual(new Map([['{"writer":"Graphite"}', 4]]))
    expect(s.gauges.get("pollect_queue_bytes")).toEqual(new Map([['{"writer":"Graphite"}', 7]]))
    m.retainProbes((_collection, source) => source !== "LoadAvg")
    expect(m.snapshot().probes).toEqual([])
  })
})
