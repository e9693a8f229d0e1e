import { afterEach, describe, expect, it, spyOn } from "bun:test"
import * as fs from "node:fs"
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

  describe("sizes", () => {
    /** How many segments `count` appends of `payload` bytes make. */
    const fill = (options: Partial<DurableQueueOptions>, payload: number, count: number) => {
      const dir = tempDir("pollect-queue-")
      const { queue, drops } = open(dir, { segmentBytes: undefined, ...options })
      for (let i = 0; i < count; i++) queue.append(new Uint8Array(payload), 1)
      queue.close()
      return { segments: segments(dir).length, drops }
    }

    it("a segment is maxBytes / 8 by default", () => {
      // 1 MiB: 128 KiB segments; 6 frames of 20,012 bytes fit one (120,072), the 7th rolls.
      expect(fill({ maxBytes: 1 << 20 }, 20_000, 6).segments).toBe(1)
      expect(fill({ maxBytes: 1 << 20 }, 20_000, 7).segments).toBe(2)
      // A frame of 128 KiB exactly is kept, a byte more is too large.
      expect(fill({ maxBytes: 1 << 20 }, (128 << 10) - 12, 1).drops).toEqual([])
      expect(fill({ maxBytes: 1 << 20 }, (128 << 10) - 11, 1).drops).toHaveLength(1)
    })

    it("at most 8 MiB by default", () => {
      // 128 MiB / 8 would be 16 MiB.
      expect(fill({ maxBytes: 128 << 20 }, (8 << 20) - 12, 1).drops).toEqual([])
      expect(fill({ maxBytes: 128 << 20 }, (8 << 20) - 11, 1).drops).toHaveLength(1)
    })

    it("at least 64 KiB, unless maxBytes is smaller: then maxBytes", () => {
      // 256 KiB / 8 would be 32 KiB.
      expect(fill({ maxBytes: 256 << 10 }, 40_000, 1).drops).toEqual([])
      expect(fill({ maxBytes: 256 << 10 }, (64 << 10) - 11, 1).drops).toHaveLength(1)
      expect(fill({ maxBytes: 1000 }, 1000 - 12, 1).drops).toEqual([])
      expect(fill({ maxBytes: 1000 }, 1000 - 11, 1).drops).toHaveLength(1)
      // An explicit segmentBytes below 64 KiB is raised to it; one above maxBytes is lowered to it.
      expect(fill({ maxBytes: 1 << 20, segmentBytes: 1000 }, 40_000, 1).drops).toEqual([])
      expect(fill({ maxBytes: 100_000, segmentBytes: 1 << 20 }, 100_000 - 12, 1).drops).toEqual([])
      expect(fill({ maxBytes: 100_000, segmentBytes: 1 << 20 }, 100_000 - 11, 1).drops).toHaveLength(1)
    })
  })

  describe("fdatasync", () => {
    const spies: { mockRestore(): void }[] = []
    afterEach(() => spies.splice(0).forEach((spy) => spy.mockRestore()))

    it("fsyncMs 0 syncs at every append; the default syncs in the background, only after appends", async () => {
      const sync = spyOn(fs, "fdatasyncSync")
      const background = spyOn(fs, "fdatasync")
      spies.push(sync, background)
      const every = open(tempDir("pollect-queue-"), { fsyncMs: 0 }).queue
      every.append(bytes("a"), 1)
      every.append(bytes("b"), 1)
      expect(sync).toHaveBeenCalledTimes(2)
      every.close()
      expect(sync).toHaveBeenCalledTimes(3) // close syncs too
      sync.mockClear()

      const timed = open(tempDir("pollect-queue-"), { fsyncMs: 20 }).queue
      await Bun.sleep(60)
      expect(background).toHaveBeenCalledTimes(0) // nothing appended: nothing to sync
      timed.append(bytes("a"), 1)
      expect(sync).toHaveBeenCalledTimes(0)
      for (let i = 0; i < 200 && background.mock.calls.length === 0; i++) await Bun.sleep(10)
      expect(background).toHaveBeenCalledTimes(1)
      await Bun.sleep(60)
      expect(background).toHaveBeenCalledTimes(1) // synced once per append burst
      timed.close()
      const calls = background.mock.calls.length
      await Bun.sleep(60)
      expect(background.mock.calls.length).toBe(calls) // close stops the timer
    })

    it("the default interval is 1 s, not every append", () => {
      const sync = spyOn(fs, "fdatasyncSync")
      spies.push(sync)
      const { queue } = open(tempDir("pollect-queue-"), { fsyncMs: undefined })
      queue.append(bytes("a"), 1)
      expect(sync).toHaveBeenCalledTimes(0)
      queue.close()
    })
  })

  it("append after close throws; ack after close changes nothing; close twice is fine", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir)
    queue.append(bytes("a"), 1)
    const [batch] = queue.peek(1)
    queue.close()
    queue.close()
    expect(() => queue.append(bytes("b"), 1)).toThrow("queue: append after close")
    queue.ack(batch!)
    expect(drain(open(dir).queue)).toEqual(["a"])
  })

  it("stats count the bytes of the frames, headers included, and the segments", () => {
    const { queue } = open(tempDir("pollect-queue-"))
    expect(queue.stats()).toEqual({ bytes: 0, batches: 0, points: 0, segments: 0 })
    expect(queue.empty).toBe(true)
    queue.append(bytes("abc"), 4)
    queue.append(bytes("de"), 5)
    expect(queue.stats()).toEqual({ bytes: 12 + 3 + 12 + 2, batches: 2, points: 9, segments: 1 })
    expect(queue.empty).toBe(false)
    queue.close()
  })

  it("peek stops at max across segments, and reads on from the head's offset", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir, { segmentBytes: 64 << 10 })
    const payload = (i: number) => bytes(`${i}`.padEnd(30_000, "-"))
    for (let i = 0; i < 5; i++) queue.append(payload(i), i) // 2 per segment: 3 segments
    expect(segments(dir)).toHaveLength(3)
    const first = (n: number) => queue.peek(n).map((b) => [text(b).slice(0, 1), b.points])
    expect(first(0)).toEqual([])
    expect(first(1)).toEqual([["0", 0]])
    expect(first(2)).toEqual([
      ["0", 0],
      ["1", 1],
    ])
    expect(first(3).map(([t]) => t)).toEqual(["0", "1", "2"])
    expect(first(9).map(([t]) => t)).toEqual(["0", "1", "2", "3", "4"])
    queue.ack(queue.peek(1)[0]!)
    expect(first(2).map(([t]) => t)).toEqual(["1", "2"])
    queue.ack(queue.peek(1)[0]!) // the first segment is done: deleted
    expect(segments(dir)).toHaveLength(2)
    expect(first(9).map(([t]) => t)).toEqual(["2", "3", "4"])
    queue.close()
  })

  it("an ack in a later segment removes the earlier segments whole, with their counts", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir, { segmentBytes: 64 << 10 })
    const payload = (i: number) => bytes(`${i}`.padEnd(30_000, "-"))
    for (let i = 0; i < 5; i++) queue.append(payload(i), 10 + i) // segments [0 1] [2 3] [4]
    const all = queue.peek(5)
    queue.ack(all[2]!) // the first of the second segment
    expect(segments(dir)).toHaveLength(2)
    expect(queue.stats()).toMatchObject({ batches: 2, points: 13 + 14, segments: 2 })
    expect(queue.peek(9).map((b) => text(b).slice(0, 1))).toEqual(["3", "4"])
    // An older batch acknowledged late, or the same one again, changes nothing.
    queue.ack(all[0]!)
    queue.ack(all[1]!)
    queue.ack(all[2]!)
    expect(queue.stats()).toMatchObject({ batches: 2, points: 27, segments: 2 })
    queue.close()
    const again = open(dir).queue
    expect(again.stats()).toMatchObject({ batches: 2, points: 27 })
    expect(drain(again).map((t) => t.slice(0, 1))).toEqual(["3", "4"])
    again.close()
  })

  it("the last batch of a segment acknowledged: the segment goes and the head moves to the next (also across a restart)", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir, { segmentBytes: 64 << 10 })
    const payload = (i: number) => bytes(`${i}`.padEnd(30_000, "-"))
    for (let i = 0; i < 3; i++) queue.append(payload(i), 1) // [0 1] [2]
    queue.ack(queue.peek(2)[1]!)
    expect(segments(dir)).toHaveLength(1)
    expect(queue.stats()).toMatchObject({ batches: 1, points: 1, segments: 1 })
    queue.close()
    const again = open(dir).queue
    expect(again.peek(9).map((b) => text(b).slice(0, 1))).toEqual(["2"])
    // The one being written stays when it is finished, and takes the next appends.
    again.ack(again.peek(1)[0]!)
    expect(segments(dir)).toHaveLength(1)
    expect(again.empty).toBe(true)
    again.append(bytes("next"), 1)
    expect(again.peek(9).map(text)).toEqual(["next"])
    again.close()
    expect(drain(open(dir).queue)).toEqual(["next"])
  })

  it("an ack in the middle of a segment after a restart counts from the saved head", () => {
    const dir = tempDir("pollect-queue-")
    const first = open(dir).queue
    for (let i = 0; i < 5; i++) first.append(bytes(`b${i}`), 1 + i)
    first.ack(first.peek(1)[0]!)
    first.close()
    const again = open(dir).queue
    expect(again.stats()).toMatchObject({ batches: 4, points: 2 + 3 + 4 + 5 })
    again.ack(again.peek(2)[1]!) // b1, b2
    expect(again.stats()).toMatchObject({ batches: 2, points: 4 + 5 })
    again.close()
  })

  describe("opening", () => {
    it("creates the folder (mode 0700) and segment files of mode 0600; other files in it are left alone", () => {
      const dir = join(tempDir("pollect-queue-"), "new", "queue")
      const { queue } = open(dir)
      expect(statSync(dir).mode & 0o777).toBe(0o700)
      queue.append(bytes("a"), 1)
      queue.ack(queue.peek(1)[0]!)
      expect(statSync(join(dir, segments(dir)[0]!)).mode & 0o777).toBe(0o600)
      expect(statSync(join(dir, "head")).mode & 0o777).toBe(0o600)
      queue.close()
      for (const stray of ["notes.txt", "123.seg", "00000000000000001.seg", "x0000000000000001.seg", "0000000000000001.seg.bak"])
        writeFileSync(join(dir, stray), "not a segment")
      const again = open(dir)
      expect(again.warnings).toEqual([])
      again.queue.append(bytes("b"), 1)
      expect(drain(again.queue)).toEqual(["b"])
      again.queue.close()
      expect(readdirSync(dir)).toContain("notes.txt")
      expect(readdirSync(dir)).toContain("0000000000000001.seg.bak")
    })

    it("replays segments in the order of their numbers, and appends after the newest", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir, { segmentBytes: 64 << 10 }).queue
      const payload = (i: number) => bytes(`${i}`.padEnd(30_000, "-"))
      for (let i = 0; i < 23; i++) first.append(payload(i % 10), 1) // 12 segments: ids 1 to 12 (9 < 10 < 11 by number, not by text)
      first.close()
      expect(segments(dir)).toHaveLength(12)
      const again = open(dir, { segmentBytes: 64 << 10 }).queue
      again.append(bytes("last"), 1)
      const got = drain(again)
      expect(got.map((t) => (t === "last" ? t : t.slice(0, 1)))).toEqual([...Array.from({ length: 23 }, (_, i) => `${i % 10}`), "last"])
      again.close()
    })

    it("segments acknowledged before the restart are deleted at open", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir, { segmentBytes: 64 << 10 }).queue
      const payload = bytes("x".repeat(30_000))
      for (let i = 0; i < 5; i++) first.append(payload, 1) // 3 segments
      first.ack(first.peek(3)[2]!)
      first.close()
      // A crash between saving the head and deleting the segment: put the first one back.
      writeFileSync(join(dir, "0000000000000001.seg"), readFileSync(join(dir, segments(dir)[0]!)))
      const again = open(dir, { segmentBytes: 64 << 10 }).queue
      expect(again.stats()).toMatchObject({ batches: 2, segments: 2 })
      expect(segments(dir)).not.toContain("0000000000000001.seg")
      again.close()
    })

    it("a corrupt segment before the last is neither cut nor kept when nothing in it is valid; a tail shorter than a header is torn", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir, { segmentBytes: 64 << 10 }).queue
      const payload = (i: number) => bytes(`${i}`.padEnd(30_000, "-"))
      for (let i = 0; i < 6; i++) first.append(payload(i), 1) // [0 1] [2 3] [4 5]
      first.close()
      const [one, two] = segments(dir)
      // The second segment's first frame is broken: nothing valid in it, so it goes.
      const data = readFileSync(join(dir, two!))
      data[20] = data[20]! ^ 1
      writeFileSync(join(dir, two!), data)
      // The first gets 5 bytes of garbage at its end (less than a frame header): kept as it is, not cut.
      appendFileSync(join(dir, one!), new Uint8Array(5))
      const size = statSync(join(dir, one!)).size
      const { queue, warnings } = open(dir, { segmentBytes: 64 << 10 })
      expect(warnings).toEqual([
        `queue ${join(dir, one!)}: 5 byte(s) after offset ${2 * 30_012} are torn or corrupt; skipped, the other batches are replayed`,
        `queue ${join(dir, two!)}: ${2 * 30_012} byte(s) after offset 0 are torn or corrupt; skipped, the other batches are replayed`,
      ])
      expect(segments(dir)).not.toContain(two)
      expect(statSync(join(dir, one!)).size).toBe(size)
      expect(drain(queue).map((t) => t.slice(0, 1))).toEqual(["0", "1", "4", "5"])
      queue.close()
    })

    it("after a restart appends go on in the last segment while it has room, then roll", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir, { segmentBytes: 64 << 10 }).queue
      first.append(bytes("x".repeat(30_000)), 1)
      first.close()
      const again = open(dir, { segmentBytes: 64 << 10 }).queue
      again.append(bytes("y".repeat(30_000)), 1)
      expect(segments(dir)).toHaveLength(1)
      again.append(bytes("z".repeat(30_000)), 1)
      expect(segments(dir)).toHaveLength(2)
      again.close()
      // A full last segment is not reopened.
      const full = tempDir("pollect-queue-")
      const q = open(full, { segmentBytes: 64 << 10 }).queue
      q.append(new Uint8Array((64 << 10) - 12), 1)
      q.close()
      const q2 = open(full, { segmentBytes: 64 << 10 }).queue
      q2.append(bytes("a"), 1)
      expect(segments(full)).toHaveLength(2)
      expect(drain(q2)).toHaveLength(2)
      q2.close()
    })

    it("once everything was acknowledged and deleted, new segments are numbered after the acknowledged ones", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir, { segmentBytes: 64 << 10 }).queue
      for (let i = 0; i < 3; i++) first.append(bytes("x".repeat(30_000)), 1) // [a a] [a]
      first.close()
      // Only the saved head survives: the segments were deleted by hand.
      const second = open(dir, { segmentBytes: 64 << 10 }).queue
      second.ack(second.peek(3)[2]!)
      second.close()
      for (const file of segments(dir)) fs.rmSync(join(dir, file))
      const third = open(dir, { segmentBytes: 64 << 10 }).queue
      third.append(bytes("new"), 1)
      third.close()
      expect(segments(dir)).toEqual(["0000000000000003.seg"])
      expect(drain(open(dir).queue)).toEqual(["new"])
    })

    it("a head record with the wrong magic is refused even with a valid checksum", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir).queue
      for (let i = 0; i < 3; i++) first.append(bytes(`b${i}`), 1)
      first.ack(first.peek(1)[0]!)
      first.close()
      const head = new Uint8Array(readFileSync(join(dir, "head")))
      const view = new DataView(head.buffer)
      view.setUint32(0, 0x12345678)
      view.setUint32(20, Bun.hash.crc32(head.subarray(0, 20)) >>> 0)
      writeFileSync(join(dir, "head"), head)
      expect(drain(open(dir).queue)).toEqual(["b0", "b1", "b2"])
      // A head record cut short is refused too.
      writeFileSync(join(dir, "head"), readFileSync(join(dir, "head")).subarray(0, 23))
      expect(drain(open(dir).queue)).toEqual(["b0", "b1", "b2"])
    })

    it("a segment written before segmentBytes was lowered is read whole: no batch lost", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir, { maxBytes: 1 << 20, segmentBytes: 256 << 10 }).queue
      for (let i = 0; i < 6; i++) first.append(bytes(`${i}`.padEnd(30_000, "-")), 1) // 180 kB in one segment
      first.close()
      const { queue, warnings } = open(dir, { maxBytes: 1 << 20, segmentBytes: 64 << 10 })
      expect(warnings).toEqual([])
      expect(queue.stats()).toMatchObject({ batches: 6 })
      expect(drain(queue).map((text) => text[0])).toEqual(["0", "1", "2", "3", "4", "5"])
    })

    it.each([64 << 10, 128 << 10])(
      "a segment bigger than the whole queue's bound (maxBytes lowered too) is read up to it, the rest warned about (segmentBytes %i)",
      (segmentBytes) => {
        const dir = tempDir("pollect-queue-")
        const first = open(dir, { maxBytes: 1 << 20, segmentBytes: 512 << 10 }).queue
        for (let i = 0; i < 10; i++) first.append(bytes(`${i}`.padEnd(30_000, "-")), 1) // 300 kB in one segment
        first.close()
        const { queue, warnings } = open(dir, { maxBytes: 128 << 10, segmentBytes })
        // 128 KiB read, whatever the segment size: 4 whole frames (120,048 bytes).
        expect(warnings).toHaveLength(1)
        expect(warnings[0]).toContain(`${10 * 30_012 - 4 * 30_012} byte(s) after offset ${4 * 30_012}`)
        expect(queue.stats()).toMatchObject({ batches: 4 })
        queue.close()
      },
    )
  })

  it.skipIf(!fs.existsSync("/proc/self/fd"))("peek, ack and close leave no file open (counted in /proc/self/fd)", () => {
    const openFds = () => readdirSync("/proc/self/fd").length
    const dir = tempDir("pollect-queue-")
    const before = openFds()
    const { queue } = open(dir, { segmentBytes: 64 << 10, fsyncMs: 0 })
    for (let i = 0; i < 5; i++) queue.append(bytes("x".repeat(30_000)), 1) // [. .] [. .] [.]
    for (let i = 0; i < 20; i++) queue.peek(5) // reads the two older segments from their own fds
    queue.ack(queue.peek(1)[0]!)
    queue.ack(queue.peek(2)[1]!)
    expect(openFds()).toBeLessThanOrEqual(before + 2) // the segment being written and the head file
    queue.close()
    expect(openFds()).toBe(before)
    const timed = open(dir, { segmentBytes: 64 << 10 }).queue
    timed.append(bytes("y"), 1)
    timed.ack(timed.peek(9).at(-1)!)
    timed.close()
    expect(openFds()).toBe(before)
  })

  it("without onDrop, a batch too large or a full queue drops silently", () => {
    const queue = DurableQueue.open({ dir: tempDir("pollect-queue-"), maxBytes: 64 << 10, segmentBytes: 64 << 10 })
    queue.append(new Uint8Array(100_000), 1)
    for (let i = 0; i < 3; i++) queue.append(new Uint8Array(30_000), 1)
    expect(queue.stats().batches).toBe(1)
    queue.close()
  })

  it("an earlier batch of the same segment acknowledged after a later one does not move the head back", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir)
    for (let i = 0; i < 5; i++) queue.append(bytes(`b${i}`), 1)
    const all = queue.peek(5)
    queue.ack(all[3]!)
    queue.ack(all[1]!)
    expect(queue.peek(9).map(text)).toEqual(["b4"])
    expect(queue.stats()).toMatchObject({ batches: 1, points: 1 })
    queue.close()
    expect(drain(open(dir).queue)).toEqual(["b4"])
  })

  it("an ack in a later segment counts that segment's frames from its start, whatever the head's offset in the older one", () => {
    const dir = tempDir("pollect-queue-")
    const { queue } = open(dir, { segmentBytes: 64 << 10 })
    for (let i = 0; i < 7; i++) queue.append(bytes(`${i}`.padEnd(20_000, "-")), 1) // [0 1 2] [3 4 5] [6]
    const all = queue.peek(7)
    queue.ack(all[1]!) // the head is now in the middle of the first segment
    queue.ack(all[4]!) // the second frame of the second segment
    expect(queue.stats()).toMatchObject({ batches: 2, points: 2 })
    expect(queue.peek(9).map((b) => text(b).slice(0, 1))).toEqual(["5", "6"])
    queue.close()
  })

  it("a batch appended after a finished segment was acknowledged and the rest dropped for room survives a restart", () => {
    const dir = tempDir("pollect-queue-")
    const { queue, drops } = open(dir, { maxBytes: 90 << 10, segmentBytes: 64 << 10 })
    for (let i = 0; i < 3; i++) queue.append(bytes(`${i}`.padEnd(30_000, "-")), 1) // [0 1] [2]
    queue.ack(queue.peek(2)[1]!) // the first segment is done and deleted
    queue.append(new Uint8Array((64 << 10) - 12).fill(9), 5) // no room beside [2]: it is dropped
    expect(drops).toEqual([{ batches: 1, points: 1, reason: "the queue is full (maxBytes)" }])
    queue.close()
    const again = open(dir, { maxBytes: 90 << 10, segmentBytes: 64 << 10 }).queue
    const left = again.peek(9)
    expect(left.map((b) => [b.payload.length, b.points])).toEqual([[(64 << 10) - 12, 5]])
    again.close()
  })

  it("the background sync runs every fsyncMs (1000 by default)", () => {
    const interval = spyOn(globalThis, "setInterval")
    try {
      open(tempDir("pollect-queue-"), { fsyncMs: undefined }).queue.close()
      open(tempDir("pollect-queue-"), { fsyncMs: 20 }).queue.close()
      open(tempDir("pollect-queue-"), { fsyncMs: 0 }).queue.close()
      expect(interval.mock.calls.map((call) => call[1])).toEqual([1000, 20])
    } finally {
      interval.mockRestore()
    }
  })

  describe("edges", () => {
    it("without warn, a torn segment is skipped silently", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir).queue
      first.append(bytes("a"), 1)
      first.close()
      appendFileSync(join(dir, segments(dir)[0]!), new Uint8Array(30).fill(1))
      const queue = DurableQueue.open({ dir, maxBytes: 1 << 20 })
      expect(queue.peek(9).map(text)).toEqual(["a"])
      queue.close()
    })

    it("a segment is synced when it is closed for the next one", () => {
      const sync = spyOn(fs, "fdatasyncSync")
      try {
        const { queue } = open(tempDir("pollect-queue-"), { segmentBytes: 64 << 10, fsyncMs: 1000 })
        for (let i = 0; i < 3; i++) queue.append(bytes("x".repeat(30_000)), 1) // [. .] then a roll
        expect(sync).toHaveBeenCalledTimes(1)
        queue.close()
      } finally {
        sync.mockRestore()
      }
    })

    it("peek still reads the files after close", () => {
      const { queue } = open(tempDir("pollect-queue-"))
      queue.append(bytes("kept"), 1)
      queue.close()
      expect(queue.peek(9).map(text)).toEqual(["kept"])
    })

    it("maxBytes is reached exactly without a drop; a byte more drops", () => {
      const { queue, drops } = open(tempDir("pollect-queue-"), { maxBytes: 1000, segmentBytes: 1000 })
      queue.append(new Uint8Array(488), 1)
      queue.append(new Uint8Array(488), 1) // 2 × 500 = 1000
      expect(drops).toEqual([])
      queue.append(new Uint8Array(0), 1)
      expect(drops).toHaveLength(1)
      queue.close()
    })

    it("a segment whose batches were all acknowledged goes for room without a drop report", () => {
      const { queue, drops } = open(tempDir("pollect-queue-"), { maxBytes: 1000, segmentBytes: 1000 })
      queue.append(new Uint8Array(400), 1)
      queue.append(new Uint8Array(400), 1)
      queue.ack(queue.peek(2)[1]!)
      queue.append(new Uint8Array(400), 1)
      expect(drops).toEqual([])
      expect(queue.peek(9)).toHaveLength(1)
      queue.close()
    })

    it("what is left after drops for room replays whole after a restart", () => {
      const dir = tempDir("pollect-queue-")
      const { queue, drops } = open(dir, { maxBytes: 128 << 10, segmentBytes: 64 << 10 })
      for (let i = 0; i < 10; i++) queue.append(bytes(`${i}`.padEnd(30_000, "-")), 1)
      expect(drops.length).toBeGreaterThan(0)
      const kept = queue.peek(99).map((b) => text(b).slice(0, 1))
      queue.close()
      expect(drain(open(dir, { maxBytes: 128 << 10, segmentBytes: 64 << 10 }).queue).map((t) => t.slice(0, 1))).toEqual(kept)
    })

    it("after the older segment is acknowledged and deleted, appends go on in the segment being written", () => {
      const dir = tempDir("pollect-queue-")
      const { queue } = open(dir, { segmentBytes: 64 << 10 })
      for (let i = 0; i < 3; i++) queue.append(bytes("x".repeat(30_000)), 1) // [. .] [.]
      queue.ack(queue.peek(2)[1]!)
      queue.append(bytes("y"), 1)
      expect(segments(dir)).toHaveLength(1)
      expect(queue.peek(9).map((b) => text(b).slice(0, 1))).toEqual(["x", "y"])
      queue.close()
    })

    it("an empty batch is a frame of its header alone, replayed; a tail of 3 bytes is torn", () => {
      const dir = tempDir("pollect-queue-")
      const first = open(dir).queue
      first.append(bytes("a"), 1)
      first.append(new Uint8Array(0), 2)
      first.close()
      const again = open(dir)
      expect(again.warnings).toEqual([])
      expect(again.queue.peek(9).map((b) => [text(b), b.points])).toEqual([
        ["a", 1],
        ["", 2],
      ])
      again.queue.close()
      appendFileSync(join(dir, segments(dir)[0]!), new Uint8Array([1, 2, 3]))
      const third = open(dir)
      expect(third.warnings).toHaveLength(1)
      expect(third.queue.peek(9)).toHaveLength(2)
      third.queue.close()
    })
  })
})
