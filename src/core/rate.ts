/**
 * Counter → per-second rate, the one place that does it. Elapsed time comes from a monotonic
 * clock; a counter that went down is a wrap-around when it was near the top of its range
 * (32 or 64 bit), otherwise a reset (agent restart, interface re-created): then no rate is
 * emitted and the new value becomes the baseline. The first sample emits no rate either.
 */

const TWO_32 = 2n ** 32n
const TWO_64 = 2n ** 64n

export type CounterWidth = 32 | 64

interface Sample {
  value: bigint
  at: number
}

export interface RateOptions {
  /** Counter width; unknown → 32 if the previous value fits in 32 bits, else 64. */
  bits?: CounterWidth
}

export class RateTracker {
  private readonly samples = new Map<string, Sample>()

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Per-second rate of `key` since its previous sample, or undefined (first sample, reset, no time elapsed). */
  rate(key: string, value: number | bigint, options: RateOptions = {}): number | undefined {
    const current: Sample = { value: toBigInt(value), at: this.now() }
    const previous = this.samples.get(key)
    const elapsedMs = previous ? current.at - previous.at : 0
    if (previous && elapsedMs <= 0) return undefined // keep the older baseline
    this.samples.set(key, current)
    if (!previous) return undefined
    const delta = counterDelta(previous.value, current.value, options.bits)
    if (delta === undefined) return undefined
    return (Number(delta) * 1000) / elapsedMs
  }

  /** Forgets keys not seen in `keep` (a device or interface that disappeared). */
  retain(keep: (key: string) => boolean): void {
    for (const key of this.samples.keys()) if (!keep(key)) this.samples.delete(key)
  }

  get size(): number {
    return this.samples.size
  }
}

/** Increase from `previous` to `current`, through one wrap-around if plausible; undefined for a reset. */
export function counterDelta(previous: bigint, current: bigint, bits?: CounterWidth): bigint | undefined {
  if (current >= previous) return current - previous
  const width = bits ?? (previous < TWO_32 ? 32 : 64)
  const range = width === 32 ? TWO_32 : TWO_64
  // A wrap leaves the old value in the top quarter and the new one in the bottom quarter.
  const wrapped = previous >= (range / 4n) * 3n && previous < range && current < range / 4n
  return wrapped ? range - previous + current : undefined
}

function toBigInt(value: number | bigint): bigint {
  if (typeof value === "bigint") return value
  if (!Number.isFinite(value)) throw new RangeError(`counter value is not finite: ${value}`)
  return BigInt(Math.trunc(value))
}
