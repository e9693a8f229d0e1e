/**
 * Builds the running daemon from a validated config: writers (identical configs share one
 * instance), sources with their contexts, one executor per config executor, one scheduler.
 */
import type { LoadedConfig } from "./config/index.ts"
import type { WriterSpec } from "./config/schema.ts"
import { withDeadline } from "./core/deadline.ts"
import { Executor, type SourceSlot } from "./core/executor.ts"
import { errorMessage, type Logger } from "./core/log.ts"
import type { Writer } from "./core/plugin.ts"
import { Scheduler, systemClock, type Clock } from "./core/scheduler.ts"
import { SelfMetrics } from "./core/self-metrics.ts"
import { createSourceContext } from "./core/source-context.ts"
import { DryRunWriter } from "./writers/dry-run/index.ts"

export interface AgentOptions {
  log: Logger
  /** Every writer replaced by DryRun. */
  dryRun?: boolean
  /** One tick then exit (`--once`). */
  once?: boolean
  clock?: Clock
}

/** A writer that failed to start: the message names it (port in use, ...). */
export class WriterStartError extends Error {
  override name = "WriterStartError"
}

const DRY_RUN_SPEC: WriterSpec = {
  path: "--dry-run",
  type: "DryRun",
  cls: DryRunWriter,
  config: { type: "DryRun" },
  key: '{"type":"DryRun"}',
}

export class Agent {
  readonly selfMetrics = new SelfMetrics()
  readonly executors: Executor[]
  readonly writers: Writer[]
  private readonly scheduler: Scheduler
  private readonly log: Logger

  constructor(
    config: LoadedConfig,readonly options: AgentOptions,
  ) {
    this.log = options.log
    const clock = options.clock ?? systemClock
    const writers = new Map<string, Writer>()
    const writerFor = (spec: WriterSpec) => {
      let writer = writers.get(spec.key)
      if (!writer) {
        const ctx = {
          log: this.log.child(spec.type),
          stateDir: config.stateDir,
          configDir: config.configDir,
          selfMetrics: this.selfMetrics,
          once: options.once ?? false,
        }
        writer = new spec.cls(spec.config, ctx)
        writers.set(spec.key, writer)
      }
      return writer
    }

    this.executors = config.executors.map((exec, e) => {
      const tickTimeMs = exec.tickTime * 1000
      const slots: SourceSlot[] = exec.sources.map((spec) => {
        const { ctx, setSignal } = createSourceContext({
          log: this.log.child(`${exec.collection}.${spec.type}${spec.config.name ? "." + spec.config.name : ""}`),
          stateDir: config.stateDir,
          configDir: config.configDir,
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
      })
      const specs = options.dryRun || !exec.writers.length ? [DRY_RUN_SPEC] : exec.writers
      return new Executor({
        collection: exec.collection,
        tickTimeMs,
        threads: exec.threads,
        slots,
        writers: specs.map(writerFor),
        log: this.log.child(`executors[${e}]`),
        selfMetrics: this.selfMetrics,
        now: () => clock.now(),
        wallNow: () => clock.wallNow(),
      })
    })
    this.writers = [...writers.values()]
    this.scheduler = new Scheduler(
      this.executors.map((executor) => ({ name: executor.collection, intervalMs: executor.tickTimeMs, run: () => executor.tick() })),
      (job) => {
        this.selfMetrics.tickSkipped(job.name)
        this.log.warn(
          `${job.name}: tick skipped, the previous one is still running (${this.selfMetrics.ticksSkippedFor(job.name)} skipped so far)`,
        )
      },
      clock,
    )
  }

  /** Starts every writer; throws WriterStartError naming the first that cannot. */
  async startWriters(): Promise<void> {
    for (const writer of this.writers) {
      try {
        await writer.start()
      } catch (error) {
        throw new WriterStartError(`writer ${writer.config.type} cannot start: ${errorMessage(error)}`)
      }
    }
  }

  async start(): Promise<void> {
    await this.startWriters()
    this.scheduler.start()
  }

  /** One tick of every executor with every source, as `--once`. True when no probe failed. */
  async runOnce(): Promise<boolean> {
    const reports = await Promise.all(this.executors.map((executor) => executor.tick({ all: true })))
    return reports.every((report) => report.failed === 0)
  }

  /** Stops the timers, lets running ticks finish (bounded), then flushes and closes writers and sources. */
  async stop(waitMs = 10_000): Promise<void> {
    if (!(await this.scheduler.stop(waitMs))) this.log.warn(`ticks still running after ${waitMs / 1000} s; stopping anyway`)
    await Promise.all(
      this.writers.map((writer) =>
        settle(
          () => writer.stop(),
          waitMs,
          (e) => this.log.warn(`writer ${writer.config.type}: stop failed: ${errorMessage(e)}`),
        ),
      ),
    )
    await Promise.all(
      this.executors.flatMap((executor) =>
        executor.slots.map((slot) =>
          settle(
            () => slot.source.close(),
            waitMs,
            () => {},
          ),
        ),
      ),
    )
  }
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
