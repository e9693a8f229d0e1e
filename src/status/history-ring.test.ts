import { describe, expect, it } from "bun:test"
import { HISTORY_MINUTES, MinuteHistory } from "./history-ring.ts"

const MIN = 60_000
const T0 = Date.parse("2026-12-01T10:00:00Z")

describe("MinuteHistory", () => {
  it("keeps the last value of each minute, oldest first, NaN where none came", () => {
    const h = new MinuteHistory()
    h.record(T0, 1)
    h.record(T0 + 30_000, 2) // same minute: the later one wins
    h.record(T0 + 2 * MIN, 3)
    const s = h.series(T0 + 2 * MIN)
    expect(s).toHaveLength(HISTORY_MINUTES)
    expect(s.slice(-3)).toEqual([2, Number.NaN, 3])
    expect(s.slice(0, -3).every(Number.isNaN)).toBe(true)
  })

  it("forgets what is older than an hour, also across a long silence", () => {
    const h = new MinuteHistory()
    for (let m = 0; m < 90; m++) h.record(T0 + m * MIN, m)
    expect(h.series(T0 + 89 * MIN)[0]).toBe(30)
    expect(h.series(T0 + 89 * MIN).at(-1)).toBe(89)
    // Silent for 2 hours, then one value: the old hour does not come back.
    h.record(T0 + 209 * MIN, 7)
    const s = h.series(T0 + 209 * MIN)
    expect(s.at(-1)).toBe(7)
    expect(s.slice(0, -1).every(Number.isNaN)).toBe(true)
    // Asked later without new values: shifted out.
    expect(h.series(T0 + 300 * MIN).every(Number.isNaN)).toBe(true)
  })

  it("ignores a value older than its window (a clock step back)", () => {
    const h = new MinuteHistory()
    h.record(T0 + 100 * MIN, 5)
    h.record(T0, 9)
    expect(h.series(T0 + 100 * MIN).filter((x) => !Number.isNaN(x))).toEqual([5])
  })
})
