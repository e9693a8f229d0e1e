import { describe, expect, it } from "bun:test"
import { Executor, emptyResult, type SourceSlot } from "./executor.ts"
import { createLogger } from "./log.ts"
import { Source, type Writer } from "./plugin.ts"
import { SelfMetrics } from "./self-metrics.ts"
import { createSourceContext } from "./source-context.ts"
import type { ProbeResult } from "./value-set.ts"
import { RecordingWriter } from "../../test/helpers/recording-writer.ts"

class FnSource extends Source {
  constructor(
    readonly fn: (ctx: Source["ctx"]) => ProbeResult | Promise<ProbeResult>,
    ctx: Source["ctx"],
  ) {
    super({ type: "Fn" }, ctx)
  }
  override probe() {
    return this.fn(this.ctx)
  }
}

function setup(
  fns: ((ctx: Source["ctx"]) => ProbeResult | Promise<ProbeResult>)[],
  options: {
    threads?: number
    timeoutMs?: number
    writers?: Writer[]
    tickTimes?: number[]
    executorTickMs?: number
    names?: (string | undefined)[]
  } = {},
) {
  const lines: string[] = []
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) })
  let now = 0
  const slots: SourceSlot[] = fns.map((fn, i) => {
    const { ctx, setSignal } = createSourceContext({ log, stateDir: "/tmp", configDir: "/tmp" })
    return {
      id: `executors[0].sources[${i}]`,
      type: `S${i}`,
      name: options.names?.[i],
      labels: {},
      source: new FnSource(fn, ctx),
      setSignal,
      tickTimeMs: options.tickTimes?.[i] ?? 1000,
      timeoutMs: options.timeoutMs ?? 1000,
    }
  })
  const writers = options.writers ?? [new RecordingWriter({ type: "Batch" })]
  const selfMetrics = new SelfMetrics()
  const executor = new Executor({
    collection: "pollect",
    tickTimeMs: options.executorTickMs ?? 1000,
    threads: options.threads ?? 5,
    slots,
    writers,
    log,
    selfMetrics,
    now: () => now,
    wallNow: () => 1_508_478_781_500,
  })
  return { executor, writers, lines, selfMetrics, advance: (ms: number) => (now += ms), at: () => now }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("Executor", () => {
  it("hands the merged tick to batch writers in config order, whatever order probes land in", async () => {
    const { executor, writers } = setup([async () => (await sleep(30), 1), () => 2, async () => (await sleep(10), { a: 3 })])
    await executor.tick()
    const batch = (writers[0] as RecordingWriter).batches[0]!
    expect(batch.map((r) => [r.type, r.time, r.sets[0]!.values[0]!.value])).toEqual([
      ["S0", 1508478781, 1],
      ["S1", 1508478781, 2],
      ["S2", 1508478781, 3],
    ])
  })

  it("a probe that throws or times out is left out; the others still go out", async () => {
    const { executor, writers, lines, selfMetrics } = setup(
      [
        () => 1,
        () => {
          throw new Error("boom")
        },
        () => new Promise(() => {}),
      ],
      { timeoutMs: 50 },
    )
    const report = await executor.tick()
    expect(report).toEqual({ probed: 3, failed: 2 })
    expect((writers[0] as RecordingWriter).batches[0]!.map((r) => r.type)).toEqual(["S0"])
    expect(lines.filter((l) => l.includes("WARN")).map((l) => l.replace(/^\S+ /, ""))).toEqual([
      "WARN  pollect S1 (executors[0].sources[1]) failed: boom",
      "WARN  pollect S2 (executors[0].sources[2]) failed: timed out after 0.05 s",
    ])
    expect(selfMetrics.snapshot().probes.map((p) => [p.source, p.errors])).toEqual([
      ["S0", 0],
      ["S1", 1],
      ["S2", 1],
    ])
  })

  it("logs a failure once, not every tick, and logs the recovery", async () => {
    let fail = true
    const { executor, lines, advance } = setup([
      () => {
        if (fail) throw new Error("down")
        return 1
      },
    ])
    for (let i = 0; i < 3; i++) {
      await executor.tick()
      advance(1000)
    }
    fail = false
    await executor.tick()
    expect(lines.map((l) => l.replace(/^\S+ /, ""))).toEqual([
      "WARN  pollect S0 (executors[0].sources[0]) failed: down",
      "INFO  pollect S0 (executors[0].sources[0]) recovered",
    ])
  })

  it("aborts ctx.signal at the deadline, so the source's own I/O stops", async () => {
    let aborted: unknown
    const { executor } = setup(
      [(ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject((aborted = ctx.signal.reason))))],
      { timeoutMs: 30 },
    )
    await executor.tick()
    expect(String(aborted)).toContain("timed out after 0.03 s")
  })

  it("runs at most `threads` probes at once", async () => {
    let running = 0
    let peak = 0
    const slow = async () => {
      peak = Math.max(peak, ++running)
      await sleep(20)
      running--
      return 1
    }
    const { executor } = setup([slow, slow, slow, slow, slow], { threads: 2 })
    await executor.tick()
    expect(peak).toBe(2)
  })

  it("probes a source with its own tickTime only when due", async () => {
    const calls = [0, 0]
    const { executor, advance } = setup([() => ++calls[0]!, () => ++calls[1]!], { tickTimes: [1000, 3000] })
    for (let i = 0; i < 6; i++) {
      await executor.tick()
      advance(1000)
    }
    expect(calls).toEqual([6, 2])
  })

  it("never probes a source sooner than its own tickTime, beyond timer jitter", async () => {
    const calls = [0, 0]
    // Executor ticks of 1 s: a 1.4 s source is due every second tick; ticks that come 5 ms early still count.
    const { executor, advance } = setup([() => ++calls[0]!, () => ++calls[1]!], { tickTimes: [1400, 2000] })
    for (let i = 0; i < 7; i++) {
      await executor.tick()
      advance(995)
    }
    expect(calls).toEqual([4, 4])
  })

  it("a source is due exactly at its own tickTime less the jitter slack, and not a millisecond sooner", async () => {
    // 1 s executor: the slack is 250 ms, so a 1.25 s source is due once 1000 ms have passed.
    const onTime = setup([() => 1], { tickTimes: [1250] })
    let calls = 0
    await onTime.executor.tick()
    for (let i = 0; i < 4; i++) {
      onTime.advance(1000)
      calls += (await onTime.executor.tick()).probed
    }
    expect(calls).toBe(4)
    const early = setup([() => 1], { tickTimes: [1250] })
    await early.executor.tick()
    early.advance(999)
    expect((await early.executor.tick()).probed).toBe(0)
    early.advance(1)
    expect((await early.executor.tick()).probed).toBe(1)
  })

  it("the jitter slack is at most half the executor's tick", async () => {
    // 200 ms executor: the slack is 100 ms (not 250), so a 300 ms source waits 200 ms.
    const { executor, advance } = setup([() => 1], { tickTimes: [300], executorTickMs: 200 })
    await executor.tick()
    advance(199)
    expect((await executor.tick()).probed).toBe(0)
    advance(1)
    expect((await executor.tick()).probed).toBe(1)
  })

  it("a source that returns null or [] reaches partial writers (clearing its series) but not batch writers", async () => {
    const partial = new RecordingWriter({ type: "Partial", partial: true })
    const batch = new RecordingWriter({ type: "Batch" })
    const { executor } = setup([() => null, () => [], () => undefined, () => 7], { writers: [partial, batch] })
    await executor.tick()
    expect(batch.batches.map((b) => b.map((r) => r.type))).toEqual([["S3"]])
    expect(partial.received.map((r) => [r.type, r.sets.length]).sort()).toEqual([
      ["S0", 0],
      ["S1", 0],
      ["S2", 0],
      ["S3", 1],
    ])
  })

  it("a tick in which no source has values calls no batch writer at all", async () => {
    const batch = new RecordingWriter({ type: "Batch" })
    const { executor } = setup(
      [
        () => null,
        () => {
          throw new Error("down")
        },
      ],
      { writers: [batch] },
    )
    expect(await executor.tick()).toEqual({ probed: 2, failed: 1 })
    expect(batch.calls).toBe(0)
  })

  it("tick({ all: true }) (--once) probes every source, whatever its tickTime", async () => {
    const calls = [0, 0]
    const { executor } = setup([() => ++calls[0]!, () => ++calls[1]!], { tickTimes: [1000, 60_000] })
    await executor.tick({ all: true })
    expect(await executor.tick({ all: true })).toEqual({ probed: 2, failed: 0 })
    expect(calls).toEqual([2, 2])
    expect((await executor.tick()).probed).toBe(0)
  })

  it("a source that waited for a free thread counts its tickTime from the tick's start, not from when it ran", async () => {
    // One thread: S1 starts only once S0's 600 ms probe is done. At the next tick (1 s later) both are due.
    let clock: () => number = () => 0
    const calls = [0, 0]
    const { executor, advance, at } = setup(
      [
        () => {
          calls[0]!++
          advance(600)
          return 1
        },
        () => {
          calls[1]!++
          return clock() % 1
        },
      ],
      { threads: 1 },
    )
    clock = at
    await executor.tick()
    advance(400) // 1000 ms after the first tick's start
    await executor.tick()
    expect(calls).toEqual([2, 2])
  })

  it("self-metrics name a probe by type and source name", async () => {
    const { executor, selfMetrics } = setup([() => 1, () => 2], { names: ["local", undefined] })
    await executor.tick()
    expect(selfMetrics.snapshot().probes.map((p) => [p.collection, p.source])).toEqual([
      ["pollect", "S0.local"],
      ["pollect", "S1"],
    ])
  })

  it("a source still busy with a probe that ignored its deadline is not probed again", async () => {
    let calls = 0
    let release = () => {}
    const { executor, advance } = setup(
      [
        () => {
          calls++
          return new Promise((resolve) => (release = () => resolve(1)))
        },
      ],
      { timeoutMs: 20 },
    )
    await executor.tick()
    advance(1000)
    await executor.tick()
    expect(calls).toBe(1)
    release()
    await sleep(1)
    advance(1000)
    await executor.tick()
    expect(calls).toBe(2)
    release()
  })

  it("partial writers get each result as it lands, failures included; a failing writer does not stop the others", async () => {
    const partial = new RecordingWriter({ type: "Partial", partial: true })
    const batch = new RecordingWriter({ type: "Batch" })
    const broken = new RecordingWriter({ type: "Batch", throws: "disk full" })
    const { executor, lines } = setup(
      [
        async () => (await sleep(20), 1),
        () => {
          throw new Error("x")
        },
      ],
      { writers: [broken, partial, batch] },
    )
    await executor.tick()
    expect(partial.batches.map((b) => [b[0]!.type, b[0]!.error])).toEqual([
      ["S1", "x"],
      ["S0", undefined],
    ])
    expect(batch.batches).toHaveLength(1)
    expect(lines.some((l) => l.includes("writer Batch failed: disk full"))).toBe(true)
  })

  it("a writer that never finishes is given up on after a tick's time; the tick ends", async () => {
    const batch = new RecordingWriter({ type: "Batch" })
    const { executor, lines } = setup([() => 1], { writers: [new RecordingWriter({ type: "Hanging", hangs: true }), batch] })
    const started = performance.now()
    await executor.tick()
    expect(performance.now() - started).toBeLessThan(5000)
    expect(batch.batches).toHaveLength(1)
    expect(lines.some((l) => l.includes("writer Hanging failed: write did not finish within 1 s"))).toBe(true)
  })

  it("two failing writers are latched apart: each one's failure is logged, even with the same message", async () => {
    const { executor, lines } = setup([() => 1], {
      writers: [new RecordingWriter({ type: "First", throws: "disk full" }), new RecordingWriter({ type: "Second", throws: "disk full" })],
    })
    await executor.tick()
    expect(lines.filter((l) => l.includes("WARN")).map((l) => l.replace(/^\S+ /, ""))).toEqual([
      "WARN  writer First failed: disk full",
      "WARN  writer Second failed: disk full",
    ])
  })

  it("exposes its slots and writers as configured", () => {
    const partial = new RecordingWriter({ type: "Partial", partial: true })
    const batch = new RecordingWriter({ type: "Batch" })
    const { executor } = setup([() => 1], { writers: [batch, partial] })
    expect(executor.writers).toEqual([batch, partial])
    expect(executor.slots.map((s) => s.id)).toEqual(["executors[0].sources[0]"])
    expect([executor.collection, executor.tickTimeMs]).toEqual(["pollect", 1000])
  })

  it("onResult and onTick get each probe's and the tick's duration in ms; self-metrics the probe's in seconds", async () => {
    const lines: string[] = []
    const log = createLogger({ level: "debug", write: (line) => lines.push(line) })
    const { ctx, setSignal } = createSourceContext({ log, stateDir: "/tmp", configDir: "/tmp" })
    const slot: SourceSlot = {
      id: "executors[0].sources[0]",
      type: "Slow",
      labels: {},
      source: new FnSource(async () => (await sleep(20), 1), ctx),
      setSignal,
      tickTimeMs: 1000,
      timeoutMs: 5000,
    }
    const probes: number[] = []
    const ticks: { startedAtMs: number; durationMs: number; probed: number; failed: number }[] = []
    const selfMetrics = new SelfMetrics()
    const executor = new Executor({
      collection: "pollect",
      tickTimeMs: 1000,
      threads: 1,
      slots: [slot],
      writers: [],
      log,
      selfMetrics,
      wallNow: () => 1_508_478_781_500,
      onResult: (_, durationMs) => probes.push(durationMs),
      onTick: (tick) => ticks.push(tick),
    })
    const before = performance.now()
    await executor.tick()
    const elapsed = performance.now() - before
    // Lower bounds from the 20 ms sleep (less a timer's rounding), upper bounds from the tick as the test saw it.
    expect(probes).toHaveLength(1)
    expect(probes[0]!).toBeGreaterThanOrEqual(15)
    expect(probes[0]!).toBeLessThanOrEqual(elapsed)
    expect(ticks).toHaveLength(1)
    expect(ticks[0]!.startedAtMs).toBe(1_508_478_781_500)
    expect([ticks[0]!.probed, ticks[0]!.failed]).toEqual([1, 0])
    expect(ticks[0]!.durationMs).toBeGreaterThanOrEqual(probes[0]!)
    expect(ticks[0]!.durationMs).toBeLessThanOrEqual(elapsed)
    const seconds = selfMetrics.snapshot().probes[0]!.durationSeconds
    expect(seconds).toBeGreaterThanOrEqual(0.015)
    expect(seconds).toBeLessThanOrEqual(elapsed / 1000)
  })

  it("without clocks given, uses the monotonic clock for due times and the wall clock for timestamps", async () => {
    const log = createLogger({ level: "debug", write: () => {} })
    const { ctx, setSignal } = createSourceContext({ log, stateDir: "/tmp", configDir: "/tmp" })
    const slot: SourceSlot = {
      id: "executors[0].sources[0]",
      type: "S0",
      labels: {},
      source: new FnSource(() => 1, ctx),
      setSignal,
      tickTimeMs: 3_600_000,
      timeoutMs: 1000,
    }
    const results: { time: number; timeMs?: number }[] = []
    const executor = new Executor({
      collection: "pollect",
      tickTimeMs: 1000,
      threads: 1,
      slots: [slot],
      writers: [],
      log,
      selfMetrics: new SelfMetrics(),
      onResult: (result) => results.push(result),
    })
    const before = Date.now()
    expect((await executor.tick()).probed).toBe(1)
    const after = Date.now()
    // An hour's tickTime: the second tick, moments later, is not due.
    expect((await executor.tick()).probed).toBe(0)
    expect(results).toHaveLength(1)
    expect(results[0]!.timeMs!).toBeGreaterThanOrEqual(before)
    expect(results[0]!.timeMs!).toBeLessThanOrEqual(after)
    expect(results[0]!.time).toBe(Math.floor(results[0]!.timeMs! / 1000))
  })

  it("a failed probe's result has no sets, its error, and the slot's timeout in seconds", async () => {
    const partial = new RecordingWriter({ type: "Partial", partial: true })
    const { executor } = setup(
      [
        () => {
          throw new Error("down")
        },
      ],
      { writers: [partial], timeoutMs: 2500 },
    )
    await executor.tick()
    expect(partial.received).toEqual([
      {
        id: "executors[0].sources[0]",
        collection: "pollect",
        type: "S0",
        name: undefined,
        labels: {},
        time: 1508478781,
        timeMs: 1_508_478_781_500,
        sets: [],
        error: "down",
        timeoutSeconds: 2.5,
      },
    ])
  })
})

describe("emptyResult", () => {
  const slot = {
    id: "executors[1].sources[0]",
    type: "LoadAvg",
    name: "local",
    labels: { site: "a" },
    tickTimeMs: 10_000,
    timeoutMs: 1500,
  } as unknown as SourceSlot

  it("a slot's result with no values, its timeout in seconds; timeMs defaults to the time's whole seconds", () => {
    expect(emptyResult(slot, "pollect", 1_508_478_781)).toEqual({
      id: "executors[1].sources[0]",
      collection: "pollect",
      type: "LoadAvg",
      name: "local",
      labels: { site: "a" },
      time: 1_508_478_781,
      timeMs: 1_508_478_781_000,
      sets: [],
      timeoutSeconds: 1.5,
    })
  })

  it("takes the tick's milliseconds when given", () => {
    expect(emptyResult(slot, "pollect", 1_508_478_781, 1_508_478_781_500).timeMs).toBe(1_508_478_781_500)
  })
})
