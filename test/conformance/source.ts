/**
 * The source conformance suite: what every source, built-in or extension, must do. A plugin's
 * test calls it once with its class and its testdata; the plugin adds its own cases beside.
 *
 * @example
 * sourceConformance({
 *   type: "LoadAvg",
 *   cls: LoadAvgSource,
 *   dir: import.meta.dir,
 *   golden: (testCase) => withProcRoot(testCase.dir, () => [probe(testCase.config)]),
 *   failing: { config: { type: "LoadAvg" }, setup: () => pointProcAt("/nonexistent"), message: /loadavg/ },
 * })
 */
import { describe, expect, it } from "bun:test"
import { toJsonSchema } from "@valibot/to-json-schema"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { MetricSpec, ProbeResult, Source, SourceClass, SourceResult } from "../../src/api.ts"
import { graphitePath, toValueSets } from "../../src/api.ts"
import { validateConfig } from "../../src/config/schema.ts"
import { matchesDeclared } from "../../src/core/metrics.ts"
import { builtinRegistry } from "../../src/registry.ts"
import { sampleConfig, sampleEntries } from "../../scripts/plugin-docs.ts"
import { makeSource, resultOf } from "../helpers/context.ts"
import { promtoolCheck, snakeCaseExposition } from "../helpers/prom-exposition.ts"
import { itWithTools } from "../helpers/tools.ts"
import { goldenCases, type GoldenCase } from "./golden.ts"

export interface SourceConformance {
  /** The config `type`. */
  type: string
  cls: SourceClass
  /** The plugin's folder (`import.meta.dir`): README.md and testdata/ are read from it. */
  dir: string
  /**
   * Runs one golden case (testdata/<case>/ with config.json) against its recorded inputs and
   * returns the probes' results, in order. Every declared metric must appear in some case.
   */
  golden: (testCase: GoldenCase) => Promise<ProbeResult[]> | ProbeResult[]
  /** A dependency that fails (server down, tool missing): the probe must reject with `message`, not crash. */
  failing?: {
    config: Record<string, unknown>
    /** Arranges the failure; returns what undoes it. */
    setup?: () => (() => void) | void | Promise<(() => void) | void>
    message: RegExp
  }
  /**
   * Where the golden cases are when not in `<dir>/testdata` (extensions that share one folder
   * and one README, as examples/ does).
   */
  testdata?: string
  /** Set where the plugin cannot run promtool's check (never for a built-in). */
  skipPromtool?: boolean
}

/** The README's sample entry of this type. */
export function readmeSample(dir: string, type: string): { entry: Record<string, unknown>; collection: string } {
  const sample = sampleEntries(sampleConfig(readFileSync(join(dir, "README.md"), "utf8")), type)[0]
  if (!sample) throw new Error(`README.md's sample config has no entry of type ${type}`)
  return sample
}

/** A wrong value for one of the plugin's own keys (or a common key) and the problem it must raise. */
function wrongValue(cls: SourceClass): { key: string; value: unknown; expected: string } {
  const schema = toJsonSchema(cls.options, { errorMode: "ignore", typeMode: "input" }) as {
    properties?: Record<string, { type?: string; enum?: unknown[] }>
  }
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.enum) continue // a picklist (`counterBits: 32 | 64`) says "expected (32 | 64)", not the type
    if (prop.type === "string") return { key, value: 12345, expected: "expected string" }
    if (prop.type === "number" || prop.type === "integer") return { key, value: "x", expected: "expected number" }
    if (prop.type === "boolean") return { key, value: "x", expected: "expected boolean" }
  }
  return { key: "tickTime", value: "x", expected: "expected number" }
}

function registryWith(type: string, cls: SourceClass) {
  const registry = builtinRegistry()
  if (registry.source(type) !== cls) registry.addSources({ [type]: cls })
  return registry
}

/** Every problem with how `sets` match `declared`: undeclared sets, wrong labels, value names. */
export function undeclared(results: SourceResult[], declared: readonly MetricSpec[]): string[] {
  const problems: string[] = []
  for (const result of results) {
    for (const set of result.sets) {
      const spec = set.spec
      const where = `set [${set.labels.join(",")}] (${set.values[0]?.name ?? "unnamed"})`
      if (!spec || !declared.includes(spec)) {
        problems.push(`${where}: not built from a declared metric (new ValueSet(metrics.x))`)
        continue
      }
      const labels = spec.labels ?? []
      if (!labelsMatch(labels, set.labels)) {
        problems.push(`${where}: labels differ from the declared [${labels.join(",")}]`)
      }
      if (set.unit !== spec.unit || set.kind !== spec.kind || set.help !== spec.help)
        problems.push(`${where}: unit, kind or help changed after declaration`)
      for (const value of set.values) {
        const ok = spec.values
          ? value.name !== undefined && spec.values.some((p) => matchesDeclared(p, value.name!))
          : value.name === undefined
        if (!ok) problems.push(`${where}: value name ${JSON.stringify(value.name)} is not declared (${JSON.stringify(spec.values ?? [])})`)
      }
    }
  }
  return problems
}

/**
 * Whether emitted label names fit the declared ones; a last declared label ending in `...`
 * (`<label>...`) stands for any number of labels the config names, none included.
 */
function labelsMatch(declared: readonly string[], emitted: readonly string[]): boolean {
  const last = declared.at(-1)
  if (last?.endsWith("...")) {
    const fixed = declared.slice(0, -1)
    return emitted.length >= fixed.length && labelsMatch(fixed, emitted.slice(0, fixed.length))
  }
  return declared.length === emitted.length && declared.every((l, i) => matchesDeclared(l, emitted[i]!))
}

export function sourceConformance(spec: SourceConformance): void {
  const { type, cls, dir } = spec
  const declared = Object.values(cls.metrics ?? {}) as MetricSpec[]
  const cases = goldenCases(dir, spec.testdata)

  describe(`${type}: source conformance`, () => {
    it("the README's sample config is accepted", () => {
      const { entry, collection } = readmeSample(dir, type)
      const checked = validateConfig({ executors: [{ collection, sources: [entry] }] }, registryWith(type, cls))
      expect("problems" in checked ? checked.problems : []).toEqual([])
    })

    it("a wrong type is rejected with its path", () => {
      const { entry } = readmeSample(dir, type)
      const wrong = wrongValue(cls)
      const checked = validateConfig({ executors: [{ sources: [{ ...entry, [wrong.key]: wrong.value }] }] }, registryWith(type, cls))
      expect("problems" in checked ? checked.problems : []).toContain(`executors[0].sources[0] (${type}): ${wrong.key}: ${wrong.expected}`)
    })

    it("declares its metrics, each with help", () => {
      expect(declared.length).toBeGreaterThan(0)
      for (const m of declared) expect(m.help.length).toBeGreaterThan(0)
    })

    it("has golden cases in testdata/", () => {
      expect(cases.map((c) => c.name).length).toBeGreaterThan(0)
    })

    const emitted: SourceResult[][] = []
    for (const testCase of cases) {
      it(`golden case ${testCase.name}: output as recorded in expected.txt`, async () => {
        const probes = await spec.golden(testCase)
        const results = probes.map((probe, i) =>
          resultOf(toValueSets(probe), { type, name: testCase.config.name as string | undefined, id: `${testCase.name}#${i}` }),
        )
        emitted.push(results)
        testCase.compare(results)
      })
    }

    it("emits exactly the declared metrics on its testdata", () => {
      const results = emitted.flat()
      expect(results.length).toBeGreaterThan(0)
      expect(undeclared(results, declared)).toEqual([])
      const used = new Set(results.flatMap((r) => r.sets.map((s) => s.spec)))
      const unused = Object.entries(cls.metrics ?? {})
        .filter(([, m]) => !used.has(m))
        .map(([key]) => key)
      expect({ declaredButNeverEmitted: unused }).toEqual({ declaredButNeverEmitted: [] })
    })

    it("Graphite paths are unique within a probe", () => {
      for (const result of emitted.flat()) {
        const paths = result.sets.flatMap((set) => set.values.map((value) => graphitePath(result, value)))
        const dupes = paths.filter((p, i) => paths.indexOf(p) !== i)
        expect(dupes).toEqual([])
      }
    })

    if (!spec.skipPromtool) {
      itWithTools(["promtool"], "its snake_case output passes promtool check metrics", async () => {
        const results = emitted.flat()
        expect(results.length).toBeGreaterThan(0)
        for (const result of results) {
          const text = snakeCaseExposition(result)
          const verdict = await promtoolCheck(text)
          expect({ output: verdict.output, code: verdict.code }).toEqual({ output: "", code: 0 })
        }
      })
    }

    it("close() twice is safe", async () => {
      const source = makeSource<Source>(cls, readmeSample(dir, type).entry)
      await source.close()
      await source.close()
    })

    if (spec.failing) {
      const failing = spec.failing
      it("a failing dependency is a failed probe with an actionable message, never a crash", async () => {
        const undo = await failing.setup?.()
        try {
          const source = makeSource<Source>(cls, failing.config)
          let error: unknown
          try {
            await source.probe()
          } catch (e) {
            error = e
          }
          expect(error).toBeInstanceOf(Error)
          expect((error as Error).message).toMatch(failing.message)
          await source.close()
        } finally {
          undo?.()
        }
      })
    }
  })
}
