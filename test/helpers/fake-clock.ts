import type { Clock } from "../../src/core/scheduler.ts"

/** A clock whose time moves only when the test says so; due timers fire in order. */
export class FakeClock implements Clock {
  private time = 0
  private seq = 0
  private timers: { at: number; seq: number; fn: () => void }[] = []

  constructor(private readonly wallBase = 1_700_000_000_000) {}

  now = () => this.time
  wallNow = () => this.wallBase + this.time
  setTimeout = (fn: () => void, ms: number) => {
    const timer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn }
    this.timers.push(timer)
    return timer
  }
  clearTimeout = (handle: unknown) => {
    this.timers = this.timers.filter((t) => t !== handle)
  }

  /** Moves time without firing timers, as a suspended host does; they fire late on the next advance(). */
  jump(ms: number): void {
    this.time += ms
  }

  /** Moves time forward, firing each due timer at its own time and letting promises settle between. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    await settle()
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
      const next = this.timers[0]
      if (!next || next.at > end) break
      this.timers.shift()
      this.time = Math.max(this.time, next.at)
      next.fn()
      await settle()
    }
    this.time = end
    await settle()
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}
