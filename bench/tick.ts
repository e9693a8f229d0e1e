/**
 * The executor's own cost per tick, in process: 20 sources that return at once (five ValueSets
 * of ten values each, as the system sources do), one batch writer that only counts. What this
 * measures is pollect's overhead around the probes (deadlines, the worker pool, naming the
 * results, delivery), not any source's work.
 *
 *   npx bun bench/tick.ts [ticks=20000] [rounds=5]
 */
import { Executor, type SourceSlot } from "../src/core/executor.ts"
import { silentLogger } from "../src/core/log.ts"
import { Source, Writer } from "../src/core/plugin.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import { createSourceContext } from "../src/core/source-context.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { ValueSet } from "../src/core/value-set.ts"

const TICKS = Number(process.argv[2] ?? 20_000)
const ROUNDS = Number(process.argv[3] ?? 5)

class FixedSource extends Source {
  override probe(): ValueSet[] {
    const sets: ValueSet[] = []
    for (let s = 0; s < 5; s++) {
      const set = new ValueSet(["device"], { unit: "bytes", help: "bench" })
      for (let i = 0; i < 10; i++) set.add(i * s, [`dev${i}`], `value${s}`)
      sets.push(set)
    }
    return sets
  }
}

class CountingWriter extends Writer {
  points = 0
  override write(results: SourceResult[]): void {
    for (const r of results) for (const s of r.sets) this.points += s.values.length
  }
}

const writer = new CountingWriter({ type: "Counting" }, null as never)
const slots: SourceSlot[] = Array.from({ length: 20 }, (_, i) => {
  const { ctx, setSignal } = createSourceContext({ log: silentLogger, stateDir: "", configDir: "" })
  return {
    id: `executors[0].sources[${i}]`,
    type: "Fixed",
    labels: {},
    source: new FixedSource({ type: "Fixed" }, ctx),
    setSignal,
    tickTimeMs: 10_000,
    timeoutMs: 5_000,
  }
})
const executor = new Executor({
  collection: "pollect",
  tickTimeMs: 10_000,
  threads: 5,
  slots,
  writers: [writer],
  log: silentLogger,
  selfMetrics: new SelfMetrics(),
})

const perTick: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  const start = performance.now()
  for (let t = 0; t < TICKS; t++) await executor.tick({ all: true })
  perTick.push(((performance.now() - start) * 1000) / TICKS)
}
const sorted = [...perTick].sort((a, b) => a - b)
const median = sorted[Math.floor(sorted.length / 2)]!
console.log(
  `tick of 20 sources (1000 values): median ${median.toFixed(1)} µs, best ${sorted[0]!.toFixed(1)} µs (rounds: ${perTick.map((v) => v.toFixed(1)).join(", ")}); ${writer.points} points`,
)
