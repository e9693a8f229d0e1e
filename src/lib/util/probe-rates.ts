/**
 * Rates for one probe of items that come and go (interfaces, disks): a key not rated in this
 * probe is forgotten at `done()`, so an item that comes back starts afresh (no rate) instead of
 * getting one that spans its absence, and the tracker does not grow with every item ever seen.
 */
import type { RateOptions, RateTracker } from "../../api.ts"

export interface ProbeRates {
  rate(key: string, value: number | bigint, options?: RateOptions): number | undefined
  /** Forgets every key not rated since this object was made. */
  done(): void
}

export function probeRates(tracker: RateTracker): ProbeRates {
  const seen = new Set<string>()
  return {
    rate(key, value, options) {
      seen.add(key)
      return tracker.rate(key, value, options)
    },
    done() {
      tracker.retain((key) => seen.has(key))
    },
  }
}
