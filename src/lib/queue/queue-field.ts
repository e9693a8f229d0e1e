/**
 * The `queue` option of the push writers, alone in its file: a writer's options.ts imports it
 * eagerly (the registry validates configs with it); the queue itself loads with the writer.
 */
import { v } from "../../api.ts"

/** 64 MiB: a day of a busy host's points at a 10 s tick, and little of a small NAS's disk. */
export const DEFAULT_QUEUE_BYTES = 64 << 20

export const queueField = v.optional(
  v.pipe(
    v.union([
      v.literal(false),
      v.object({
        dir: v.optional(
          v.pipe(
            v.string(),
            v.minLength(1),
            v.description("Folder of the queue's segment files; default <stateDir>/queue/<writer>-<hash of its destination>"),
          ),
        ),
        maxBytes: v.optional(
          v.pipe(
            v.number(),
            v.integer(),
            v.minValue(64 << 10),
            v.maxValue(2 ** 40),
            v.description("Bytes on disk at most; beyond, the oldest points are dropped (and counted)"),
          ),
          DEFAULT_QUEUE_BYTES,
        ),
        fsyncMs: v.optional(
          v.pipe(
            v.number(),
            v.integer(),
            v.minValue(0),
            v.maxValue(3_600_000),
            v.description("ms between fdatasyncs of the queue (0: every batch); what power loss may lose"),
          ),
          1000,
        ),
      }),
    ]),
    v.description(
      "Where points wait while the store is unreachable: on disk (default, survives restarts and SIGKILL; see docs/queue.md) or false (memory only)",
    ),
  ),
  {},
)

export type QueueOption = v.InferOutput<typeof queueField>
