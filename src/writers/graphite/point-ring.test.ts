import { describe, expect, it } from "bun:test"
import { PointRing } from "./point-ring.ts"

function contents(ring: PointRing): string[] {
  return Array.from({ length: ring.length }, (_, i) => `${ring.path(i)}@${ring.time(i)}=${ring.value(i)}`)
}

describe("PointRing", () => {
  it("is FIFO and, when full, drops the oldest point and says so", () => {
    const ring = new PointRing(3)
    expect([1, 2, 3].map((n) => ring.push(`p${n}`, n, n * 10))).toEqual([false, false, false])
    expect(ring.push("p4", 4, 40)).toBe(true)
    expect(contents(ring)).toEqual(["p2@2=20", "p3@3=30", "p4@4=40"])
    ring.shift(2)
    expect(contents(ring)).toEqual(["p4@4=40"])
  })

  it("grows past its initial storage up to capacity, keeping order across the wrap-around", () => {
    const ring = new PointRing(5000)
    for (let n = 0; n < 1000; n++) ring.push(`a${n}`, n, n)
    ring.shift(600) // the head is now in the middle of the storage
    for (let n = 1000; n < 6000; n++) ring.push(`a${n}`, n, n)
    expect(ring.length).toBe(5000)
    const values = Array.from({ length: ring.length }, (_, i) => ring.value(i))
    expect(values).toEqual(Array.from({ length: 5000 }, (_, i) => 1000 + i))
    expect(ring.path(0)).toBe("a1000")
  })

  it("shift never removes more than it holds", () => {
    const ring = new PointRing(4)
    ring.push("x", 1, 1)
    ring.shift(10)
    expect(ring.length).toBe(0)
    ring.push("y", 2, 2)
    expect(contents(ring)).toEqual(["y@2=2"])
  })
})
