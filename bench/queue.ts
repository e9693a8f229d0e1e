/**
 * The durable queue: append and replay throughput, in points per second, for batches of the size a
 * push writer queues (one tick of one writer: `perBatch` points of ~60 bytes each, already encoded).
 * - `append`: DurableQueue.append() of every batch (a write(2) each; fsync in the background);
 * - `replay`: reopen (the scan that checks every frame's checksum) + peek/ack until empty.
 *
 *   npx bun bench/queue.ts [points=2000000] [perBatch=500] [rounds=3]
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { DurableQueue } from "../src/lib/queue/durable-queue.ts"

const POINTS = Number(process.argv[2] ?? 2_000_000)
const PER_BATCH = Number(process.argv[3] ?? 500)
const ROUNDS = Number(process.argv[4] ?? 3)
const POINT = "pollect.host.LoadAvg.load.short 0.42 1767225600\n"
const batch = new TextEncoder().encode(POINT.repeat(PER_BATCH))
const batches = Math.ceil(POINTS / PER_BATCH)

console.log(`${batches} batches of ${PER_BATCH} points (${(batch.length / 1024).toFixed(1)} KiB each), ${ROUNDS} rounds`)
for (let round = 1; round <= ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), "pollect-bench-queue-"))
  const maxBytes = batches * (batch.length + 64) * 2
  let queue = DurableQueue.open({ dir, maxBytes, segmentBytes: 8 << 20 })
  let start = Bun.nanoseconds()
  for (let i = 0; i < batches; i++) queue.append(batch, PER_BATCH)
  const appendS = (Bun.nanoseconds() - start) / 1e9
  queue.close()
  start = Bun.nanoseconds()
  queue = DurableQueue.open({ dir, maxBytes, segmentBytes: 8 << 20 })
  let replayed = 0
  for (let got = queue.peek(64); got.length; got = queue.peek(64)) {
    for (const b of got) replayed += b.points
    queue.ack(got.at(-1) as (typeof got)[number])
  }
  const replayS = (Bun.nanoseconds() - start) / 1e9
  queue.close()
  rmSync(dir, { recursive: true, force: true })
  if (replayed !== batches * PER_BATCH) throw new Error(`replayed ${replayed} of ${batches * PER_BATCH} points`)
  const mps = (s: number) => ((batches * PER_BATCH) / s / 1e6).toFixed(2)
  console.log(
    `round ${round}: append ${mps(appendS)} M points/s (${appendS.toFixed(3)} s), replay ${mps(replayS)} M points/s (${replayS.toFixed(3)} s)`,
  )
}
