/**
 * The `queue` option every push writer takes, and the queue it opens:
 * `{dir?, maxBytes?, fsyncMs?}` (on disk; the default) or `false` (memory only, lost on restart).
 *
 * @example
 * static override readonly options = v.object({ url: v.string(), queue: queueField })
 * const queue = openQueue(this.config.queue, { ctx: this.ctx, writer: "InfluxDB", destination: url })
 */
import { createHash } from "node:crypto"
import { isAbsolute, join } from "node:path"
import { errorMessage, type WriterContext } from "../../api.ts"
import type { QueueOption } from "./queue-field.ts"
import type { BatchQueue, QueueDrop } from "./batch-queue.ts"
import { DurableQueue } from "./durable-queue.ts"
import { MemoryQueue } from "./memory-queue.ts"

export { DEFAULT_QUEUE_BYTES, queueField, type QueueOption } from "./queue-field.ts"

/** The default folder: stable for one destination, whatever the writer's place in the config. */
export function defaultQueueDir(stateDir: string, writer: string, destination: string): string {
  const hash = createHash("sha256").update(destination).digest("hex").slice(0, 12)
  return join(stateDir, "queue", `${writer.toLowerCase()}-${hash}`)
}

export interface OpenQueueOptions {
  ctx: WriterContext
  /** The writer's type. */
  writer: string
  /** What identifies the store (its URL without credentials): names the default folder. */
  destination: string
  /** For a memory queue (`queue: false`): its bound in bytes. */
  memoryBytes?: number
}

/** Opens the writer's queue, counting what it drops in `pollect_points_dropped_total`. */
export function openQueue(option: QueueOption, { ctx, writer, destination, memoryBytes }: OpenQueueOptions): BatchQueue {
  const onDrop = (drop: QueueDrop) => {
    ctx.selfMetrics.count("pollect_points_dropped_total", { writer }, drop.points)
    ctx.log.warn(`${writer}: dropped ${drop.points} point(s) in ${drop.batches} batch(es): ${drop.reason}`)
  }
  if (option === false) return new MemoryQueue({ maxBytes: memoryBytes ?? 16 << 20, onDrop })
  const dir = option.dir
    ? isAbsolute(option.dir)
      ? option.dir
      : join(ctx.configDir, option.dir)
    : defaultQueueDir(ctx.stateDir, writer, destination)
  try {
    return DurableQueue.open({
      dir,
      maxBytes: option.maxBytes,
      fsyncMs: option.fsyncMs,
      warn: (message) => ctx.log.warn(`${writer}: ${message}`),
      onDrop,
    })
  } catch (error) {
    const code = (error as { code?: string }).code
    throw new Error(
      `cannot open the queue folder ${dir}: ${code ?? errorMessage(error)}; set the config's stateDir or the writer's queue.dir to a writable folder, or queue: false`,
    )
  }
}
