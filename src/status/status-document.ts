/**
 * `/status.json`: the document the status page, `pollect status` and scripts read. Field names
 * are stable (docs/status.md); new fields may be added, none renamed or removed without a major
 * version. Times are Unix milliseconds, durations milliseconds.
 */

export interface StatusDocument {
  /** The document's version: 1. */
  schema: 1
  pollect: {
    version: string
    /** When this process started. */
    startedAt: number
    uptimeSeconds: number
    /** The config file, or null for the embedded default config. */
    configFile: string | null
    /** When the config was loaded or last reloaded (SIGHUP). */
    configLoadedAt: number
    reloads: { success: number; failure: number }
  }
  /** When the document was made. */
  now: number
  executors: ExecutorStatus[]
  sources: SourceStatus[]
  writers: WriterStatusEntry[]
  /** Series whose last hour is kept for the sparklines, and the limit (`status.historySeries`). */
  history: { series: number; limit: number; minutes: number }
}

export interface ExecutorStatus {
  /** `executors[0]` */
  id: string
  collection: string
  tickSeconds: number
  /** The last tick's start, null before the first. */
  lastTickAt: number | null
  lastTickMs: number | null
  ticks: number
  ticksSkipped: number
  sources: number
}

export type SourceState = "ok" | "failing" | "pending"

export interface SourceStatus {
  /** `executors[0].sources[2]`: where it is in the config. */
  id: string
  collection: string
  type: string
  name: string | null
  /** pending: not probed yet; ok: the last probe succeeded; failing: it failed (since `since`). */
  state: SourceState
  /** When the current state began (the first failure of a run of failures, the first success after). */
  since: number | null
  /** The last probe's error, secrets masked. */
  lastError: string | null
  lastProbeAt: number | null
  lastProbeMs: number | null
  probes: number
  errors: number
  /** The values of the last successful probe. */
  values: SeriesStatus[]
}

export interface SeriesStatus {
  /** The Graphite path: unique per value. */
  path: string
  /** The value's name within its source (the path after the source's prefix). */
  name: string
  labels: Record<string, string>
  value: number
  /** The declared base unit (bytes, seconds, celsius, ratio, ...), null when none. */
  unit: string | null
  kind: "gauge" | "counter" | null
  /** One value per minute over the last hour, oldest first, null for minutes without one (only with `?history=1`). */
  history?: (number | null)[]
}

export interface WriterStatusEntry {
  type: string
  state: "ok" | "connecting" | "retrying" | "stopped"
  detail: string | null
  lastError: string | null
  /** From its self-metrics: what waits in its queue, what it gave up, what it delivered. */
  queuePoints: number | null
  queueBytes: number | null
  pointsDropped: number
  pointsSent: number | null
}
