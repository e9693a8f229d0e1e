/** lib/queue/memory-queue.ts: the in-memory queue (`queue: false`), bounded in bytes, oldest dropped and reported. */
import { describe, expect, it } from "bun:test"
import type { QueueDrop } from "./batch-queue.ts"
import { MemoryQueue } from "./memory-queue.ts"

function queue(maxBytes: number) {
  const drops: QueueDrop[] = []
  return { q: new MemoryQueue({ maxBytes, onDrop: (drop) => drops.push(drop) }), drops }
}
const of = (size: number, fill = 0) => new Uint8Array(size).fill(fill)

describe("MemoryQueue", () => {
  it("holds exactly maxBytes; the byte after that drops the oldest batches, reported once per append", () => {
    const { q, drops } = queue(100)
    q.append(of(40, 1), 4)
    q.append(of(60, 2), 6)
    expect(drops).toEqual([])
    expect(q.stats()).toEqual({ bytes: 100, batches: 2, points: 10, segments: 0 })
    q.append(of(1, 3), 1)
    expect(drops).toEqual([{ batches: 1, points: 4, bytes: 40, reason: "the queue is full (maxBytes)" }])
    expect(q.peek(10).map((b) => b.payload[0])).toEqual([2, 3])
    q.append(of(100, 4), 9)
    expect(drops.at(-1)).toEqual({ batches: 2, points: 7, bytes: 61, reason: "the queue is full (maxBytes)" })
    expect(q.stats()).toEqual({ bytes: 100, batches: 1, points: 9, segments: 0 })
  })

  it("a batch of maxBytes fits; one larger than the whole queue is dropped alone, the rest kept", () => {
    const { q, drops } = queue(100)
    q.append(of(100), 1)
    expect(drops).toEqual([])
    q.append(of(101), 5)
    expect(drops).toEqual([{ batches: 1, points: 5, bytes: 101, reason: "a batch larger than the queue" }])
    expect(q.stats().batches).toBe(1)
  })

  it("ack removes the batch and everything older, nothing newer; peek removes nothing", () => {
    const { q } = queue(1000)
    for (let i = 0; i < 4; i++) q.append(of(10, i), i + 1)
    const [, second] = q.peek(4)
    expect(q.stats().batches).toBe(4)
    q.ack(second!)
    expect(q.peek(4).map((b) => b.payload[0])).toEqual([2, 3])
    expect(q.stats()).toEqual({ bytes: 20, batches: 2, points: 7, segments: 0 })
    q.ack(second!) // again: nothing more goes
    expect(q.stats().batches).toBe(2)
    expect(q.empty).toBe(false)
    q.ack(q.peek(4)[1]!)
    expect(q.empty).toBe(true)
  })

  it("peek gives at most max batches, oldest first; without onDrop a full queue drops silently; close keeps nothing from working", () => {
    const q = new MemoryQueue({ maxBytes: 30 })
    for (let i = 0; i < 3; i++) q.append(of(10, i), 1)
    expect(q.peek(0)).toEqual([])
    expect(q.peek(2).map((b) => [b.payload[0], b.points])).toEqual([
      [0, 1],
      [1, 1],
    ])
    q.append(of(10, 3), 1)
    q.append(of(31, 4), 1)
    expect(q.peek(9).map((b) => b.payload[0])).toEqual([1, 2, 3])
    q.close()
    expect(q.stats()).toEqual({ bytes: 30, batches: 3, points: 3, segments: 0 })
  })
})
