/**
 * Memory during a long outage: a Graphite writer whose carbon is down (a closed loopback port)
 * gets tick after tick of 1000 points; the durable queue takes them to disk. RSS is sampled as
 * the queue grows to a multiple of what would fit in memory, then the queue's bound (maxBytes)
 * drops the oldest segments and the folder stays at its size.
 *
 *   npx bun bench/queue-outage.ts [ticks=3000] [perTick=1000]
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { silentLogger } from "../src/core/log.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { ValueSet } from "../src/core/value-set.ts"
import { GraphiteWriter } from "../src/writers/graphite/index.ts"

const TICKS = Number(process.argv[2] ?? 3000)
const PER_TICK = Number(process.argv[3] ?? 1000)
const stateDir = mkdtempSync(join(tmpdir(), "pollect-bench-outage-"))
const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
const port = closed.port
closed.stop(true) // nothing listens there now: every connection is refused

const maxBytes = 32 << 20
const writer = new GraphiteWriter(
  { type: "Graphite", host: "127.0.0.1", picklePort: port, bufferSize: 100_000, resendSeconds: 5, queue: { maxBytes, fsyncMs: 1000 } },
  { log: silentLogger, stateDir, configDir: stateDir, selfMetrics: new SelfMetrics(), once: false },
)
writer.start()
const rss = () => process.memoryUsage.rss() / 2 ** 20
const onDisk = () => {
  let bytes = 0
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const stat = statSync(path)
      if (stat.isDirectory()) walk(path)
      else bytes += stat.size
    }
  }
  walk(join(stateDir, "queue"))
  return bytes / 2 ** 20
}

const sets = Array.from({ length: PER_TICK / 10 }, (_, i) => i)
console.log(`${TICKS} ticks × ${PER_TICK} points into a Graphite writer whose carbon is down; queue maxBytes ${maxBytes >> 20} MiB`)
console.log("ticks  points written  queue on disk  RSS")
Bun.gc(true)
const start = rss()
for (let t = 0; t < TICKS; t++) {
  const result: SourceResult = {
    id: "bench",
    collection: "pollect",
    type: "Outage",
    labels: {},
    time: 1_767_225_600 + t * 10,
    timeoutSeconds: 10,
    sets: sets.map((s) => {
      const set = new ValueSet(["disk"])
      for (let v = 0; v < 10; v++) set.add(t + v, [`sd${s}`], `value_${v}`)
      return set
    }),
  }
  writer.write([result])
  if (t % Math.ceil(TICKS / 10) === 0 || t === TICKS - 1) {
    await Bun.sleep(1)
    Bun.gc(true)
    console.log(
      `${String(t + 1).padStart(5)}  ${String((t + 1) * PER_TICK).padStart(14)}  ${onDisk().toFixed(1).padStart(10)} MiB  ${rss().toFixed(1)} MB`,
    )
  }
}
console.log(`RSS grew ${(rss() - start).toFixed(1)} MB while ${((TICKS * PER_TICK) / 1e6).toFixed(1)} M points went to the queue`)
await writer.stop(100)
rmSync(stateDir, { recursive: true, force: true })
process.exit(0)
