/**
 * The in-memory twin of DurableQueue (`queue: false`): the same peek/ack contract, bounded in
 * bytes, oldest batches dropped (and reported) when full. Lost on restart, by choice of the user.
 */
import type { BatchQueue, QueueDrop, QueuedBatch, QueueStats } from "./batch-queue.ts"

export class MemoryQueue implements BatchQueue {
  private readonly batches: QueuedBatch[] = []
  private bytes = 0
  private points = 0
  private next = 1

  constructor(private readonly options: { maxBytes: number; onDrop?: (drop: QueueDrop) => void }) {}

  append(payload: Uint8Array, points: number): void {
    if (payload.length > this.options.maxBytes) {
      this.options.onDrop?.({ batches: 1, points, bytes: payload.length, reason: "a batch larger than the queue" })
      return
    }
    let dropped = { batches: 0, points: 0, bytes: 0 }
    while (this.bytes + payload.length > this.options.maxBytes) {
      const oldest = this.batches.shift() as QueuedBatch
      this.bytes -= oldest.payload.length
      this.points -= oldest.points
      dropped = { batches: dropped.batches + 1, points: dropped.points + oldest.points, bytes: dropped.bytes + oldest.payload.length }
    }
    if (dropped.batches) this.options.onDrop?.({ ...dropped, reason: "the queue is full (maxBytes)" })
    // `segment` orders batches (one per batch here); `end` is unused.
    this.batches.push({ payload, points, segment: this.next++, end: 0 })
    this.bytes += payload.length
    this.points += points
  }

  peek(max: number): QueuedBatch[] {
    return this.batches.slice(0, max)
  }

  ack(batch: QueuedBatch): void {
    while (this.batches.length && (this.batches[0] as QueuedBatch).segment <= batch.segment) {
      const done = this.batches.shift() as QueuedBatch
      this.bytes -= done.payload.length
      this.points -= done.points
    }
  }

  stats(): QueueStats {
    return { bytes: this.bytes, batches: this.batches.length, points: this.points, segments: 0 }
  }

  get empty(): boolean {
    return this.batches.length === 0
  }

  close(): void {}
}
