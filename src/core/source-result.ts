import type { ValueSet } from "./value-set.ts"

/** One source's outcome in one tick, named but not yet turned into metric names (naming.ts does that). */
export interface SourceResult {
  /** Stable per source instance across ticks: `executors[0].sources[2]`. */
  id: string
  collection: string
  /** The config's `type` as the user wrote it (`LoadAvg`, `Fritz`); names are made from it. */
  type: string
  name?: string
  /** Static labels from the source's config. */
  labels: Record<string, string>
  /** Unix seconds of the tick. */
  time: number
  /**
   * Unix milliseconds of the tick, for push stores that refuse two samples of one series in one
   * second (a 0.5 s executor); absent in results made by hand: read it with `resultTimeMs()`.
   */
  timeMs?: number
  sets: ValueSet[]
  /** Set when the probe failed or timed out; `sets` is empty then. */
  error?: string
  /** The source's probe timeout, seconds (writers use it to age out values of a failing source). */
  timeoutSeconds: number
}

/** `pollect Http "local" (executors[0].sources[1])`: a source as the log names it. */
export function describeSource(source: { id: string; collection: string; type: string; name?: string }): string {
  return `${source.collection} ${source.type}${source.name ? ` "${source.name}"` : ""} (${source.id})`
}

/** The tick's time in Unix milliseconds (`timeMs`, or `time` in whole seconds when absent). */
export function resultTimeMs(result: Pick<SourceResult, "time" | "timeMs">): number {
  return result.timeMs ?? result.time * 1000
}
