/** What a push writer's delivery loop needs of a queue: DurableQueue (on disk) or MemoryQueue. */

/** One batch read back: its bytes, its point count, and its place in the queue (what `ack` takes). */
export interface QueuedBatch {
  readonly payload: Uint8Array
  readonly points: number
  /** The segment it is in (DurableQueue) or its sequence number (MemoryQueue). */
  readonly segment: number
  /** Where it ends in its segment (DurableQueue). */
  readonly end: number
}

export interface QueueStats {
  /** Bytes held (on disk for DurableQueue, frames included). */
  bytes: number
  /** Batches and points not yet acknowledged. */
  batches: number
  points: number
  segments: number
}

/** What was dropped and why (oldest batches past maxBytes, a batch larger than the queue). */
export interface QueueDrop {
  batches: number
  points: number
  bytes: number
  reason: string
}

export interface BatchQueue {
  /** Adds a batch at the tail; when full, the oldest batches go (reported through onDrop). */
  append(payload: Uint8Array, points: number): void
  /** Up to `max` batches from the head, oldest first; nothing is removed. */
  peek(max: number): QueuedBatch[]
  /** Removes everything up to and including `batch` (delivered, or given up). */
  ack(batch: QueuedBatch): void
  stats(): QueueStats
  readonly empty: boolean
  close(): void
}
