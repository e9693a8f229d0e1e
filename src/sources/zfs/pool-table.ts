/**
 * The pools zpool iostat reported, bounded: per pool its latest capacity, the sum and count of
 * its interval rates since the last probe, and the rates the last probe reported. Nothing grows
 * with time; a pool that zpool stops reporting is dropped.
 *
 * zpool prints one report per interval: one line per pool, in a fixed order. A line for a pool
 * already in the report in progress starts the next report; a pool absent from the last finished
 * report and from the one in progress has been exported or destroyed.
 */
import type { IostatLine } from "./iostat-line.ts"

/** Read ops, write ops, read bytes, write bytes per second. */
export type Rates = [number, number, number, number]

interface PoolState {
  alloc: number
  free: number
  /** Lines of this pool since the child started: the first one is the average since import, not an interval. */
  lines: number
  sum: Rates
  count: number
  /** What the last probe reported; kept for a probe with no new interval since. */
  last?: Rates
}

export interface PoolReading {
  pool: string
  alloc: number
  free: number
  /** Undefined until one whole interval has been seen. */
  rates?: Rates
}

export class PoolTable {
  private readonly pools = new Map<string, PoolState>()
  private inProgress = new Set<string>()
  private finished = new Set<string>()

  /** Takes one parsed line. */
  add(line: IostatLine): void {
    if (this.inProgress.has(line.pool)) {
      this.finished = this.inProgress
      this.inProgress = new Set()
      for (const pool of this.pools.keys()) if (!this.finished.has(pool) && pool !== line.pool) this.pools.delete(pool)
    }
    this.inProgress.add(line.pool)
    let state = this.pools.get(line.pool)
    if (!state) {
      state = { alloc: 0, free: 0, lines: 0, sum: [0, 0, 0, 0], count: 0 }
      this.pools.set(line.pool, state)
    }
    state.alloc = line.alloc
    state.free = line.free
    state.lines++
    if (state.lines === 1) return
    for (let i = 0; i < 4; i++) state.sum[i]! += line.rates[i]!
    state.count++
  }

  /** A new child: its first line per pool is again the average since import. */
  restarted(): void {
    for (const state of this.pools.values()) state.lines = 0
    this.inProgress = new Set()
    this.finished = new Set()
  }

  /** Forgets every pool (the child died: what it said is getting old). */
  clear(): void {
    this.pools.clear()
    this.restarted()
  }

  get size(): number {
    return this.pools.size
  }

  /**
   * Each pool's capacity and its rates averaged over the intervals since the last call; with no
   * new interval since (a tick shorter than the interval), the previous average again.
   */
  take(): PoolReading[] {
    const readings: PoolReading[] = []
    for (const [pool, state] of this.pools) {
      if (state.count > 0) {
        state.last = state.sum.map((sum) => sum / state.count) as Rates
        state.sum = [0, 0, 0, 0]
        state.count = 0
      }
      readings.push({ pool, alloc: state.alloc, free: state.free, rates: state.last })
    }
    return readings.sort((a, b) => (a.pool < b.pool ? -1 : a.pool > b.pool ? 1 : 0))
  }
}
