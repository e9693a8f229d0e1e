/**
 * Builds the running daemon from a validated config: writers (identical configs share one
 * instance), sources with their contexts, one executor per config executor, one scheduler.
 * `reload()` swaps in a new config, keeping every writer, source and executor whose config
 * did not change (with its state: rate baselines, the exporter's series, a Graphite buffer).
 */
import type { LoadedConfig } from "./config/index.ts"
import { canonical, type ExecutorSpec, type SourceSpec, type WriterSpec } from "./config/schema.ts"
import { withDeadline } from "./core/deadline.ts"
import { emptyResult, Executor, type SourceSlot } from "./core/executor.ts"
import { errorMessage, type Logger } from "./core/log.ts"
import type { Source, Writer } from "./core/plugin.ts"
import { Scheduler, systemClock, type Clock, type Job } from "./core/scheduler.ts"
import { SelfMetrics } from "./core/self-metrics.ts"
import { createSourceContext } from "./core/source-context.ts"
import type { StatusBoard } from "./status/status-board.ts"
import { builtinWriters } from "./writers/index.ts"

export interface AgentOptions {
  log: Logger
  /** Every writer replaced by DryRun. */
  dryRun?: boolean
  /** One tick then exit (`--once`). */
  once?: boolean
  clock?: Clock
  /** The status page's board: told of every probe and tick. */
  status?: StatusBoard
}

/** A writer that failed to start: the message names it (port in use, ...). */
export class WriterStartError extends Error {
  override name = "WriterStartError"
}

const DRY_RUN_SPEC: WriterSpec = {
  path: "--dry-run",
  type: "DryRun",
  // Loaded when first used, as every plugin (a config with writers never needs it).
  get cls() {
    return builtinWriters.DryRun!.cls
  },
  config: { type: "DryRun" },
  key: '{"type":"DryRun"}',
}

/** One running executor, its scheduler job, and what it was built from (its identity across reloads). */
interface ExecutorEntry {
  key: string
  executor: Executor
  job: Job
  /** Identity of each slot's source, in slot order. */
  sourceKeys: string[]
}

/** What a config builds, reusing the instances of `previous` whose identity is unchanged. */
interface Plan {
  /** Writer identity → instance, every writer of the config. */
  writers: Map<string, Writer>
  /** Instances made for this plan (not yet started). */
  newWriters: Writer[]
  entries: ExecutorEntry[]
  newSources: Source[]
}

/** What a reload kept, rebuilt, added and removed (for the log line). */
export interface ReloadSummary {
  executors: { kept: number; rebuilt: number }
  sources: { kept: number; added: number; removed: number }
  writers: { kept: number; added: number; removed: number }
}

export class Agent {
  readonly selfMetrics = new SelfMetrics()
  private readonly scheduler: Scheduler
  private readonly log: Logger
  private readonly clock: Clock
  private writerMap: Map<string, Writer>
  private entries: ExecutorEntry[]

  constructor(
    config: LoadedConfig,
    readonly options: AgentOptions,
  ) {
    this.log = options.log
    this.clock = options.clock ?? systemClock
    const plan = this.plan(config)
    this.writerMap = plan.writers
    this.entries = plan.entries
    this.scheduler = new Scheduler(
      this.entries.map((entry) => entry.job),
      (job) => {
        this.selfMetrics.tickSkipped(job.name)
        this.log.warn(
          `${job.name}: tick skipped, the previous one is still running (${this.selfMetrics.ticksSkippedFor(job.name)} skipped so far)`,
        )
      },
      this.clock,
    )
  }

  get executors(): Executor[] {
    return this.entries.map((entry) => entry.executor)
  }

  get writers(): Writer[] {
    return [...this.writerMap.values()]
  }

  /**
   * Builds the writers, sources and executors of `config`. With `previous`, an executor whose
   * identity is unchanged is reused whole (timer, skip state), then a source whose identity is
   * unchanged keeps its instance (its `ctx.rate`, sessions), a writer its instance (series,
   * connection, buffer). Identity: the canonical JSON of the validated config; for a source also
   * its executor's collection/tickTime/threads and its writers.
   */
  private plan(config: LoadedConfig, previous?: { writers: Map<string, Writer>; entries: ExecutorEntry[] }): Plan {
    const writers = new Map<string, Writer>()
    const newWriters: Writer[] = []
    const newSources: Source[] = []
    const dirs = { stateDir: config.stateDir, configDir: config.configDir }
    const writerFor = (spec: WriterSpec) => {
      const key = canonical({ ...dirs, writer: JSON.parse(spec.key) })
      let writer = writers.get(key)
      if (writer) return { key, writer }
      const old = previous?.writers.get(key)
      if (old && old.constructor === spec.cls) writer = old
      else {
        const ctx = { log: this.log.child(spec.type), ...dirs, selfMetrics: this.selfMetrics, once: this.options.once ?? false }
        writer = new spec.cls(spec.config, ctx)
        newWriters.push(writer)
      }
      writers.set(key, writer)
      return { key, writer }
    }

    // Executors reused whole first; the slots of the others are the pool sources are reused from.
    const oldEntries = new Map<string, ExecutorEntry[]>()
    for (const entry of previous?.entries ?? []) push(oldEntries, entry.key, entry)
    const pool = new Map<string, SourceSlot[]>()
    const described = config.executors.map((exec) => {
      const specs = this.options.dryRun || !exec.writers.length ? [DRY_RUN_SPEC] : exec.writers
      const own = specs.map(writerFor)
      const writerKeys = own.map((w) => w.key)
      const sourceKeys = exec.sources.map((spec) =>
        canonical({
          ...dirs,
          collection: exec.collection,
          tickTime: exec.tickTime,
          threads: exec.threads,
          writers: writerKeys,
          source: spec.config,
          compat: config.compat, // a changed `compat` renames series: the source is built again
        }),
      )
      const key = canonical({ sources: exec.sources.map((spec, s) => [spec.path, sourceKeys[s]]), writers: writerKeys, ...dirs })
      const candidates = oldEntries.get(key) ?? []
      const index = candidates.findIndex(
        (entry) =>
          entry.executor.writers.every((w, i) => w === own[i]?.writer) &&
          entry.executor.slots.every((slot, s) => slot.source.constructor === exec.sources[s]?.cls),
      )
      const reused = index >= 0 ? candidates.splice(index, 1)[0] : undefined
      return { exec, writers: own.map((w) => w.writer), sourceKeys, key, reused }
    })
    for (const list of oldEntries.values()) {
      for (const entry of list) entry.executor.slots.forEach((slot, s) => push(pool, entry.sourceKeys[s]!, slot))
    }

    const build = () =>
      described.map(({ exec, writers: own, sourceKeys, key, reused }, e): ExecutorEntry => {
        if (reused) return reused
        const slots = exec.sources.map((spec, s) => {
          const candidates = pool.get(sourceKeys[s]!) ?? []
          const index = candidates.findIndex((slot) => slot.source.constructor === spec.cls)
          const old = index >= 0 ? candidates.splice(index, 1)[0] : undefined
          if (old) return { ...old, id: spec.path }
          const slot = this.slot(config, exec, spec)
          newSources.push(slot.source)
          return slot
        })
        const board = this.options.status
        const executor: Executor = new Executor({
          collection: exec.collection,
          tickTimeMs: exec.tickTime * 1000,
          threads: exec.threads,
          slots,
          writers: own,
          log: this.log.child(`executors[${e}]`),
          selfMetrics: this.selfMetrics,
          now: () => this.clock.now(),
          wallNow: () => this.clock.wallNow(),
          onResult: board && ((result, ms) => board.probed(result, ms)),
          onTick: board && ((tick) => board.ticked(executor, tick)),
        })
        const job: Job = { name: executor.collection, intervalMs: executor.tickTimeMs, run: () => executor.tick() }
        return { key, executor, job, sourceKeys }
      })
    try {
      return { writers, newWriters, entries: build(), newSources }
    } catch (error) {
      for (const source of newSources)
        Promise.resolve()
          .then(() => source.close())
          .catch(() => {})
      throw error
    }
  }

  private slot(config: LoadedConfig, exec: ExecutorSpec, spec: SourceSpec): SourceSlot {
    const { ctx, setSignal } = createSourceContext({
      log: this.log.child(`${exec.collection}.${spec.type}${spec.config.name ? "." + spec.config.name : ""}`),
      stateDir: config.stateDir,
      configDir: config.configDir,
      compat: config.compat,
    })
    // Never faster than the executor's timer (config validation warns).
    const tickTime = Math.max(spec.config.tickTime ?? exec.tickTime, exec.tickTime)
    // A tick waits for its slowest probe: a default timeout longer than the executor's tick
    // (Http's 15 s under a 10 s tick) would make one hanging server skip every other tick.
    const timeout = spec.config.timeout ?? Math.min(spec.cls.defaultTimeout ?? tickTime, exec.tickTime)
    return {
      id: spec.path,
      type: spec.type,
      name: spec.config.name,
      labels: spec.config.labels ?? {},
      source: new spec.cls(spec.config, ctx),
      setSignal,
      tickTimeMs: tickTime * 1000,
      timeoutMs: timeout * 1000,
    }
  }

  /** Starts every writer; throws WriterStartError naming the first that cannot. */
  async startWriters(): Promise<void> {
    const failed = await startAll(this.writers, true)
    if (failed) throw failed
  }

  async start(): Promise<void> {
    await this.startWriters()
    this.scheduler.start()
  }

  /**
   * Swaps in `next` (a validated config) while running. Unchanged writers, sources and
   * executors keep their instances and state; changed ones are rebuilt, removed ones stop
   * (after their tick in progress finished with the old set: writers flushed, sources closed,
   * their series gone from partial writers such as the exporter). New writers start before
   * removed ones stop; one that cannot start (port in use) fails the whole reload with a
   * WriterStartError and the old config keeps running. The exception: a new writer that fails
   * while a removed writer of its type is running (an exporter on the same port with other
   * options) is tried again once that one has stopped; if it fails again, that one is started
   * again.
   */
  async reload(next: LoadedConfig, waitMs = 10_000): Promise<ReloadSummary> {
    const before = this.entries
    let plan: Plan
    try {
      plan = this.plan(next, { writers: this.writerMap, entries: before })
    } catch (error) {
      // A source or writer constructor threw: nothing of the new config runs.
      throw new Error(`cannot build the new config: ${errorMessage(error)}`)
    }
    const kept = new Set(plan.entries)
    const gone = before.filter((entry) => !kept.has(entry))
    const nextWriters = new Set(plan.writers.values())
    const goneWriters = this.writers.filter((writer) => !nextWriters.has(writer))
    const keptSlots = plan.entries.flatMap((entry) => entry.executor.slots)
    const keptSources = new Set(keptSlots.map((slot) => slot.source))
    const goneSources = before.flatMap((entry) => entry.executor.slots.map((slot) => slot.source)).filter((s) => !keptSources.has(s))
    const abandon = async (started: Writer[]) => {
      await this.release(started, plan.newSources, waitMs)
    }
    const unschedule = () => Promise.all(gone.map((entry) => this.scheduler.remove(entry.job)))

    let failure = await startAll(plan.newWriters, false)
    let stoppedEarly: Writer[] = []
    if (failure) {
      const failedType = failure.writer.config.type
      stoppedEarly = goneWriters.filter((writer) => writer.config.type === failedType)
      const started = plan.newWriters.filter((writer) => !failure!.failed.includes(writer))
      if (!stoppedEarly.length) {
        await abandon(started)
        throw failure
      }
      this.log.info(`${failure.message}; stopping the ${failedType} writer it replaces first, then trying again`)
      // The tick in progress of the executors going away finishes with the old writers first.
      await unschedule()
      await this.release(stoppedEarly, [], waitMs)
      const retry = await startAll(failure.failed, false)
      if (retry) {
        await abandon([...started, ...failure.failed.filter((writer) => !retry.failed.includes(writer))])
        for (const writer of stoppedEarly) {
          await Promise.resolve()
            .then(() => writer.start())
            .catch((error) => this.log.error(`writer ${writer.config.type}: cannot start again: ${errorMessage(error)}`))
        }
        for (const entry of gone) this.scheduler.add(entry.job)
        throw retry
      }
      failure = undefined
    }

    await unschedule()
    // A source gone (or moved to another path) leaves nothing behind in partial writers (the
    // exporter): an empty result under its old id removes its series.
    const stillThere = new Map(keptSlots.map((slot) => [slot.id, slot.source]))
    const time = Math.floor(this.clock.wallNow() / 1000)
    for (const entry of gone) {
      const partial = entry.executor.writers.filter((writer) => writer.partial && nextWriters.has(writer))
      for (const slot of entry.executor.slots) {
        if (stillThere.get(slot.id) === slot.source) continue
        const result = emptyResult(slot, entry.executor.collection, time)
        for (const writer of partial) {
          await settle(
            () => writer.write([result]),
            waitMs,
            (e) => this.log.warn(`writer ${writer.config.type}: ${errorMessage(e)}`),
          )
        }
      }
    }

    this.writerMap = plan.writers
    this.entries = plan.entries
    const old = new Set(before)
    for (const entry of plan.entries) if (!old.has(entry)) this.scheduler.add(entry.job)
    await this.release(
      goneWriters.filter((writer) => !stoppedEarly.includes(writer)),
      goneSources,
      waitMs,
    )
    // pollect_probe_* of sources no longer configured go too.
    const collections = new Map<string, Set<string>>()
    for (const entry of plan.entries) {
      const names = collections.get(entry.executor.collection) ?? new Set<string>()
      for (const slot of entry.executor.slots) names.add(slot.name ? `${slot.type}.${slot.name}` : slot.type)
      collections.set(entry.executor.collection, names)
    }
    this.selfMetrics.retainProbes((collection, source) => collections.get(collection)?.has(source) ?? false)
    this.options.status?.retain(new Set(keptSlots.map((slot) => slot.id)))

    const reusedEntries = plan.entries.filter((entry) => old.has(entry)).length
    return {
      executors: { kept: reusedEntries, rebuilt: plan.entries.length - reusedEntries },
      sources: { kept: keptSlots.length - plan.newSources.length, added: plan.newSources.length, removed: goneSources.length },
      writers: { kept: plan.writers.size - plan.newWriters.length, added: plan.newWriters.length, removed: goneWriters.length },
    }
  }

  /** Stops (flushes) writers and closes sources, each bounded by `waitMs`, never throwing. */
  private async release(writers: Writer[], sources: Source[], waitMs: number): Promise<void> {
    await Promise.all(
      writers.map((writer) =>
        settle(
          () => writer.stop(),
          waitMs,
          (e) => this.log.warn(`writer ${writer.config.type}: stop failed: ${errorMessage(e)}`),
        ),
      ),
    )
    await Promise.all(
      sources.map((source) =>
        settle(
          () => source.close(),
          waitMs,
          () => {},
        ),
      ),
    )
  }

  /** One tick of every executor with every source, as `--once`. True when no probe failed. */
  async runOnce(): Promise<boolean> {
    const reports = await Promise.all(this.executors.map((executor) => executor.tick({ all: true })))
    return reports.every((report) => report.failed === 0)
  }

  /** Stops the timers, lets running ticks finish (bounded), then flushes and closes writers and sources. */
  async stop(waitMs = 10_000): Promise<void> {
    if (!(await this.scheduler.stop(waitMs))) this.log.warn(`ticks still running after ${waitMs / 1000} s; stopping anyway`)
    await this.release(
      this.writers,
      this.executors.flatMap((executor) => executor.slots.map((slot) => slot.source)),
      waitMs,
    )
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list) list.push(value)
  else map.set(key, [value])
}

/**
 * Starts writers in order. Returns undefined when all started; otherwise a WriterStartError for
 * the first that could not, with every one that could not (`stopAtFirst`: only that one).
 */
async function startAll(
  writers: Writer[],
  stopAtFirst: boolean,
): Promise<(WriterStartError & { writer: Writer; failed: Writer[] }) | undefined> {
  let first: (WriterStartError & { writer: Writer; failed: Writer[] }) | undefined
  for (const writer of writers) {
    try {
      await writer.start()
    } catch (error) {
      if (!first)
        first = Object.assign(new WriterStartError(`writer ${writer.config.type} cannot start: ${errorMessage(error)}`), {
          writer,
          failed: [] as Writer[],
        })
      first.failed.push(writer)
      if (stopAtFirst) break
    }
  }
  return first
}

/** Runs `fn`, never longer than `ms` (then silently given up on), never throwing. */
async function settle(fn: () => unknown, ms: number, onError: (error: unknown) => void): Promise<void> {
  const gaveUp = new Error("gave up")
  try {
    await withDeadline(fn, ms, () => gaveUp)
  } catch (error) {
    if (error !== gaveUp) onError(error)
  }
}
