/**
 * The last hour of one series for the status page's sparkline: one value per minute (the last
 * one seen in that minute) in a fixed Float32Array of 60 slots, NaN where nothing came. 240 bytes
 * of values per series, about 330 with the object: 10k series cost some 3.3 MB.
 *
 * @example
 * const h = new MinuteHistory()
 * h.record(Date.now(), 0.42)
 * h.series(Date.now()) // 60 numbers, oldest first, NaN for minutes without a value
 */
export const HISTORY_MINUTES = 60

export class MinuteHistory {
  private readonly values = new Float32Array(HISTORY_MINUTES).fill(Number.NaN)
  /** The minute (Unix ms / 60000) of the newest slot written; -Infinity before the first. */
  private last = Number.NEGATIVE_INFINITY

  record(atMs: number, value: number): void {
    const minute = Math.floor(atMs / 60_000)
    if (minute < this.last - (HISTORY_MINUTES - 1)) return // older than the window
    if (minute > this.last) {
      // Minutes that passed without a value are gaps, not the old hour's numbers.
      const gap = Math.min(minute - (Number.isFinite(this.last) ? this.last : minute - HISTORY_MINUTES), HISTORY_MINUTES)
      for (let i = 1; i < gap; i++) this.values[(minute - i) % HISTORY_MINUTES] = Number.NaN
      this.last = minute
    }
    this.values[minute % HISTORY_MINUTES] = value
  }

  /** The 60 minutes up to `nowMs`, oldest first; NaN where no value came. */
  series(nowMs: number): number[] {
    const now = Math.floor(nowMs / 60_000)
    const out: number[] = []
    for (let minute = now - HISTORY_MINUTES + 1; minute <= now; minute++) {
      const fresh = minute <= this.last && minute > this.last - HISTORY_MINUTES
      out.push(fresh ? (this.values[minute % HISTORY_MINUTES] as number) : Number.NaN)
    }
    return out
  }
}
