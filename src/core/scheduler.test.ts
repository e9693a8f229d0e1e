import { describe, expect, it } from "bun:test"
import { Scheduler, type Job } from "./scheduler.ts"
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
})
