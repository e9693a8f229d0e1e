import { describe, expect, it } from "bun:test"
import { counterDelta, RateTracker } from "./rate.ts"

describe("RateTracker", () => {
  const tracker = () => {
    let now = 0
    return { rates: new RateTracker(() => now), step: (ms: number) => (now += ms) }
  }

  it("no rate on the first sample, then delta per second of monotonic time", () => {
    const { rates, step } = tracker()
    expect(rates.rate("a", 100)).toBeUndefined()
    step(2000)
    expect(rates.rate("a", 300)).toBe(100)
    step(500)
    expect(rates.rate("a", 300)).toBe(0)
  })

  it("no division by zero when no time passed; the older baseline is kept", () => {
    const { rates, step } = tracker()
    rates.rate("a", 0)
    expect(rates.rate("a", 10)).toBeUndefined()
    step(1000)
    expect(rates.rate("a", 20)).toBe(20)
  })

  it("survives 32-bit and 64-bit wrap-around", () => {
    const { rates, step } = tracker()
    rates.rate("c32", 2 ** 32 - 100, { bits: 32 })
    step(1000)
    expect(rates.rate("c32", 50, { bits: 32 })).toBe(150)
    rates.rate("c64", 2n ** 64n - 10n, { bits: 64 })
    step(1000)
    expect(rates.rate("c64", 5n, { bits: 64 })).toBe(15)
  })

  it("a reset (counter far from the top went down) emits nothing, then rates from the new baseline", () => {
    const { rates, step } = tracker()
    rates.rate("r", 5_000_000, { bits: 64 })
    step(1000)
    expect(rates.rate("r", 10, { bits: 64 })).toBeUndefined()
    step(1000)
    expect(rates.rate("r", 110, { bits: 64 })).toBe(100)
  })

  it("a drop from mid-range on a 32-bit counter (2^31 → 10) is a reset, not a wrap", () => {
    const { rates, step } = tracker()
    rates.rate("mid", 2 ** 31, { bits: 32 })
    step(1000)
    expect(rates.rate("mid", 10, { bits: 32 })).toBeUndefined()
    step(1000)
    expect(rates.rate("mid", 30, { bits: 32 })).toBe(20)
    expect(counterDelta(2n ** 31n, 10n, 32)).toBeUndefined()
    expect(counterDelta(2n ** 63n, 10n, 64)).toBeUndefined()
  })

  it("a wrap needs the old value in the top quarter and the new one in the bottom quarter, exactly", () => {
    const top32 = 3n * 2n ** 30n
    expect(counterDelta(top32, 10n, 32)).toBe(2n ** 30n + 10n)
    expect(counterDelta(top32 - 1n, 10n, 32)).toBeUndefined()
    expect(counterDelta(2n ** 32n - 1n, 2n ** 30n - 1n, 32)).toBe(2n ** 30n)
    expect(counterDelta(2n ** 32n - 1n, 2n ** 30n, 32)).toBeUndefined()
    expect(counterDelta(2n ** 32n - 100n, 2n ** 31n, 32)).toBeUndefined()
    const top64 = 3n * 2n ** 62n
    expect(counterDelta(top64, 0n, 64)).toBe(2n ** 62n)
    expect(counterDelta(top64 - 1n, 0n, 64)).toBeUndefined()
  })

  it("a value that is not a finite number is refused with a message that says so", () => {
    const { rates } = tracker()
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => rates.rate("x", value)).toThrow(new RangeError(`counter value is not finite: ${value}`))
    }
    expect(rates.size).toBe(0)
  })

  it("a value beyond the declared width that goes down is a reset, never a negative delta", () => {
    expect(counterDelta(2n ** 33n, 5n, 32)).toBeUndefined()
    // Exactly 2^32 is already outside 32 bits: a reset, not a wrap of 5.
    expect(counterDelta(2n ** 32n, 5n, 32)).toBeUndefined()
    expect(counterDelta(2n ** 64n, 5n, 64)).toBeUndefined()
    const { rates, step } = tracker()
    rates.rate("big", 2 ** 33, { bits: 32 })
    step(1000)
    expect(rates.rate("big", 5, { bits: 32 })).toBeUndefined()
  })

  it("keeps 64-bit precision above 2^53", () => {
    expect(counterDelta(2n ** 60n, 2n ** 60n + 3n)).toBe(3n)
  })

  it("guesses the width when not told: 32 bit if the old value fits", () => {
    expect(counterDelta(2n ** 32n - 1n, 0n)).toBe(1n)
    expect(counterDelta(2n ** 64n - 1n, 1n)).toBe(2n)
  })

  it("retain() forgets keys of things that disappeared", () => {
    const { rates } = tracker()
    rates.rate("eth0", 1)
    rates.rate("eth1", 1)
    rates.retain((key) => key === "eth0")
    expect(rates.size).toBe(1)
  })
})
