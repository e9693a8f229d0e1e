/**
 * CPU per tick of the five system sources' probes, and of DryRun formatting their results
 * (`formatTick`: Graphite paths, Python reprs), in-process, `process.cpuUsage()` over `ticks`.
 *
 *   bun bench/format-tick.ts [ticks]
 */
import * as v from "valibot"
import { silentLogger } from "../src/core/log.ts"
import { createSourceContext } from "../src/core/source-context.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { toValueSets } from "../src/core/value-set.ts"
import { builtinSources } from "../src/sources/index.ts"
import { formatTick } from "../src/writers/dry-run/index.ts"

const ticks = Number(process.argv[2] ?? 300)
const SYSTEM = [{ type: "LoadAvg" }, { type: "MemoryUsage" }, { type: "DiskUsage" }, { type: "Interface" }, { type: "IO" }]
const sources = SYSTEM.map((config) => {
  const entry = builtinSources[config.type]!
  const { ctx } = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
  return new entry.cls({ ...config, ...(v.parse(entry.options, config) as Record<string, unknown>) }, ctx)
})

async function cpuPerTick(label: string, tick: () => unknown): Promise<void> {
  for (let i = 0; i < 5; i++) await tick()
  const before = process.cpuUsage()
  for (let i = 0; i < ticks; i++) await tick()
  const used = process.cpuUsage(before)
  console.log(`${label}: ${((used.user + used.system) / 1000 / ticks).toFixed(3)} ms CPU per tick`)
}

await cpuPerTick("probes", () => Promise.all(sources.map((source) => source.probe())))
const probed = await Promise.all(sources.map((source) => source.probe()))
const results = probed.map(
  (p, i): SourceResult => ({
    id: String(i),
    collection: "pollect",
    type: SYSTEM[i]!.type,
    labels: {},
    timeoutSeconds: 10,
    time: 1,
    timeMs: 1000,
    sets: toValueSets(p),
  }),
)
console.log(`values per tick: ${results.reduce((n, r) => n + r.sets.reduce((m, s) => m + s.values.length, 0), 0)}`)
await cpuPerTick("formatTick", () => formatTick(results))
