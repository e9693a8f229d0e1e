/**
 * A durable FIFO of batches for push writers: append-only segment files with a checksum per
 * batch, replayed oldest first, bounded in bytes on disk and in memory.
 *
 * Guarantees (documented in docs/queue.md):
 * - `append()` returns after the batch is written to the segment file (a `write(2)` of the whole
 *   frame), so a SIGKILL right after loses nothing that was appended: the kernel has the bytes.
 * - Power loss loses at most what was appended since the last fdatasync: `fsyncMs` (default 1 s)
 *   is the interval of a background fdatasync of the segment being written; `0` syncs every append.
 * - Delivery is at least once: the read position (`head`) is saved after each `ack()`; batches
 *   delivered but not yet acknowledged when the process dies are sent again after the restart.
 * - Beyond `maxBytes`, whole oldest segments are deleted and their batches counted as dropped.
 * - A torn tail (a crash mid-write) or a corrupt frame ends its segment: the rest of that segment
 *   is skipped with one log line, the following segments are replayed.
 *
 * Memory holds four numbers per segment, never the batches (peek reads them from disk), so a long
 * outage costs disk up to maxBytes and no memory.
 *
 * @example
 * const queue = DurableQueue.open({ dir: "/var/lib/pollect/queue/graphite", maxBytes: 64 << 20 })
 * queue.append(encoded, points)
 * for (const batch of queue.peek(8)) { await send(batch.payload); queue.ack(batch) }
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs"
import { join } from "node:path"
import type { BatchQueue, QueueDrop, QueuedBatch, QueueStats } from "./batch-queue.ts"

/** length (u32), crc32 of points+payload (u32), points (u32). */
const FRAME_HEADER = 12
const SEGMENT_SUFFIX = ".seg"
const HEAD_FILE = "head"
const HEAD_MAGIC = 0x504c5148 // "PLQH"

export interface DurableQueueOptions {
  /** Folder of the segment files; created when missing. One queue per folder. */
  dir: string
  /** Bytes on disk at most (segments, headers included); beyond, the oldest segments go. */
  maxBytes: number
  /** A segment is closed and a new one begun past this size; default maxBytes / 8 (at most 8 MiB, at least 64 KiB). */
  segmentBytes?: number
  /** ms between background fdatasyncs of the segment being written; 0: every append. Default 1000. */
  fsyncMs?: number
  /** One line per event worth a human's eye (a corrupt segment skipped, a full queue). */
  warn?: (message: string) => void
  /** Called with what was dropped (oldest segments past maxBytes, a batch larger than the queue). */
  onDrop?: (drop: QueueDrop) => void
}

interface Segment {
  readonly id: number
  /** Valid bytes (frames that passed their checksum). */
  bytes: number
  /** Batches and points in it not yet acknowledged: totals only, the frames stay on disk. */
  batches: number
  points: number
}

const segmentName = (id: number) => `${String(id).padStart(16, "0")}${SEGMENT_SUFFIX}`

export class DurableQueue implements BatchQueue {
  private readonly segments: Segment[] = []
  /** Read position: the oldest segment's id and the offset of its first unacknowledged frame. */
  private head = { segment: 0, offset: 0 }
  private fd: number | null = null
  private headFd: number | null = null
  private dirty = false
  private syncTimer: ReturnType<typeof setInterval> | null = null
  private readonly segmentBytes: number
  private readonly fsyncMs: number
  private closed = false

  private constructor(private readonly options: DurableQueueOptions) {
    if (!(options.maxBytes > 0)) throw new Error(`queue: maxBytes must be positive, got ${options.maxBytes}`)
    this.segmentBytes = Math.max(
      Math.min(options.segmentBytes ?? Math.min(Math.floor(options.maxBytes / 8), 8 << 20), options.maxBytes),
      Math.min(64 << 10, options.maxBytes),
    )
    this.fsyncMs = options.fsyncMs ?? 1000
  }

  /** Opens (or creates) the queue in `dir`, checking every segment's frames. */
  static open(options: DurableQueueOptions): DurableQueue {
    const queue = new DurableQueue(options)
    queue.load()
    return queue
  }

  append(payload: Uint8Array, points: number): void {
    if (this.closed) throw new Error("queue: append after close")
    const size = FRAME_HEADER + payload.length
    if (size > this.segmentBytes) {
      this.options.onDrop?.({ batches: 1, points, bytes: size, reason: "a batch larger than a queue segment" })
      return
    }
    this.makeRoom(size)
    let active = this.segments.at(-1)
    if (!active || this.fd === null || this.activeId !== active.id || active.bytes + size > this.segmentBytes) active = this.roll()
    const frame = new Uint8Array(size)
    const view = new DataView(frame.buffer)
    view.setUint32(0, payload.length)
    view.setUint32(8, points)
    frame.set(payload, FRAME_HEADER)
    view.setUint32(4, crc32(frame.subarray(8)))
    writeAll(this.fd as number, frame, active.bytes)
    active.bytes += size
    active.batches++
    active.points += points
    if (this.fsyncMs === 0) fdatasyncSync(this.fd as number)
    else this.dirty = true
  }

  /** Up to `max` batches from the head, oldest first, read from disk; nothing is removed until `ack`. */
  peek(max: number): QueuedBatch[] {
    const out: QueuedBatch[] = []
    const header = new Uint8Array(FRAME_HEADER)
    const view = new DataView(header.buffer)
    for (const segment of this.segments) {
      let offset = segment.id === this.head.segment ? this.head.offset : 0
      if (offset >= segment.bytes) continue
      const fd = this.readFd(segment)
      try {
        // Frames up to segment.bytes passed their checksum when written or scanned.
        while (offset < segment.bytes && out.length < max) {
          readAll(fd, header, offset)
          const payload = new Uint8Array(view.getUint32(0))
          readAll(fd, payload, offset + FRAME_HEADER)
          offset += FRAME_HEADER + payload.length
          out.push({ payload, points: view.getUint32(8), segment: segment.id, end: offset })
        }
      } finally {
        if (fd !== this.fd) closeSync(fd)
      }
      if (out.length >= max) break
    }
    return out
  }

  /** Everything up to and including `batch` was delivered: moves the head past it (and deletes finished segments). */
  ack(batch: QueuedBatch): void {
    if (this.closed) return
    if (batch.segment < this.head.segment || (batch.segment === this.head.segment && batch.end <= this.head.offset)) return
    while (this.segments.length && (this.segments[0] as Segment).id < batch.segment) this.dropOldest()
    const segment = this.segments[0]
    if (!segment || segment.id !== batch.segment) return // dropped meanwhile (the queue was full)
    const from = segment.id === this.head.segment ? this.head.offset : 0
    const acked = this.countFrames(segment, from, batch.end)
    segment.batches -= acked.batches
    segment.points -= acked.points
    this.head = { segment: segment.id, offset: batch.end }
    // A finished segment that is not the one being written goes at once.
    if (batch.end >= segment.bytes && this.segments.length > 1) {
      this.dropOldest()
      const next = this.segments[0] as Segment
      this.head = { segment: next.id, offset: 0 }
    }
    this.saveHead()
  }

  stats(): QueueStats {
    let bytes = 0
    let batches = 0
    let points = 0
    for (const segment of this.segments) {
      bytes += segment.bytes
      batches += segment.batches
      points += segment.points
    }
    return { bytes, batches, points, segments: this.segments.length }
  }

  get empty(): boolean {
    return this.segments.every((segment) => segment.batches === 0)
  }

  /** Syncs and closes the files; the queue stays on disk for the next start. */
  close(): void {
    if (this.closed) return
    this.closed = true
    if (this.syncTimer) clearInterval(this.syncTimer)
    if (this.fd !== null) {
      try {
        fdatasyncSync(this.fd)
      } catch {}
      closeSync(this.fd)
      this.fd = null
    }
    if (this.headFd !== null) closeSync(this.headFd)
    this.headFd = null
  }

  // --- internals ---

  private load(): void {
    const { dir } = this.options
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const ids = readdirSync(dir)
      .filter((name) => /^\d{16}\.seg$/.test(name))
      .map((name) => Number(name.slice(0, 16)))
      .sort((a, b) => a - b)
    const saved = this.readHead()
    for (const [i, id] of ids.entries()) {
      if (saved && id < saved.segment) {
        rmSync(join(dir, segmentName(id)), { force: true }) // acknowledged before the restart
        continue
      }
      const from = saved && id === saved.segment ? saved.offset : 0
      const segment = this.scan(id, from, i === ids.length - 1)
      if (segment) this.segments.push(segment)
    }
    const first = this.segments[0]
    // With nothing left the saved head still counts: new segments get higher ids than any acknowledged one.
    this.head = first
      ? { segment: first.id, offset: saved && saved.segment === first.id ? saved.offset : 0 }
      : { segment: saved?.segment ?? 0, offset: 0 }
    if (this.fsyncMs > 0) {
      this.syncTimer = setInterval(() => this.backgroundSync(), this.fsyncMs)
      this.syncTimer.unref?.()
    }
  }

  /** Reads one segment's frames; a bad frame ends it (the active one is truncated there for appends). */
  private scan(id: number, from: number, last: boolean): Segment | null {
    const path = join(this.options.dir, segmentName(id))
    const fd = openSync(path, "r+")
    try {
      const size = fstatSync(fd).size
      // A segment never grows past the segmentBytes it was written with, which is at most the
      // maxBytes of then: a file written before segmentBytes was lowered is read whole (its
      // frames are batches nobody has delivered); only one bigger than the whole queue's bound
      // (not ours, or maxBytes lowered too, whose oldest data go anyway) is cut.
      const data = new Uint8Array(Math.min(size, this.options.maxBytes))
      readAll(fd, data, 0)
      const segment: Segment = { id, bytes: 0, batches: 0, points: 0 }
      let offset = 0
      while (offset < data.length) {
        const frame = frameAt(data, offset)
        if (!frame) break
        offset = frame.end
        if (offset > from) {
          segment.batches++
          segment.points += frame.points
        }
      }
      segment.bytes = offset
      if (offset < size) {
        this.options.warn?.(
          `queue ${path}: ${size - offset} byte(s) after offset ${offset} are torn or corrupt; skipped, the other batches are replayed`,
        )
        if (last) ftruncateSync(fd, offset)
      }
      if (!segment.batches && !last) {
        closeSync(fd)
        rmSync(path, { force: true })
        return null
      }
      return segment
    } finally {
      try {
        closeSync(fd)
      } catch {}
    }
  }

  private roll(): Segment {
    if (this.fd !== null) {
      try {
        fdatasyncSync(this.fd)
      } catch {}
      closeSync(this.fd)
      this.fd = null
    }
    const last = this.segments.at(-1)
    // After a restart the last segment takes appends again while it has room.
    if (last && !this.rolled && last.bytes < this.segmentBytes) {
      this.rolled = true
      this.fd = openSync(join(this.options.dir, segmentName(last.id)), "r+")
      this.activeId = last.id
      return last
    }
    this.rolled = true
    const id = Math.max(last?.id ?? 0, this.head.segment) + 1
    this.fd = openSync(join(this.options.dir, segmentName(id)), "w+", 0o600)
    this.activeId = id
    const segment: Segment = { id, bytes: 0, batches: 0, points: 0 }
    this.segments.push(segment)
    if (this.segments.length === 1) this.head = { segment: id, offset: 0 }
    return segment
  }

  /** The segment `fd` appends to. */
  private activeId = -1
  /** Whether an append has opened a segment since the queue was opened. */
  private rolled = false

  private readFd(segment: Segment): number {
    if (this.fd !== null && this.activeId === segment.id) return this.fd
    return openSync(join(this.options.dir, segmentName(segment.id)), "r")
  }

  /** Deletes the oldest segments until `size` more bytes fit; their batches count as dropped. */
  private makeRoom(size: number): void {
    const total = () => this.segments.reduce((sum, segment) => sum + segment.bytes, 0)
    while (this.segments.length && total() + size > this.options.maxBytes) {
      const { batches, points, bytes } = this.segments[0] as Segment
      this.dropOldest()
      if (batches) this.options.onDrop?.({ batches, points, bytes, reason: "the queue is full (maxBytes)" })
      const next = this.segments[0]
      this.head = next ? { segment: next.id, offset: 0 } : { segment: this.head.segment + 1, offset: 0 }
      this.saveHead()
    }
  }

  /** Batches and points of the frames of `segment` in [from, to), read from their headers. */
  private countFrames(segment: Segment, from: number, to: number): { batches: number; points: number } {
    const header = new Uint8Array(FRAME_HEADER)
    const view = new DataView(header.buffer)
    const fd = this.readFd(segment)
    let batches = 0
    let points = 0
    try {
      for (let offset = from; offset < to; offset += FRAME_HEADER + view.getUint32(0)) {
        readAll(fd, header, offset)
        batches++
        points += view.getUint32(8)
      }
    } finally {
      if (fd !== this.fd) closeSync(fd)
    }
    return { batches, points }
  }

  /** Deletes the oldest segment (callers check there is one). */
  private dropOldest(): void {
    const segment = this.segments.shift() as Segment
    if (this.fd !== null && this.activeId === segment.id) {
      closeSync(this.fd)
      this.fd = null
      this.activeId = -1
    }
    rmSync(join(this.options.dir, segmentName(segment.id)), { force: true })
  }

  private saveHead(): void {
    const record = new Uint8Array(24)
    const view = new DataView(record.buffer)
    view.setUint32(0, HEAD_MAGIC)
    view.setFloat64(4, this.head.segment)
    view.setFloat64(12, this.head.offset)
    view.setUint32(20, crc32(record.subarray(0, 20)))
    if (this.headFd === null) this.headFd = openSync(join(this.options.dir, HEAD_FILE), "w", 0o600)
    writeAll(this.headFd, record, 0)
  }

  private readHead(): { segment: number; offset: number } | null {
    const record = new Uint8Array(24)
    try {
      const fd = openSync(join(this.options.dir, HEAD_FILE), "r")
      try {
        if (readSync(fd, record, 0, 24, 0) !== 24) return null
      } finally {
        closeSync(fd)
      }
    } catch {
      return null
    }
    const view = new DataView(record.buffer)
    // A torn head record: start from the oldest segment (at least once: some batches again).
    if (view.getUint32(0) !== HEAD_MAGIC || view.getUint32(20) !== crc32(record.subarray(0, 20))) return null
    return { segment: view.getFloat64(4), offset: view.getFloat64(12) }
  }

  private backgroundSync(): void {
    if (!this.dirty || this.fd === null) return
    this.dirty = false
    fdatasync(this.fd, () => {})
  }
}

/** The frame at `offset` of a segment's bytes, or null when it is torn or fails its checksum. */
function frameAt(data: Uint8Array, offset: number): { end: number; points: number } | null {
  if (data.length - offset < FRAME_HEADER) return null
  const view = new DataView(data.buffer, data.byteOffset + offset)
  const length = view.getUint32(0)
  const end = offset + FRAME_HEADER + length
  if (end > data.length) return null
  const frame = data.subarray(offset, end)
  if (view.getUint32(4) !== crc32(frame.subarray(8))) return null
  return { end, points: view.getUint32(8) }
}

const crc32 = (bytes: Uint8Array): number => Bun.hash.crc32(bytes) >>> 0

function writeAll(fd: number, data: Uint8Array, position: number): void {
  let done = 0
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done)
}

function readAll(fd: number, into: Uint8Array, position: number): void {
  let done = 0
  while (done < into.length) {
    const n = readSync(fd, into, done, into.length - done, position + done)
    if (n === 0) break
    done += n
  }
}
