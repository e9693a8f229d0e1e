/**
 * A bounded, seeded fuzz of the config loader: every plugin README's sample config, each broken
 * in one to three generated ways at known paths (a wrong type, an unknown type, an interval out
 * of range, an unset ${VAR}, a bad writer port, a bad executor key). Each broken config must be
 * rejected with every planted problem's path in the one report, fast, without any other error;
 * a sample of them also through the CLI (`pollect check`: exit 2, no stack trace, time and
 * memory bounded).
 */
import { describe, expect, it } from "bun:test"
import { toJsonSchema } from "@valibot/to-json-schema"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { builtinPlugins, sampleConfig, sampleEntries } from "../scripts/plugin-docs.ts"
import { ConfigError } from "../src/config/errors.ts"
import { resolveConfig } from "../src/config/index.ts"
import { builtinRegistry } from "../src/registry.ts"
import { findTool } from "./helpers/tools.ts"

const SEED = 20261201
const CASES = 300
const CLI_CASES = 12
const MAIN = resolve(import.meta.dir, "../src/main.ts")

/** mulberry32: small, seeded, good enough to pick mutations. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

interface Sample {
  type: string
  kind: "sources" | "writers"
  entry: Record<string, unknown>
  /** Own option keys by JSON-schema type. */
  keys: { key: string; type: string }[]
}

function samples(): Sample[] {
  return builtinPlugins().flatMap((doc) => {
    const found = sampleEntries(sampleConfig(readFileSync(doc.readme, "utf8")), doc.type)[0]
    if (!found) return []
    const schema = toJsonSchema(doc.cls.options, { errorMode: "ignore", typeMode: "input" }) as {
      properties?: Record<string, { type?: string; enum?: unknown[] }>
    }
    const keys = Object.entries(schema.properties ?? {})
      .filter(([, p]) => !p.enum && (p.type === "string" || p.type === "number" || p.type === "boolean"))
      .map(([key, p]) => ({ key, type: p.type! }))
    return [{ type: doc.type, kind: doc.kind, entry: found.entry, keys }]
  })
}

interface Broken {
  config: Record<string, unknown>
  /** The path each planted problem must be reported at (a prefix of the line). */
  paths: string[]
}

/** One sample config broken in 1–3 ways, each at its own place. */
function mutate(all: Sample[], next: () => number): Broken {
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!
  const sources = all.filter((s) => s.kind === "sources")
  const main = pick(sources)
  const other = pick(sources)
  const config: Record<string, unknown> = {
    executors: [
      { collection: "pollect", sources: [structuredClone(main.entry), structuredClone(other.entry)] },
      { collection: "second", tickTime: 30, sources: [{ type: "LoadAvg" }] },
    ],
    writers: [{ type: "Prometheus", port: 9109 }],
  }
  const exec0 = (config.executors as Record<string, unknown>[])[0]!
  const exec1 = (config.executors as Record<string, unknown>[])[1]!
  const src = (i: number) => (exec0.sources as Record<string, unknown>[])[i]!
  const mutations: (() => string)[] = [
    () => {
      const typed = main.keys[0]
      if (!typed) {
        src(0).tickTime = "often"
        return `executors[0].sources[0] (${main.type}): tickTime: `
      }
      src(0)[typed.key] = typed.type === "string" ? 12345 : "not-a-value"
      return `executors[0].sources[0] (${main.type}): ${typed.key}: `
    },
    () => {
      src(1).type = `No${other.type}Such`
      return "executors[0].sources[1]: unknown source type"
    },
    () => {
      exec1.tickTime = pick([1e12, -5, "x", Number.POSITIVE_INFINITY])
      return "executors[1].tickTime: "
    },
    () => {
      ;(exec1.sources as Record<string, unknown>[])[0]!.timeout = pick([0, -1, 1e9])
      return "executors[1].sources[0] (LoadAvg): timeout: "
    },
    () => {
      ;(config.writers as Record<string, unknown>[])[0]!.port = pick([70000, -1, "p"])
      return "writers[0] (Prometheus): port: "
    },
    () => {
      exec1.collection = `\${POLLECT_FUZZ_UNSET_${Math.floor(next() * 1000)}}`
      return "executors[1].collection: environment variable POLLECT_FUZZ_UNSET_"
    },
    () => {
      config.threads = pick([0, 1.5, "many"])
      return "threads: "
    },
  ]
  const chosen = new Set<number>()
  const count = 1 + Math.floor(next() * 3)
  while (chosen.size < count) chosen.add(Math.floor(next() * mutations.length))
  return { config, paths: [...chosen].map((i) => mutations[i]!()) }
}

function cases(): Broken[] {
  const next = random(SEED)
  const all = samples()
  return Array.from({ length: CASES }, () => mutate(all, next))
}

describe(`config fuzz (seed ${SEED})`, () => {
  const broken = cases()

  it(`${CASES} broken sample configs: every planted problem in one report, none slow (< 1 s: no input makes validation crawl)`, async () => {
    const misses: string[] = []
    let slowest = 0
    for (const [i, { config, paths }] of broken.entries()) {
      const started = performance.now()
      let problems: string[] = []
      try {
        await resolveConfig(structuredClone(config), builtinRegistry(), { env: {} })
        misses.push(`case ${i}: accepted`)
      } catch (error) {
        if (!(error instanceof ConfigError)) throw new Error(`case ${i}: ${(error as Error).stack}`)
        problems = error.problems
      }
      slowest = Math.max(slowest, performance.now() - started)
      for (const path of paths)
        if (!problems.some((p) => p.startsWith(path))) misses.push(`case ${i}: no "${path}…" in ${JSON.stringify(problems)}`)
    }
    expect(misses).toEqual([])
    // About 1 ms each when warm; the bound is for a pathological case (a regex or a nesting that
    // crawls), with room for a loaded machine and the first case of a type loading its options.
    expect(slowest).toBeLessThan(1000)
  })

  it(`${CLI_CASES} of them through pollect check: exit 2, no stack trace, < 5 s and < 150 MB each`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "pollect-fuzz-"))
    const time = findTool("time") ?? "/usr/bin/time"
    for (const [i, { config, paths }] of broken.slice(0, CLI_CASES).entries()) {
      const file = join(dir, `case-${i}.json`)
      writeFileSync(file, JSON.stringify(config, null, 2))
      const started = performance.now()
      const child = Bun.spawn([time, "-f", "maxrss_kb=%M", process.execPath, MAIN, "check", "--config", file], {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, POLLECT_FUZZ_UNSET_0: undefined },
      })
      const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
      const elapsed = performance.now() - started
      const text = out + err
      expect({ i, code }).toEqual({ i, code: 2 })
      expect(text).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m)
      for (const path of paths) expect(text).toContain(path)
      expect(elapsed).toBeLessThan(5000)
      const rss = Number(/maxrss_kb=(\d+)/.exec(err)?.[1])
      expect(rss).toBeGreaterThan(0)
      expect(rss).toBeLessThan(150 * 1024)
    }
  })
})
