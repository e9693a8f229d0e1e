import { describe, expect, it } from "bun:test"
import { LatestOutbox } from "./outbox.ts"

describe("LatestOutbox", () => {
  it("has/size follow puts and takes; a full box drops exactly the oldest topic, one per put", () => {
    const box = new LatestOutbox(3)
    expect(box.capacity).toBe(3)
    expect(box.has("a")).toBe(false)
    for (const t of ["a", "b", "c"]) expect(box.put(t, t)).toBe(0)
    expect(box.size).toBe(3)
    expect(box.put("d", "d")).toBe(1)
    expect(box.put("e", "e")).toBe(1)
    expect([box.has("a"), box.has("b"), box.has("c"), box.has("e")]).toEqual([false, false, true, true])
    expect(box.size).toBe(3)
    // replacing keeps the topic's place
    expect(box.put("c", "c2")).toBe(0)
    expect(box.take(10)).toEqual([
      ["c", "c2"],
      ["d", "d"],
      ["e", "e"],
    ])
  })

  it("a capacity of one keeps the newest topic", () => {
    const box = new LatestOutbox(1)
    expect(box.put("a", "1")).toBe(0)
    expect(box.put("b", "2")).toBe(1)
    expect(box.take(5)).toEqual([["b", "2"]])
  })

  it("take(max) takes the oldest max entries and leaves the rest in order", () => {
    const box = new LatestOutbox(10)
    for (const t of ["a", "b", "c", "d"]) box.put(t, t.toUpperCase())
    expect(box.take(0)).toEqual([])
    expect(box.size).toBe(4)
    expect(box.take(1)).toEqual([["a", "A"]])
    expect(box.take(2)).toEqual([
      ["b", "B"],
      ["c", "C"],
    ])
    expect(box.size).toBe(1)
    expect(box.has("b")).toBe(false)
    expect(box.take(2)).toEqual([["d", "D"]])
    expect(box.take(2)).toEqual([])
  })

  it("putBack puts an absent topic (dropping the oldest when full); offer never replaces and needs room", () => {
    const box = new LatestOutbox(2)
    expect(box.putBack("a", "1")).toBe(0)
    expect(box.offer("a", "2")).toBe(false)
    expect(box.offer("b", "1")).toBe(true)
    expect(box.size).toBe(2)
    expect(box.putBack("c", "1")).toBe(1)
    expect(box.offer("d", "1")).toBe(false)
    expect(box.take(10)).toEqual([
      ["b", "1"],
      ["c", "1"],
    ])
    expect(box.offer("d", "1")).toBe(true)
    expect(box.take(10)).toEqual([["d", "1"]])
  })
})
