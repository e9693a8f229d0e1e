import { describe, expect, it } from "bun:test"
import { appendFileSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { DurableQueue, type DurableQueueOptions } from "./durable-queue.ts"

const text = (batch: { payload: Uint8Array }) => new TextDecoder().decode(batch.payload)
const bytes = (s: string) => new TextEncoder().encode(s)

function open(dir: string, options: Partial<DurableQueueOptions> = {}) {
  const warnings: string[] = []
  const drops: { batches: number; points: number; reason: string }[] = []
  const queue = DurableQueue.open({
    dir,
    maxBytes: 1 << 20,
    segmentBytes: 64 << 10,
    warn: (m) => warnings.push(m),
    onDrop: (d) => drops.push({ batches: d.batches, points: d.points, reason: d.reason }),
    ...options,
  })
  return { queue, warnings, drops }
}

/** Drains everything: peek + ack until empty. */
function drain(queue: DurableQueue): string[] {
  const out: string[] = []
  for (let batch = queue.peek(100); batch.length; batch = queue.peek(100)) {
    out.push(...batch.map(text))
    queue.ack(batch.at(-1) as (typeof batch)[number])
  }
  return out
}

const segments = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".seg"))
    .sort()

describe("DurableQueue", () => {
  it("gives batches back oldest first, with their point counts, and removes them only on ack", () => {
    const { queue } = open(tempDir("pollect-queue-"))
    queue.append(bytes("a"), 1)
    queue.append(bytes("bb"), 2)
    queue.append(bytes("ccc"), 3)
    expect(queue.peek(2).map((b) => [text(b), b.points])).toEqual([
      ["a", 1],
      ["bb", 2],
    ])
    expect(queue.peek(10).map(text)).toEqual(["a", "bb", "ccc"]) // peek removes nothing
    queue.ack(queue.peek(2)[1] as never)
    expect(queue.peek(10).map(text)).toEqual(["ccc"])
    expect(queue.stats()).toMatchObject({ batches: 1, points: 3 })
    queue.close()
  })

  it("resumes after a restart from the acknowledged position", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 5; i++) first.append(bytes(`b${i}`), 1)
    first.ack(first.peek(2)[1] as never)
    first.close()
    const again = open(dir).queue
    expect(drain(again)).toEqual(["b2", "b3", "b4"])
    again.append(bytes("after"), 1)
    again.close()
    expect(drain(open(dir).queue)).toEqual(["after"])
  })

  it("rolls segments and deletes each one once all its batches are acknowledged", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir, { segmentBytes: 64 << 10 })
    const payload = new Uint8Array(10_000)
    for (let i = 0; i < 20; i++) queue.append(payload, 1) // ~200 kB: 4 segments
    expect(segments(dir).length).toBe(4)
    expect(drain(queue).length).toBe(20)
    expect(segments(dir).length).toBe(1) // the one being written stays
    expect(queue.stats()).toMatchObject({ batches: 0, points: 0 })
    queue.close()
  })

  it("beyond maxBytes drops the oldest segments, counts them, and never grows the folder past maxBytes", () => {
    const dir = tempDir("pollect-queue-")
    const { queue, drops } = open(dir, { maxBytes: 256 << 10, segmentBytes: 64 << 10 })
    const payload = new Uint8Array(1000)
    for (let i = 0; i < 1000; i++) {
      payload[0] = i % 256
      queue.append(payload, 10)
      const onDisk = segments(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)
      if (onDisk > 256 << 10) throw new Error(`${onDisk} bytes on disk after ${i} appends`)
    }
    const kept = queue.stats().batches
    const dropped = drops.reduce((sum, d) => sum + d.batches, 0)
    expect(kept + dropped).toBe(1000)
    expect(drops.reduce((sum, d) => sum + d.points, 0)).toBe(dropped * 10)
    expect(drops[0]?.reason).toContain("maxBytes")
    // What is left is the newest, in order.
    const left = queue.peek(10_000).map((b) => b.payload[0])
    expect(left.at(-1)).toBe(999 % 256)
    queue.close()
  })

  it("an ack of a batch whose segment was dropped meanwhile changes nothing", () => {
    const { queue } = open(tempDir("pollect-queue-"), { maxBytes: 128 << 10, segmentBytes: 64 << 10 })
    queue.append(new Uint8Array(30_000), 1)
    const [old] = queue.peek(1)
    for (let i = 0; i < 10; i++) queue.append(new Uint8Array(30_000), 1) // drops the first segment
    const before = queue.stats()
    queue.ack(old as never)
    expect(queue.stats()).toEqual(before)
    queue.close()
  })

  it("a torn tail (a crash mid-write) is skipped with one warning; the rest replays and appends go on", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 3; i++) first.append(bytes(`batch-${i}`), 1)
    first.close()
    const [segment] = segments(dir)
    const path = join(dir, segment as string)
    truncateSync(path, statSync(path).size - 3) // the last frame loses its end
    const { queue, warnings } = open(dir)
    expect(warnings.length).toBe(1)
    expect(warnings[0]).toContain("torn or corrupt")
    queue.append(bytes("next"), 1)
    expect(drain(queue)).toEqual(["batch-0", "batch-1", "next"])
    queue.close()
  })

  it("a corrupt byte ends its segment; the following segments still replay", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir, { segmentBytes: 64 << 10 }).queue
    const payload = (i: number) => bytes(`${i}`.padEnd(20_000, "x"))
    for (let i = 0; i < 6; i++) first.append(payload(i), 1) // 3 per segment
    first.close()
    const [one] = segments(dir)
    const path = join(dir, one as string)
    const data = readFileSync(path)
    const inSecond = 20_012 + 12 + 100 // inside the second frame's payload
    data[inSecond] = (data[inSecond] as number) ^ 0xff
    writeFileSync(path, data)
    const { queue, warnings } = open(dir, { segmentBytes: 64 << 10 })
    expect(warnings.length).toBe(1)
    expect(drain(queue).map((s) => s.slice(0, 1))).toEqual(["0", "3", "4", "5"])
    queue.close()
  })

  it("a torn head record replays from the oldest segment (at least once, never lost)", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 3; i++) first.append(bytes(`b${i}`), 1)
    first.ack(first.peek(1)[0] as never)
    first.close()
    writeFileSync(join(dir, "head"), "garbage")
    expect(drain(open(dir).queue)).toEqual(["b0", "b1", "b2"])
  })

  it("after a restart the counts are those of the unacknowledged batches only", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 3; i++) first.append(bytes(`b${i}`), 10 + i)
    first.ack(first.peek(1)[0] as never)
    expect(first.stats()).toMatchObject({ batches: 2, points: 23 })
    first.close()
    const again = open(dir).queue
    expect(again.stats()).toMatchObject({ batches: 2, points: 23 })
    again.close()
  })

  it("a head record whose bytes changed (the checksum fails, the magic is intact) replays from the oldest segment", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 3; i++) first.append(bytes(`b${i}`), 1)
    first.ack(first.peek(1)[0] as never)
    first.close()
    const head = readFileSync(join(dir, "head"))
    head[13] = head[13]! ^ 0x40 // inside the offset
    writeFileSync(join(dir, "head"), head)
    expect(drain(open(dir).queue)).toEqual(["b0", "b1", "b2"])
  })

  it("a torn tail is cut off the file once: the next start finds nothing torn", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 2; i++) first.append(bytes(`batch-${i}`), 1)
    first.close()
    const path = join(dir, segments(dir)[0] as string)
    const valid = statSync(path).size
    appendFileSync(path, new Uint8Array(40).fill(7)) // half a frame of garbage
    const second = open(dir)
    expect(second.warnings).toHaveLength(1)
    expect(statSync(path).size).toBe(valid)
    second.queue.close()
    const third = open(dir)
    expect(third.warnings).toEqual([])
    expect(drain(third.queue)).toEqual(["batch-0", "batch-1"])
    third.queue.close()
  })

  it("a frame that fills its segment exactly stays in it; a byte more rolls to the next segment", () => {
    const dir = tempDir("pollect-queue-")
    const { queue, drops } = open(dir, { maxBytes: 1 << 20, segmentBytes: 64 << 10 })
    const half = (64 << 10) / 2 - 12 // a frame is 12 bytes of header and its payload
    queue.append(new Uint8Array(half), 1)
    queue.append(new Uint8Array(half), 1)
    expect(segments(dir)).toHaveLength(1)
    expect(statSync(join(dir, segments(dir)[0]!)).size).toBe(64 << 10)
    queue.append(new Uint8Array(half), 1)
    queue.append(new Uint8Array(half + 1), 1)
    expect(segments(dir)).toHaveLength(3)
    for (const file of segments(dir)) expect(statSync(join(dir, file)).size).toBeLessThanOrEqual(64 << 10)
    // A batch of exactly a segment's size is kept; one byte more is dropped.
    queue.append(new Uint8Array((64 << 10) - 12), 2)
    expect(drops).toEqual([])
    queue.append(new Uint8Array((64 << 10) - 11), 3)
    expect(drops).toEqual([{ batches: 1, points: 3, reason: "a batch larger than a queue segment" }])
    queue.close()
  })

  it("with maxBytes of one segment, a full queue drops that segment rather than grow past maxBytes", () => {
    const dir = tempDir("pollect-queue-")
    const { queue, drops } = open(dir, { maxBytes: 1000, segmentBytes: 1000 })
    for (let i = 0; i < 3; i++) queue.append(new Uint8Array(400).fill(i), 5)
    expect(drops).toEqual([{ batches: 2, points: 10, reason: "the queue is full (maxBytes)" }])
    expect(segments(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0)).toBeLessThanOrEqual(1000)
    expect(queue.peek(10).map((b) => b.payload[0])).toEqual([2])
    queue.close()
  })

  it("a batch larger than a segment is dropped and counted, not written", () => {
    const { queue, drops } = open(tempDir("pollect-queue-"), { maxBytes: 256 << 10, segmentBytes: 64 << 10 })
    queue.append(new Uint8Array(100_000), 7)
    expect(drops).toEqual([{ batches: 1, points: 7, reason: "a batch larger than a queue segment" }])
    expect(queue.empty).toBe(true)
    queue.close()
  })

  it("what append() returned for survives a SIGKILL of the process", async () => {
    const dir = tempDir("pollect-queue-")
    const script = join(dir, "..", `writer-${process.pid}.ts`)
    writeFileSync(
      script,
      `import { DurableQueue } from ${JSON.stringify(join(import.meta.dir, "durable-queue.ts"))}
const queue = DurableQueue.open({ dir: ${JSON.stringify(dir)}, maxBytes: 1 << 24, fsyncMs: 60_000 })
for (let i = 0; i < 500; i++) queue.append(new TextEncoder().encode("p" + i), 1)
console.log("appended")
setInterval(() => {}, 1000)
`,
    )
    const child = Bun.spawn([process.execPath, script], { stdout: "pipe" })
    const reader = child.stdout.getReader()
    let said = ""
    while (!said.includes("appended")) {
      const { value, done } = await reader.read()
      if (done) break
      said += new TextDecoder().decode(value)
    }
    child.kill("SIGKILL")
    await child.exited
    const got = drain(open(dir).queue)
    expect(got.length).toBe(500)
    expect(got.at(-1)).toBe("p499")
  })

  it("refuses a non-positive maxBytes with a message", () => {
    expect(() => DurableQueue.open({ dir: tempDir("pollect-queue-"), maxBytes: 0 })).toThrow("maxBytes must be positive")
  })
})
