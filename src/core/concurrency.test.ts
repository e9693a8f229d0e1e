/** core/concurrency.ts: the one worker pool (the executor's `threads`, a source's own fan-out). */
import { describe, expect, it } from "bun:test"
import { mapConcurrent } from "./concurrency.ts"

describe("mapConcurrent", () => {
  it("results in input order, whatever order the work finishes in", async () => {
    const out = await mapConcurrent([30, 10, 20], 3, async (ms, i) => (await Bun.sleep(ms), `${i}:${ms}`))
    expect(out).toEqual(["0:30", "1:10", "2:20"])
  })

  it("at most `limit` at once", async () => {
    let running = 0
    let peak = 0
    await mapConcurrent([1, 2, 3, 4, 5, 6, 7], 3, async () => {
      peak = Math.max(peak, ++running)
      await Bun.sleep(5)
      running--
    })
    expect(peak).toBe(3)
  })

  it("a limit below 1 still runs everything, one at a time", async () => {
    for (const limit of [0, -1, Number.NaN]) {
      let running = 0
      let peak = 0
      const out = await mapConcurrent([1, 2, 3], limit, async (n) => {
        peak = Math.max(peak, ++running)
        await Bun.sleep(1)
        running--
        return n * 2
      })
      expect(out).toEqual([2, 4, 6])
      expect(peak).toBe(1)
    }
  })

  it("no items: no work, an empty result", async () => {
    let calls = 0
    expect(await mapConcurrent([], 5, async () => ++calls)).toEqual([])
    expect(calls).toBe(0)
  })
})
