/**
 * The plugin contract: what a source or writer is, and what it gets from pollect. Built-ins and
 * extensions use exactly this API (extensions import it as `import { Source } from "pollect"`).
 */
import * as v from "valibot"
import type { Logger } from "./log.ts"
import type { RateTracker } from "./rate.ts"
import type { SelfMetrics } from "./self-metrics.ts"
import type { SourceResult } from "./source-result.ts"
import type { ProbeResult } from "./value-set.ts"
import type { SpawnOptions, SpawnResult } from "./spawn.ts"
import type { MetricSpecs } from "./metrics.ts"

/** Keys every source accepts besides its own. */
export interface CommonSourceOptions {
  type: string
  name?: string
  labels?: Record<string, string>
  /** Seconds between probes of this source; a multiple of its executor's tickTime. */
  tickTime?: number
  /** Seconds a probe may take; default: the tick time. */
  timeout?: number
}

export interface SourceContext {
  readonly log: Logger
  /** Aborted at the current probe's deadline; pass it to anything that waits. */
  readonly signal: AbortSignal
  /**
   * The current probe's timeout in ms (when `signal` aborts), as the executor armed it;
   * undefined outside the executor (a source built by hand). A source that reports something
   * for a request that did not finish (Http's timeout value) gives up a little before it.
   */
  readonly timeoutMs?: number
  /** Folder beside the config (or `stateDir`) for token caches and downloads. */
  readonly stateDir: string
  /** Folder of the config file; relative paths in options resolve against it. */
  readonly configDir: string
  /** Counter → per-second conversion with wrap-around, private to this source. */
  readonly rate: RateTracker
  /** Runs a tool with an argument array, killed at the probe's deadline. */
  spawn(argv: string[], options?: SpawnOptions): Promise<SpawnResult>
  /** fetch() that gives up at the probe's deadline. */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>
  /** Masks `value` (a password, a token) in every log line from now on. */
  registerSecret(value: string): void
  /** The config's top-level `compat`: whose metric names to give where pollect 1.0 and 1.2 differ. */
  readonly compat: "1.0" | "1.2"
}

export interface WriterContext {
  readonly log: Logger
  readonly stateDir: string
  readonly configDir: string
  readonly selfMetrics: SelfMetrics
  /** Set by `--dry-run` or `--once`: the process exits after the first flush. */
  readonly once: boolean
}

/** A valibot schema of a plugin's own options (an object schema; unknown keys are ignored). */
export type OptionsSchema = v.GenericSchema<Record<string, unknown>, object>

export abstract class Source<Options extends object = object> {
  /** The source's own keys; the common keys (`type`, `name`, ...) are checked by pollect. */
  static readonly options: OptionsSchema = v.object({})
  /** What the source emits (value names, labels, unit, kind, help); the docs' tables are made from it. */
  static readonly metrics: MetricSpecs = {}

  constructor(
    readonly config: Options & CommonSourceOptions,
    readonly ctx: SourceContext,
  ) {}

  /** Probes once. Throw (or reject) to report a failure; the tick goes on without this source. */
  abstract probe(): ProbeResult | Promise<ProbeResult>

  /** Releases sockets, sessions and the like at shutdown. */
  close(): void | Promise<void> {}
}

/** What a writer says of itself on the status page (`pollect status`, `/status.json`). */
export interface WriterStatus {
  /** `ok`: delivering or serving; `connecting`; `retrying`: its peer is away, it backs off; `stopped`. */
  state: "ok" | "connecting" | "retrying" | "stopped"
  /** One line for a person: `serving 0.0.0.0:8080/metrics`, `127.0.0.1:2004 (pickle)`. */
  detail?: string
  /** The last delivery problem, as its log line says it (secrets masked by the status page). */
  lastError?: string
}

export abstract class Writer<Options extends object = object> {
  static readonly options: OptionsSchema = v.object({})

  /** True: gets each source's result as it lands (and failures); false: the merged tick. */
  readonly partial: boolean = false

  constructor(
    readonly config: Options & { type: string },
    readonly ctx: WriterContext,
  ) {}

  /** Opens ports and connections. Throwing here stops pollect at start with exit code 2. */
  start(): void | Promise<void> {}

  abstract write(results: SourceResult[]): void | Promise<void>

  /** Flushes what is buffered and closes. */
  stop(): void | Promise<void> {}

  /** Its state for the status page; a writer without it shows as `ok`. Queue depth and drops come from its self-metrics. */
  status?(): WriterStatus
}

export interface SourceClass {
  new (config: any, ctx: SourceContext): Source<any>
  readonly options: OptionsSchema
  readonly metrics?: MetricSpecs
  /** Probe timeout in seconds when the config sets none; otherwise the tick time. */
  readonly defaultTimeout?: number
}

export interface WriterClass {
  new (config: any, ctx: WriterContext): Writer<any>
  readonly options: OptionsSchema
}
