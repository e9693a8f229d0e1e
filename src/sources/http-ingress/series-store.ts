/**
 * The pushed values, kept between ticks: per metric, per label set, the current value. A push
 * is applied whole or not at all (`apply` checks the series bound for every update first), and
 * JavaScript runs it without interruption, so concurrent pushes never interleave.
 */
import { type MetricDefinition, PushError, type Update } from "./update.ts"

interface Series {
  readonly labelValues: readonly string[]
  value: number
}

export class SeriesStore {
  private readonly series = new Map<string, Map<string, Series>>()

  constructor(
    private readonly definitions: ReadonlyMap<string, MetricDefinition>,
    /** Most label sets one metric may hold; a push that would create more is refused. */
    private readonly maxSeries: number,
  ) {
    for (const name of definitions.keys()) this.series.set(name, new Map())
  }

  /** Applies every update (counters add, gauges set), or none when one would exceed the bound. */
  apply(updates: readonly Update[]): void {
    const added = new Map<string, Set<string>>()
    for (const update of updates) {
      const key = seriesKey(update.labelValues)
      if (this.series.get(update.metric)!.has(key)) continue
      let fresh = added.get(update.metric)
      if (!fresh) added.set(update.metric, (fresh = new Set()))
      fresh.add(key)
    }
    for (const [metric, fresh] of added) {
      const total = this.series.get(metric)!.size + fresh.size
      if (total > this.maxSeries)
        throw new PushError(
          400,
          `metric ${metric} would have ${total} series, more than maxSeries (${this.maxSeries}); nothing was updated`,
          "too many series",
        )
    }
    for (const update of updates) {
      const map = this.series.get(update.metric)!
      const key = seriesKey(update.labelValues)
      const current = map.get(key)
      const counter = this.definitions.get(update.metric)!.type === "counter"
      if (current) current.value = counter ? current.value + update.value : update.value
      else map.set(key, { labelValues: update.labelValues, value: update.value })
    }
  }

  /** The current series of `metric`, in the order they first appeared. */
  list(metric: string): { labelValues: readonly string[]; value: number }[] {
    return [...(this.series.get(metric)?.values() ?? [])]
  }
}

function seriesKey(labelValues: readonly string[]): string {
  return JSON.stringify(labelValues)
}
