import { describe, expect, it } from "bun:test"
import { RateTracker } from "../../core/rate.ts"
import { probeRates } from "./probe-rates.ts"

describe("probeRates", () => {
  it("rates through the tracker and forgets keys missing from a probe", () => {
    let now = 0
    const tracker = new RateTracker(() => now)
    const first = probeRates(tracker)
    expect(first.rate("eth0", 100)).toBeUndefined()
    expect(first.rate("eth1", 100)).toBeUndefined()
    first.done()

    now = 1000
    const second = probeRates(tracker)
    expect(second.rate("eth0", 300)).toBe(200)
    second.done() // eth1 went away
    expect(tracker.size).toBe(1)

    now = 2000
    const third = probeRates(tracker)
    expect(third.rate("eth0", 400)).toBe(100)
    // eth1 came back: a fresh baseline, not a rate across its absence
    expect(third.rate("eth1", 5000)).toBeUndefined()
    third.done()
    expect(tracker.size).toBe(2)
  })

  it("passes the counter width on", () => {
    let now = 0
    const tracker = new RateTracker(() => now)
    probeRates(tracker).rate("c", 2n ** 32n - 10n, { bits: 32 })
    now = 1000
    expect(probeRates(tracker).rate("c", 10n, { bits: 32 })).toBe(20)
  })
})
