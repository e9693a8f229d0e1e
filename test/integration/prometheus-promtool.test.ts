/**
 * `promtool check metrics` (Debian package prometheus) finds nothing to complain about in what
 * the exporter serves with `names: "snake_case"`, for every built-in source registered at test
 * time (sources added later are covered automatically), and in pollect's own metrics in both
 * naming modes.
 *
 * Each source is probed for real when it runs with an empty config (the system sources);
 * otherwise its values are fabricated from what its source file declares: every `unit:` and
 * `kind:` it uses and the label names of its ValueSets, with value names that exercise the
 * suffix rules (`_total`, `_count`, `_ms`, `_percent`).
 */
import { afterAll, describe, expect } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { silentLogger } from "../../src/core/log.ts"
import type { Source, SourceClass } from "../../src/core/plugin.ts"
import { SelfMetrics } from "../../src/core/self-metrics.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { toValueSets, ValueSet, type ValueKind } from "../../src/core/value-set.ts"
import { builtinSources } from "../../src/sources/index.ts"
import { PrometheusWriter } from "../../src/writers/prometheus/index.ts"
import { makeSource, resultOf } from "../helpers/context.ts"
import { promtoolCheck } from "../helpers/prom-exposition.ts"
import { itWithTools } from "../helpers/tools.ts"

const SOURCES_DIR = join(import.meta.dir, "../../src/sources")
const writers: PrometheusWriter[] = []
afterAll(async () => {
  await Promise.all(writers.map((w) => w.stop()))
})

async function exporter(
  names: "pollect" | "snake_case",
  processMetrics = false,
): Promise<{ writer: PrometheusWriter; selfMetrics: SelfMetrics }> {
  const selfMetrics = new SelfMetrics()
  const config = { ...v.parse(PrometheusWriter.options, { port: 0, host: "127.0.0.1", names, processMetrics }), type: "Prometheus" }
  const writer = new PrometheusWriter(config, { log: silentLogger, stateDir: "", configDir: "", selfMetrics, once: false })
  await writer.start()
  writers.push(writer)
  return { writer, selfMetrics }
}

async function scrape(writer: PrometheusWriter): Promise<string> {
  return (await fetch(`${writer.url}/metrics`)).text()
}

/** The source file that defines `cls`, with what it declares about its values. */
function declarations(cls: SourceClass): { units: string[]; kinds: ValueKind[]; labelSets: string[][] } {
  const files = readdirSync(SOURCES_DIR).filter((f) => f.endsWith(".ts"))
  const file = files.find((f) => new RegExp(`class ${cls.name}\\b`).test(readFileSync(join(SOURCES_DIR, f), "utf8")))
  const text = file ? readFileSync(join(SOURCES_DIR, file), "utf8") : ""
  const units = [...new Set([...text.matchAll(/\bunit:\s*"([^"]+)"/g)].map((m) => m[1]!))]
  const kinds = [...new Set([...text.matchAll(/\bkind:\s*"(gauge|counter)"/g)].map((m) => m[1] as ValueKind))]
  const labelSets = [...text.matchAll(/new ValueSet\(\[([^\]]*)\]/g)]
    .map((m) => [...m[1]!.matchAll(/"([^"]+)"/g)].map((l) => l[1]!))
    .filter((labels) => labels.length > 0)
  return { units, kinds, labelSets }
}

/** Real values when the source runs without options; undefined when it needs a config or fails. */
async function probeWithoutConfig(type: string, cls: SourceClass): Promise<SourceResult | undefined> {
  if (!v.safeParse(cls.options, {}).success) return undefined
  try {
    const source = makeSource<Source>(cls, { type })
    const probe = Promise.resolve(source.probe())
    const sets = toValueSets(await Promise.race([probe, Bun.sleep(10_000).then(() => null)]))
    await source.close()
    if (!sets.length) return undefined
    return resultOf(sets, { type, id: `${type}:probed` })
  } catch {
    return undefined
  }
}

function fabricated(type: string, cls: SourceClass): SourceResult[] {
  const { units, kinds, labelSets } = declarations(cls)
  const results: SourceResult[] = []
  const labelChoices = labelSets.length ? labelSets : [["device"]]
  let n = 0
  for (const unit of [undefined, ...units]) {
    for (const kind of new Set<ValueKind>(["gauge", ...kinds])) {
      for (const labels of labelChoices) {
        const sets = ["total", "count", "time_ms", "load_percent", "bytes_sent", "usedMB", "s"].map((valueName, i) => {
          const set = new ValueSet(labels, { unit, kind })
          set.add(
            i + 0.5,
            labels.map((l) => `${l}-value`),
            valueName,
          )
          return set
        })
        sets.push(
          new ValueSet(labels, { unit, kind }).add(
            1,
            labels.map(() => "x"),
          ),
        )
        results.push(resultOf(sets, { type, id: `${type}:${n}`, name: `My Thing-${n}.x`, labels: { siteName: "home" } }))
        n++
      }
    }
  }
  return results
}

describe("promtool check metrics", () => {
  for (const [type, cls] of Object.entries(builtinSources)) {
    itWithTools(["promtool"], `finds no problem in the snake_case output of ${type}`, async () => {
      const { writer } = await exporter("snake_case")
      const probed = await probeWithoutConfig(type, cls)
      const results = [...(probed ? [probed] : []), ...fabricated(type, cls)]
      writer.write(results)
      const text = await scrape(writer)
      // Something of this source is served (not an empty page that trivially passes).
      expect(text.split("\n").filter((l) => /^pollect_/.test(l) && !/^pollect_(build_info|probe_|ticks_)/.test(l)).length).toBeGreaterThan(
        0,
      )
      const verdict = await promtoolCheck(text)
      expect(verdict.output).toBe("")
      expect(verdict.code).toBe(0)
    })
  }

  for (const names of ["pollect", "snake_case"] as const) {
    itWithTools(["promtool"], `finds no problem in pollect's own and the process metrics (names: ${names})`, async () => {
      const { writer, selfMetrics } = await exporter(names, true)
      selfMetrics.observeProbe("pollect", "Http.local", 0.25, false)
      selfMetrics.tickSkipped("pollect")
      selfMetrics.count("pollect_points_dropped_total", { writer: "Graphite" }, 3)
      const text = await scrape(writer)
      expect(text).toContain("process_resident_memory_bytes ")
      expect(text).toContain("pollect_points_dropped_total{")
      const verdict = await promtoolCheck(text)
      expect(verdict.output).toBe("")
      expect(verdict.code).toBe(0)
    })
  }

  itWithTools(["promtool"], "flags the original's camelCase names (why snake_case exists)", async () => {
    const { writer } = await exporter("pollect")
    writer.write([resultOf(new ValueSet(["time"]).add(1, ["mid"]), { type: "LoadAvg" })])
    const verdict = await promtoolCheck(await scrape(writer))
    expect(verdict.output).toContain("pollect_LoadAvg metric names should be written in 'snake_case' not 'camelCase'")
  })
})
