import { describe, expect, it } from "bun:test"
import { Executor } from "../core/executor.ts"
import { registerSecret, silentLogger } from "../core/log.ts"
import { Source, Writer, type WriterStatus } from "../core/plugin.ts"
import { SelfMetrics } from "../core/self-metrics.ts"
import { createSourceContext } from "../core/source-context.ts"
import { ValueSet } from "../core/value-set.ts"
import { formatValue } from "./format-value.ts"
import { StatusBoard } from "./status-board.ts"
import { escapeHtml, renderStatusPage } from "./status-page.ts"
import { statusExitCode, statusTable } from "./status-table.ts"

const T0 = Date.parse("2026-12-01T10:00:00Z")
const ctx = () => createSourceContext({ log: silentLogger, stateDir: "", configDir: "" })

class Thermo extends Source {
  celsius = 21.5
  override probe() {
    return new ValueSet(["room"], { unit: "celsius" }).add(this.celsius, ["kitchen"], "temperature")
  }
}
class Broken extends Source {
  override probe(): never {
    throw new Error("cannot reach http://admin:hunter2-secret@nas.local/api")
  }
}
class Later extends Source {
  override probe() {
    return new ValueSet().add(1, [], "x")
  }
}
class Pushing extends Writer {
  override write() {}
  override status(): WriterStatus {
    return { state: "retrying", detail: "store:2004", lastError: "cannot connect: ECONNREFUSED" }
  }
}

/** A real Executor with three sources (ok, failing, not due yet) wired to a board as the agent does. */
function setup(historySeries = 100) {
  const board = new StatusBoard({ historySeries, version: "9.9.9", startedAt: T0 })
  const selfMetrics = new SelfMetrics()
  let wall = T0
  const thermo = new Thermo({ type: "Thermo", name: "home" }, ctx().ctx)
  const slot = (id: string, type: string, source: Source, tickTimeMs = 10_000) => ({
    id,
    type,
    name: type === "Thermo" ? "home" : undefined,
    labels: {},
    source,
    setSignal: () => {},
    tickTimeMs,
    timeoutMs: 5000,
  })
  const writer = new Pushing({ type: "Pushing" }, { log: silentLogger, stateDir: "", configDir: "", selfMetrics, once: false })
  let now = 0
  const executor: Executor = new Executor({
    collection: "home",
    tickTimeMs: 10_000,
    threads: 2,
    slots: [
      slot("executors[0].sources[0]", "Thermo", thermo),
      slot("executors[0].sources[1]", "Broken", new Broken({ type: "Broken" }, ctx().ctx)),
    ],
    writers: [writer],
    log: silentLogger,
    selfMetrics,
    now: () => now,
    wallNow: () => wall,
    onResult: (result, ms) => board.probed(result, ms),
    onTick: (tick) => board.ticked(executor, tick),
  })
  const pending = new Executor({
    collection: "later",
    tickTimeMs: 60_000,
    threads: 1,
    slots: [slot("executors[1].sources[0]", "Later", new Later({ type: "Later" }, ctx().ctx))],
    writers: [writer],
    log: silentLogger,
    selfMetrics,
  })
  const tick = async (atMs: number) => {
    wall = atMs
    now = atMs - T0
    await executor.tick()
  }
  const doc = (history = false) => board.document({ executors: [executor, pending], writers: [writer], selfMetrics, now: wall, history })
  return { board, thermo, tick, doc, selfMetrics }
}

describe("status document", () => {
  it("says per source its state, since when it fails, its masked error, its probes and last values", async () => {
    registerSecret("hunter2-secret")
    const { tick, doc, selfMetrics } = setup()
    selfMetrics.count("pollect_points_dropped_total", { writer: "Pushing" }, 7)
    selfMetrics.set("pollect_queue_points", { writer: "Pushing" }, 120)
    await tick(T0)
    await tick(T0 + 10_000)
    const d = doc()
    expect(d.schema).toBe(1)
    expect(d.pollect).toMatchObject({ version: "9.9.9", startedAt: T0, uptimeSeconds: 10, configFile: null })
    const [thermo, broken, later] = d.sources
    expect(thermo).toMatchObject({
      id: "executors[0].sources[0]",
      type: "Thermo",
      name: "home",
      state: "ok",
      since: T0,
      probes: 2,
      errors: 0,
      lastError: null,
    })
    expect(thermo?.values).toEqual([
      {
        path: "home.thermo.home.temperature.kitchen",
        name: "temperature",
        labels: { room: "kitchen" },
        value: 21.5,
        unit: "celsius",
        kind: null,
      },
    ])
    expect(broken).toMatchObject({ state: "failing", since: T0, probes: 2, errors: 2, values: [] })
    expect(broken?.lastError).toBe("cannot reach http://admin:***@nas.local/api")
    expect(later).toMatchObject({ state: "pending", probes: 0, lastProbeAt: null })
    expect(d.executors[0]).toMatchObject({
      id: "executors[0]",
      collection: "home",
      tickSeconds: 10,
      lastTickAt: T0 + 10_000,
      ticks: 2,
      sources: 2,
    })
    expect(d.executors[1]).toMatchObject({ id: "executors[1]", lastTickAt: null, ticks: 0 })
    expect(d.writers).toEqual([
      {
        type: "Pushing",
        state: "retrying",
        detail: "store:2004",
        lastError: "cannot connect: ECONNREFUSED",
        queuePoints: 120,
        queueBytes: null,
        pointsDropped: 7,
        pointsSent: null,
      },
    ])
    // A JSON round trip changes nothing (no Map, no undefined that would vanish).
    expect(JSON.parse(JSON.stringify(d))).toEqual(d)
  })

  it("a source that recovers is ok since its first good probe again", async () => {
    const { tick, doc, thermo } = setup()
    await tick(T0)
    thermo.probe = () => {
      throw new Error("sensor gone")
    }
    await tick(T0 + 10_000)
    await tick(T0 + 20_000)
    expect(doc().sources[0]).toMatchObject({ state: "failing", since: T0 + 10_000, lastError: "sensor gone", errors: 2 })
    thermo.probe = Thermo.prototype.probe
    await tick(T0 + 30_000)
    expect(doc().sources[0]).toMatchObject({ state: "ok", since: T0 + 30_000, lastError: null, probes: 4 })
  })

  it("keeps one value per minute over the last hour, for at most historySeries series", async () => {
    const { tick, doc, thermo } = setup(1)
    for (let m = 0; m < 5; m++) {
      thermo.celsius = 20 + m
      await tick(T0 + m * 60_000)
    }
    const history = doc(true).sources[0]?.values[0]?.history
    expect(history).toHaveLength(60)
    expect(history?.slice(-5)).toEqual([20, 21, 22, 23, 24])
    expect(history?.slice(0, -5).every((v) => v === null)).toBe(true)
    expect(doc().sources[0]?.values[0]?.history).toBeUndefined() // only when asked
    expect(doc().history).toEqual({ series: 1, limit: 1, minutes: 60 })
  })

  it("forgets sources a reload removed", async () => {
    const { board, tick, doc } = setup()
    await tick(T0)
    board.retain(new Set(["executors[0].sources[1]"]))
    expect(doc().sources[0]).toMatchObject({ state: "pending", probes: 0 })
    expect(doc().history.series).toBe(0)
  })
})

describe("status page", () => {
  it("escapes whatever a config, a device or an error says", async () => {
    const { tick, doc } = setup()
    await tick(T0)
    const d = doc(true)
    ;(d.sources[1] as { lastError: string }).lastError = `<script>alert(1)</script>`
    ;(d.sources[0] as { name: string }).name = `"><img src=x onerror=alert(1)>`
    const html = renderStatusPage(d)
    expect(html).not.toContain("<script>")
    expect(html).not.toContain("<img")
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;")
    expect(escapeHtml(`a&b"c'<>`)).toBe("a&amp;b&quot;c&#39;&lt;&gt;")
  })

  it("shows failing sources first, states as data attributes, values with their units, and a refresh", async () => {
    const { tick, doc } = setup()
    await tick(T0)
    const html = renderStatusPage(doc(true))
    expect(html.indexOf('data-state="failing"')).toBeLessThan(html.indexOf('data-state="ok"'))
    expect(html).toContain("21.5 °C")
    expect(html).toContain('<meta http-equiv="refresh" content="10">')
    expect(html).toContain('data-writer="Pushing" data-state="retrying"')
    expect(html).toContain('<svg class="spark"')
  })

  it("stays small: 100 sources of 10 values with sparklines render in under 600 bytes per series (the page's budget)", async () => {
    const { doc } = setup()
    const d = doc(true)
    const source = d.sources[0] as (typeof d.sources)[number]
    const values = Array.from({ length: 10 }, (_, i) => ({
      path: `p.${i}`,
      name: `value_${i}`,
      labels: { disk: `sd${i}` },
      value: i * 1.5,
      unit: "bytes",
      kind: null,
      history: Array.from({ length: 60 }, (_, m) => m * i),
    }))
    d.sources = Array.from({ length: 100 }, (_, i) => ({ ...source, id: `executors[0].sources[${i}]`, state: "ok" as const, values }))
    const bytes = new TextEncoder().encode(renderStatusPage(d)).length
    expect(bytes / 1000).toBeLessThan(600)
  })
})

describe("pollect status (the terminal table)", () => {
  it("lists sources, writers and executors, and exits 1 when something fails", async () => {
    const { tick, doc } = setup()
    await tick(T0)
    const text = statusTable(doc())
    expect(text).toContain("pollect 9.9.9")
    expect(text).toMatch(/failing\s+Broken\s+home/)
    expect(text).toMatch(/ok\s+Thermo "home"\s+home/)
    expect(text).toMatch(/retrying\s+Pushing\s+store:2004/)
    expect(statusExitCode(doc())).toBe(1)
  })
})

describe("formatValue", () => {
  it("formats by unit", () => {
    expect(formatValue(1610612736, "bytes")).toBe("1.5 GiB")
    expect(formatValue(512, "bytes")).toBe("512 B")
    expect(formatValue(0.0123, "seconds")).toBe("12.3 ms")
    expect(formatValue(7200, "seconds")).toBe("2 h")
    expect(formatValue(0.873, "ratio")).toBe("87.3 %")
    expect(formatValue(45.25, "celsius")).toBe("45.25 °C")
    expect(formatValue(3, "widgets")).toBe("3 widgets")
    expect(formatValue(Number.NaN, "bytes")).toBe("NaN")
  })
})
