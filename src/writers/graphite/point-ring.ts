/**
 * A bounded FIFO of points `(path, time, value)` kept in parallel arrays (no object per point).
 * When full, pushing drops the oldest point: a writer whose backend is down keeps the newest
 * `capacity` points. Storage grows by doubling up to `capacity`, so a small daemon never
 * allocates the whole buffer.
 */
export class PointRing {
  private paths: (string | undefined)[]
  private times: Float64Array
  private values: Float64Array
  private head = 0
  private size = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1")
    const initial = Math.min(capacity, 1024)
    this.paths = new Array(initial)
    this.times = new Float64Array(initial)
    this.values = new Float64Array(initial)
  }

  get length(): number {
    return this.size
  }

  /** Appends a point; returns true when that dropped the oldest one. */
  push(path: string, time: number, value: number): boolean {
    let dropped = false
    if (this.size === this.times.length) {
      if (this.size < this.capacity) this.grow()
      else {
        this.shift(1)
        dropped = true
      }
    }
    const slot = (this.head + this.size) % this.times.length
    this.paths[slot] = path
    this.times[slot] = time
    this.values[slot] = value
    this.size++
    return dropped
  }

  /** The i-th oldest point (0 = oldest); i must be below `length`. */
  path(i: number): string {
    return this.paths[(this.head + i) % this.times.length]!
  }

  time(i: number): number {
    return this.times[(this.head + i) % this.times.length]!
  }

  value(i: number): number {
    return this.values[(this.head + i) % this.times.length]!
  }

  /** Removes the `n` oldest points. */
  shift(n: number): void {
    n = Math.min(n, this.size)
    const cap = this.times.length
    for (let i = 0; i < n; i++) this.paths[(this.head + i) % cap] = undefined // let the strings go
    this.head = (this.head + n) % cap
    this.size -= n
  }

  private grow(): void {
    const cap = this.times.length
    const next = Math.min(this.capacity, cap * 2)
    const paths: (string | undefined)[] = new Array(next)
    const times = new Float64Array(next)
    const values = new Float64Array(next)
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) % cap
      paths[i] = this.paths[from]
      times[i] = this.times[from]!
      values[i] = this.values[from]!
    }
    this.paths = paths
    this.times = times
    this.values = values
    this.head = 0
  }
}
