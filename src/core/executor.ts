/**
 * One executor: a collection with its sources and writers. A tick probes the sources that are
 * due, concurrently up to `threads`, each under its own deadline. Partial writers get each
 * source's result as it lands; batch writers get the whole tick, in config order, once all land.
 */
import { withDeadline } from "./deadline.ts"
import { mapConcurrent } from "./concurrency.ts"
import { FailureLatch } from "./failure-latch.ts"
import { errorMessage, type Logger } from "./log.ts"
import type { Source, Writer } from "./plugin.ts"
import type { SelfMetrics } from "./self-metrics.ts"
import { describeSource, type SourceResult } from "./source-result.ts"
import { toValueSets } from "./value-set.ts"

/** How early a tick may come and still count as on time for a source's own tickTime. */
const JITTER_SLACK_MS = 250

export interface SourceSlot {
  /** `executors[0].sources[2]` */
  id: string
  type: string
  name?: string
  labels: Record<string, string>
  source: Source
  /** Arms the deadline the source sees as `ctx.signal` (and its length as `ctx.timeoutMs`). */
  setSignal(signal: AbortSignal, timeoutMs?: number): void
  tickTimeMs: number
  timeoutMs: number
}

export interface ExecutorOptions {
  collection: string
  tickTimeMs: number
  threads: number
  slots: SourceSlot[]
  writers: Writer[]
  log: Logger
  selfMetrics: SelfMetrics
  /** Monotonic milliseconds. */
  now?: () => number
  /** Wall-clock milliseconds, for timestamps. */
  wallNow?: () => number
  /** Told of every source's result as it lands (the status page keeps it), with the probe's duration. */
  onResult?: (result: SourceResult, durationMs: number) => void
  /** Told of every tick once its writers have it: its wall-clock start and how long it took. */
  onTick?: (tick: { startedAtMs: number; durationMs: number } & TickReport) => void
}

export interface TickReport {
  probed: number
  failed: number
}

export class Executor {
  readonly collection: string
  readonly tickTimeMs: number
  private readonly lastRun = new Map<string, number>()
  private readonly busy = new Set<string>()
  private readonly latch: FailureLatch
  private readonly now: () => number
  private readonly wallNow: () => number
  private readonly partialWriters: Writer[]
  private readonly batchWriters: Writer[]

  constructor(private readonly options: ExecutorOptions) {
    this.collection = options.collection
    this.tickTimeMs = options.tickTimeMs
    this.latch = new FailureLatch(options.log)
    this.now = options.now ?? (() => performance.now())
    this.wallNow = options.wallNow ?? (() => Date.now())
    this.partialWriters = options.writers.filter((writer) => writer.partial)
    this.batchWriters = options.writers.filter((writer) => !writer.partial)
  }

  get writers(): readonly Writer[] {
    return this.options.writers
  }

  get slots(): readonly SourceSlot[] {
    return this.options.slots
  }

  /**
   * Sources whose own tickTime has come. The slack absorbs timer jitter only (at most 250 ms,
   * or half a tick): a 14 s source under a 10 s executor runs every 20 s, never every 10 s.
   */
  private due(slot: SourceSlot, at: number, all: boolean): boolean {
    if (this.busy.has(slot.id)) return false
    if (all) return true
    const last = this.lastRun.get(slot.id)
    return last === undefined || at - last >= slot.tickTimeMs - Math.min(this.tickTimeMs / 2, JITTER_SLACK_MS)
  }

  /** Probes the due sources and hands the results to the writers. `all` probes every source (`--once`). */
  async tick(options: { all?: boolean } = {}): Promise<TickReport> {
    const at = this.now()
    const timeMs = this.wallNow()
    const tickStarted = performance.now()
    const due = this.options.slots.filter((slot) => this.due(slot, at, options.all ?? false))
    let failed = 0
    const results = await mapConcurrent(due, this.options.threads, async (slot) => {
      this.lastRun.set(slot.id, at)
      const result = await this.probe(slot, timeMs)
      if (result.error !== undefined) failed++
      if (this.partialWriters.length) await this.deliver(this.partialWriters, [result])
      return result
    })
    const landed = results.filter((r) => r.error === undefined && r.sets.length > 0)
    if (landed.length) await this.deliver(this.batchWriters, landed)
    this.options.onTick?.({ startedAtMs: timeMs, durationMs: performance.now() - tickStarted, probed: due.length, failed })
    return { probed: due.length, failed }
  }

  private async probe(slot: SourceSlot, timeMs: number): Promise<SourceResult> {
    const what = describeSource({ id: slot.id, collection: this.collection, type: slot.type, name: slot.name })
    const result = emptyResult(slot, this.collection, Math.floor(timeMs / 1000), timeMs)
    const controller = new AbortController()
    const started = performance.now()
    this.busy.add(slot.id)
    slot.setSignal(controller.signal, slot.timeoutMs)
    const running = Promise.resolve().then(() => slot.source.probe())
    // A probe that ignores its signal keeps the source busy (not probed again) until it settles.
    running.finally(() => this.busy.delete(slot.id)).catch(() => {})
    try {
      const probed = await withDeadline(
        () => running,
        slot.timeoutMs,
        () => {
          const error = new Error(`timed out after ${slot.timeoutMs / 1000} s`)
          controller.abort(error)
          return error
        },
      )
      result.sets = toValueSets(probed)
      this.latch.ok(slot.id, what)
    } catch (error) {
      result.error = errorMessage(error)
      this.latch.fail(slot.id, what, result.error)
    }
    const durationMs = performance.now() - started
    this.options.selfMetrics.observeProbe(
      this.collection,
      slot.name ? `${slot.type}.${slot.name}` : slot.type,
      durationMs / 1000,
      result.error === undefined,
    )
    this.options.onResult?.(result, durationMs)
    return result
  }

  /**
   * A failing writer is logged (once) and never stops the others; one that hangs is given up
   * on after a tick's time, so it cannot hold the executor's next ticks back.
   */
  private async deliver(writers: Writer[], results: SourceResult[]): Promise<void> {
    await Promise.all(
      writers.map(async (writer) => {
        const key = `writer:${writer.config.type}`
        const what = `writer ${writer.config.type}`
        try {
          await withDeadline(
            () => writer.write(results),
            this.tickTimeMs,
            () => new Error(`write did not finish within ${this.tickTimeMs / 1000} s`),
          )
          this.latch.ok(key, what)
        } catch (error) {
          this.latch.fail(key, what, errorMessage(error))
        }
      }),
    )
  }
}

/** A slot's result with no values yet: what a probe fills in, and what clears a removed source's series. */
export function emptyResult(slot: SourceSlot, collection: string, time: number, timeMs = time * 1000): SourceResult {
  return {
    id: slot.id,
    collection,
    type: slot.type,
    name: slot.name,
    labels: slot.labels,
    time,
    timeMs,
    sets: [],
    timeoutSeconds: slot.timeoutMs / 1000,
  }
}
