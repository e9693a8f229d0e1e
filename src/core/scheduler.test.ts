import { describe, expect, it } from "bun:test"
import { Scheduler, systemClock, type Job } from "./scheduler.ts"
import { FakeClock } from "../../test/helpers/fake-clock.ts"

/** A job whose runs the test finishes by hand. */
function manualJob(clock: FakeClock, intervalMs: number) {
  const starts: number[] = []
  const pending: (() => void)[] = []
  const job: Job = {
    name: "pollect",
    intervalMs,
    run: () => {
      starts.push(clock.now())
      return new Promise<void>((resolve) => pending.push(resolve))
    },
  }
  return { job, starts, finishAll: () => pending.splice(0).forEach((resolve) => resolve()) }
}

describe("Scheduler", () => {
  it("runs at start, then on wall-clock multiples of the interval", async () => {
    // Wall clock 3 s past a 10 s boundary: the second run comes 7 s after start.
    const clock = new FakeClock(1_700_000_003_000)
    const { job, starts, finishAll } = manualJob(clock, 10_000)
    const scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    expect(starts).toEqual([0])
    finishAll()
    await clock.advance(6_999)
    expect(starts).toEqual([0])
    await clock.advance(1)
    finishAll()
    await clock.advance(10_000)
    finishAll()
    await clock.advance(10_000)
    finishAll()
    expect(starts).toEqual([0, 7_000, 17_000, 27_000])
    await scheduler.stop()
  })

  it("started just before a boundary, the run at start stands for it: no second run (or skip) right after", async () => {
    // Wall clock 9.999 s past a 10 s boundary, the first run takes 100 ms.
    const clock = new FakeClock(1_700_000_009_999)
    const { job, starts, finishAll } = manualJob(clock, 10_000)
    const skipped: string[] = []
    const scheduler = new Scheduler([job], (j) => skipped.push(j.name), clock)
    scheduler.start()
    await clock.advance(100)
    finishAll()
    await clock.advance(10_000)
    finishAll()
    expect(skipped).toEqual([])
    expect(starts).toEqual([0, 10_001])
    await scheduler.stop()
  })

  it("started exactly half an interval before a boundary, the next run is at that boundary", async () => {
    // Wall clock 5 s past a 10 s boundary: the boundary 5 s away is half an interval, which is far enough.
    const clock = new FakeClock(1_700_000_005_000)
    const { job, starts, finishAll } = manualJob(clock, 10_000)
    const scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    finishAll()
    await clock.advance(5_000)
    finishAll()
    await clock.advance(10_000)
    finishAll()
    expect(starts).toEqual([0, 5_000, 15_000])
    await scheduler.stop()
  })

  it("started a millisecond less than half an interval before a boundary, that boundary is left to the run at start", async () => {
    const clock = new FakeClock(1_700_000_005_001)
    const { job, starts, finishAll } = manualJob(clock, 10_000)
    const scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    finishAll()
    await clock.advance(14_999)
    finishAll()
    expect(starts).toEqual([0, 14_999])
    await scheduler.stop()
  })

  it("never overlaps a run with the previous one: the late tick is skipped and counted", async () => {
    const clock = new FakeClock()
    const { job, starts, finishAll } = manualJob(clock, 1_000)
    const skipped: string[] = []
    const scheduler = new Scheduler([job], (j) => skipped.push(j.name), clock)
    scheduler.start()
    await clock.advance(3_000) // the first run hangs over three boundaries
    expect(starts).toEqual([0])
    expect(skipped).toEqual(["pollect", "pollect", "pollect"])
    finishAll()
    await clock.advance(1_000)
    expect(starts).toEqual([0, 4_000])
    finishAll()
    await scheduler.stop()
  })

  it("works with sub-second intervals", async () => {
    const clock = new FakeClock()
    const runs: number[] = []
    const scheduler = new Scheduler([{ name: "fast", intervalMs: 250, run: async () => runs.push(clock.now()) }], () => {}, clock)
    scheduler.start()
    await clock.advance(1_000)
    expect(runs).toEqual([0, 250, 500, 750, 1_000])
    await scheduler.stop()
  })

  it("skips boundaries missed while the host was suspended instead of bursting", async () => {
    const clock = new FakeClock()
    const runs: number[] = []
    const scheduler = new Scheduler([{ name: "x", intervalMs: 1_000, run: async () => runs.push(clock.now()) }], () => {}, clock)
    scheduler.start()
    await clock.advance(1_000)
    // Jump without firing timers, as a suspend does, then let the overdue timer fire.
    clock.jump(5_500)
    await clock.advance(0)
    await clock.advance(1_000)
    expect(runs).toEqual([0, 1_000, 6_500, 7_000])
    await scheduler.stop()
  })

  it("adding a job it already has changes nothing: no second run, skip or timer", async () => {
    const clock = new FakeClock()
    const runs: number[] = []
    const skipped: string[] = []
    const job: Job = { name: "x", intervalMs: 1_000, run: async () => runs.push(clock.now()) }
    const scheduler = new Scheduler([job], (j) => skipped.push(j.name), clock)
    scheduler.add(job)
    scheduler.start()
    scheduler.add(job)
    await clock.advance(2_000)
    expect(runs).toEqual([0, 1_000, 2_000])
    expect(skipped).toEqual([])
    await scheduler.stop()
  })

  it("stop() waits for running jobs, but only so long", async () => {
    const clock = new FakeClock()
    const { job, finishAll } = manualJob(clock, 1_000)
    const scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    const stopping = scheduler.stop(5_000)
    let finished: boolean | undefined
    stopping.then((ok) => (finished = ok))
    await clock.advance(4_999)
    expect(finished).toBeUndefined()
    await clock.advance(1)
    expect(finished).toBe(false)
    finishAll()
  })

  it("stop() resolves true once running jobs are done", async () => {
    const clock = new FakeClock()
    const { job, finishAll, starts } = manualJob(clock, 1_000)
    const scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    const stopping = scheduler.stop(5_000)
    finishAll()
    expect(await stopping).toBe(true)
    await clock.advance(5_000)
    expect(starts).toEqual([0])
  })
  it("remove() ends a job's runs and waits for the one in progress; add() while running runs the job at once", async () => {
    const clock = new FakeClock()
    const old = manualJob(clock, 1_000)
    const scheduler = new Scheduler([old.job], () => {}, clock)
    scheduler.start()
    let removed = false
    const removing = scheduler.remove(old.job).then(() => (removed = true))
    await clock.advance(10)
    expect(removed).toBe(false)
    old.finishAll()
    await removing
    const next = manualJob(clock, 1_000)
    scheduler.add(next.job)
    expect(next.starts).toEqual([10])
    next.finishAll()
    await clock.advance(5_000)
    next.finishAll()
    expect(old.starts).toEqual([0])
    expect(next.starts.length).toBeGreaterThanOrEqual(2)
    await scheduler.stop()
  })

  it("a job added before start() waits for start(); one added after stop() never runs", async () => {
    const clock = new FakeClock()
    const runs: number[] = []
    const job: Job = { name: "x", intervalMs: 1_000, run: async () => runs.push(clock.now()) }
    const scheduler = new Scheduler([], () => {}, clock)
    scheduler.add(job)
    await clock.advance(1_500)
    expect(runs).toEqual([])
    scheduler.start()
    await clock.advance(1_000)
    expect(runs).toEqual([1_500, 2_000])
    await scheduler.stop()
    const late: number[] = []
    scheduler.add({ name: "late", intervalMs: 1_000, run: async () => late.push(clock.now()) })
    await clock.advance(3_000)
    expect(late).toEqual([])
    expect(runs).toEqual([1_500, 2_000])
  })

  it("a job removed and added again runs on its new schedule only, not also on the old timer", async () => {
    const clock = new FakeClock()
    const runs: number[] = []
    const job: Job = { name: "x", intervalMs: 1_000, run: async () => runs.push(clock.now()) }
    const scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    await clock.advance(300)
    await scheduler.remove(job)
    await clock.advance(200)
    scheduler.add(job)
    await clock.advance(2_500)
    expect(runs).toEqual([0, 500, 1_000, 2_000, 3_000])
    await scheduler.stop()
  })

  it("stop() called by a run takes effect at once: no other job starts, no timer is left to fire after a restart", async () => {
    const clock = new FakeClock()
    const runs: string[] = []
    let scheduler: Scheduler
    const stopper: Job = {
      name: "stopper",
      intervalMs: 1_000,
      run: async () => {
        runs.push(`stopper@${clock.now()}`)
        if (runs.length === 1) void scheduler.stop()
      },
    }
    const other: Job = { name: "other", intervalMs: 1_000, run: async () => runs.push(`other@${clock.now()}`) }
    scheduler = new Scheduler([stopper, other], () => {}, clock)
    scheduler.start()
    await clock.advance(2_500)
    expect(runs).toEqual(["stopper@0"])
    scheduler.start()
    await clock.advance(1_000)
    // The restart's own runs only: at start and at the next boundary, once each.
    expect(runs).toEqual(["stopper@0", "stopper@2500", "other@2500", "stopper@3000", "other@3000"])
    await scheduler.stop()
  })

  it("a run that stops the scheduler from a timer leaves no timer armed: a restart runs once per boundary", async () => {
    const clock = new FakeClock()
    const runs: number[] = []
    let scheduler: Scheduler
    const job: Job = {
      name: "x",
      intervalMs: 1_000,
      run: async () => {
        runs.push(clock.now())
        if (runs.length === 2) void scheduler.stop()
      },
    }
    scheduler = new Scheduler([job], () => {}, clock)
    scheduler.start()
    await clock.advance(4_500)
    expect(runs).toEqual([0, 1_000])
    scheduler.start()
    await clock.advance(1_000)
    expect(runs).toEqual([0, 1_000, 4_500, 5_000])
    await scheduler.stop()
  })

  it("stop() with nothing running resolves true at once", async () => {
    const clock = new FakeClock()
    const scheduler = new Scheduler([{ name: "x", intervalMs: 1_000, run: async () => {} }], () => {}, clock)
    expect(await scheduler.stop()).toBe(true)
    scheduler.start()
    await clock.advance(10)
    expect(await scheduler.stop()).toBe(true)
  })

  it("isRunning: only while a run is in progress", async () => {
    const clock = new FakeClock()
    const { job, finishAll } = manualJob(clock, 1_000)
    const scheduler = new Scheduler([job], () => {}, clock)
    expect(scheduler.isRunning).toBe(false)
    scheduler.start()
    expect(scheduler.isRunning).toBe(true)
    finishAll()
    await clock.advance(10)
    expect(scheduler.isRunning).toBe(false)
    await clock.advance(990)
    expect(scheduler.isRunning).toBe(true)
    finishAll()
    expect(await scheduler.stop()).toBe(true)
    expect(scheduler.isRunning).toBe(false)
  })
})

describe("systemClock", () => {
  it("now() is performance.now(), wallNow() is Date.now()", () => {
    const mono = [performance.now(), systemClock.now(), performance.now()]
    const wall = [Date.now(), systemClock.wallNow(), Date.now()]
    for (const [before, at, after] of [mono, wall]) {
      expect(at!).toBeGreaterThanOrEqual(before!)
      expect(at!).toBeLessThanOrEqual(after!)
    }
  })

  it("setTimeout() fires (before a later timer), clearTimeout() cancels", async () => {
    const fired: string[] = []
    systemClock.setTimeout(() => fired.push("kept"), 1)
    const cancelled = systemClock.setTimeout(() => fired.push("cancelled"), 1)
    systemClock.clearTimeout(cancelled)
    // Timers fire in order of their due time, however loaded the machine: a later one comes after.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(fired).toEqual(["kept"])
  })

  it("is the scheduler's default: a job runs at start", async () => {
    const runs: number[] = []
    const scheduler = new Scheduler([{ name: "x", intervalMs: 60_000, run: async () => runs.push(1) }])
    scheduler.start()
    expect(await scheduler.stop()).toBe(true)
    expect(runs).toEqual([1])
  })
})
