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

  it("capacity must be at least 1: 1 keeps only the newest point", () => {
    for (const bad of [0, 0.5, -1, NaN]) expect(() => new PointRing(bad)).toThrow("capacity must be at least 1")
    const ring = new PointRing(1)
    expect(ring.push("a", 1, 1)).toBe(false)
    expect(ring.push("b", 2, 2)).toBe(true)
    expect(ring.push("c", 3, 3)).toBe(true)
    expect(contents(ring)).toEqual(["c@3=3"])
  })

  it("a capacity above the initial storage but not a power of two of it is the exact bound", () => {
    const ring = new PointRing(1500)
    const dropped = Array.from({ length: 1600 }, (_, n) => ring.push(`b${n}`, n, -n)).filter(Boolean).length
    expect(dropped).toBe(100)
    expect(ring.length).toBe(1500)
    expect([ring.path(0), ring.time(0), ring.value(0)]).toEqual(["b100", 100, -100])
    expect([ring.path(1499), ring.time(1499), ring.value(1499)]).toEqual(["b1599", 1599, -1599])
  })

  it("times and values wrap around with the paths", () => {
    const ring = new PointRing(3)
    for (let n = 0; n < 5; n++) ring.push(`p${n}`, n, n * 10)
    ring.shift(1)
    ring.push("p5", 5, 50)
    expect(contents(ring)).toEqual(["p3@3=30", "p4@4=40", "p5@5=50"])
  })
})
