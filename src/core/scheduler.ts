/**
 * One timer per job. The first run is at start; later runs land on wall-clock multiples of the
 * interval (a 10 s job at :00, :10, ...; the first at least half an interval after start) so
 * collections line up, and are then kept in step by a monotonic clock, immune to clock changes. A run that is still going when the next is due
 * makes that next run skip (counted), so runs of one job never overlap. Jobs can be added and
 * removed while running (a config reload); a removed job's run in progress is let finish.
 */

export interface Clock {
  /** Monotonic milliseconds. */
  now(): number
  /** Wall-clock milliseconds. */
  wallNow(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface Job {
  name: string
  intervalMs: number
  run(): Promise<unknown>
}

export class Scheduler {
  private readonly timers = new Map<Job, unknown>()
  private readonly running = new Map<Job, Promise<unknown>>()
  private readonly jobs: Set<Job>
  private stopped = true

  constructor(
    jobs: Job[],
    private readonly onSkip: (job: Job) => void = () => {},
    private readonly clock: Clock = systemClock,
  ) {
    this.jobs = new Set(jobs)
  }

  start(): void {
    this.stopped = false
    for (const job of this.jobs) this.begin(job)
  }

  /** Adds a job; once started, its first run is now, as the jobs' at start. */
  add(job: Job): void {
    if (this.jobs.has(job)) return
    this.jobs.add(job)
    if (!this.stopped) this.begin(job)
  }

  /** Removes a job: it runs no more; resolves when its run in progress (if any) has finished. */
  async remove(job: Job): Promise<void> {
    this.jobs.delete(job)
    const timer = this.timers.get(job)
    if (timer !== undefined) this.clock.clearTimeout(timer)
    this.timers.delete(job)
    await this.running.get(job)
  }

  private begin(job: Job): void {
    const interval = Math.max(1, job.intervalMs)
    // Monotonic time of the first wall-aligned boundary after now; one less than half an
    // interval away is covered by the run at start (it would only skip or probe nothing).
    const wall = this.clock.wallNow()
    let untilBoundary = interval - (wall % interval)
    if (untilBoundary < interval / 2) untilBoundary += interval
    const base = this.clock.now() + untilBoundary
    this.fire(job)
    this.arm(job, base, interval, 0)
  }

  /** Arms boundary `k` (base + k·interval), or a later one if the host was suspended past it. */
  private arm(job: Job, base: number, interval: number, k: number): void {
    if (this.stopped || !this.jobs.has(job)) return
    const now = this.clock.now()
    const next = Math.max(k, Math.ceil((now - base) / interval))
    this.timers.set(
      job,
      this.clock.setTimeout(
        () => {
          this.fire(job)
          this.arm(job, base, interval, next + 1)
        },
        Math.max(0, base + next * interval - now),
      ),
    )
  }

  private fire(job: Job): void {
    if (this.stopped || !this.jobs.has(job)) return
    if (this.running.has(job)) {
      this.onSkip(job)
      return
    }
    const run = job
      .run()
      .catch(() => {})
      .finally(() => this.running.delete(job))
    this.running.set(job, run)
  }

  /** Stops the timers; resolves when running jobs have finished or `waitMs` has passed. */
  async stop(waitMs = 10_000): Promise<boolean> {
    this.stopped = true
    for (const handle of this.timers.values()) this.clock.clearTimeout(handle)
    this.timers.clear()
    if (!this.running.size) return true
    let timer: unknown
    const timeout = new Promise<false>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), waitMs)))
    const done = Promise.all(this.running.values()).then(() => true)
    const finished = await Promise.race([done, timeout])
    this.clock.clearTimeout(timer)
    return finished
  }

  get isRunning(): boolean {
    return this.running.size > 0
  }
}
