/**
 * The writer conformance suite: what every writer, built-in or extension, must do. A plugin's
 * test calls it once; the plugin adds its own cases beside.
 *
 * @example
 * writerConformance({
 *   type: "Graphite",
 *   cls: GraphiteWriter,
 *   dir: import.meta.dir,
 *   peer: async () => { const carbon = await fakeCarbon(); return { config: { host: "127.0.0.1", port: carbon.port }, received: () => carbon.paths(), close: carbon.close } },
 * })
 */
import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { SourceResult, Writer, WriterClass } from "../../src/api.ts"
import { ValueSet } from "../../src/api.ts"
import { validateConfig } from "../../src/config/schema.ts"
import { silentLogger } from "../../src/core/log.ts"
import { Executor } from "../../src/core/executor.ts"
import { SelfMetrics } from "../../src/core/self-metrics.ts"
import { createSourceContext } from "../../src/core/source-context.ts"
import { Source } from "../../src/core/plugin.ts"
import { builtinRegistry } from "../../src/registry.ts"
import { sampleConfig, sampleEntries } from "../../scripts/plugin-docs.ts"
import { makeWriter, resultOf } from "../helpers/context.ts"

/** Where the writer writes to during the suite, and what arrived there. */
export interface WriterPeer {
  /** Options that point the writer at the peer (merged over `type`). */
  config: Record<string, unknown>
  /** The Graphite paths (or series names) that have arrived so far, in any order. */
  received: () => Promise<string[]> | string[]
  close?: () => void | Promise<void>
}

export interface WriterConformance {
  type: string
  cls: WriterClass
  dir: string
  /** Starts a peer (a server on loopback, a capture of stdout) for one case. */
  peer: () => Promise<WriterPeer> | WriterPeer
  /** How a value named `conformance.probe.<n>` appears in `received()`; default: contains it. */
  arrived?: (received: string[], n: number) => boolean
}

function readmeWriterSample(dir: string, type: string): Record<string, unknown> {
  const sample = sampleEntries(sampleConfig(readFileSync(join(dir, "README.md"), "utf8")), type)[0]
  if (!sample) throw new Error(`README.md's sample config has no writer of type ${type}`)
  return sample.entry
}

class Numbered extends Source {
  constructor(readonly n: number) {
    super({ type: "Conformance", name: `probe${n}` }, createSourceContext({ log: silentLogger, stateDir: "", configDir: "" }).ctx)
  }
  override probe() {
    return new ValueSet().add(this.n, [], `n${this.n}`)
  }
}

const defaultArrived = (received: string[], n: number) => received.some((r) => r.includes(`probe${n}`) && r.includes(`n${n}`))

async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await Bun.sleep(20)
  }
  return check()
}

export function writerConformance(spec: WriterConformance): void {
  const { type, cls, dir } = spec
  const arrived = spec.arrived ?? defaultArrived
  const registry = () => {
    const r = builtinRegistry()
    if (r.writers.get(type) !== cls) r.addWriters({ [type]: cls })
    return r
  }
  const withPeer = async (fn: (writer: Writer, peer: WriterPeer) => Promise<void>) => {
    const peer = await spec.peer()
    const writer = makeWriter<Writer>(cls, { type, ...peer.config })
    try {
      await fn(writer, peer)
    } finally {
      await writer.stop()
      await peer.close?.()
    }
  }
  const result = (n: number): SourceResult =>
    resultOf(new ValueSet().add(n, [], `n${n}`), { type: "Conformance", name: `probe${n}`, id: `conformance#${n}` })

  describe(`${type}: writer conformance`, () => {
    it("the README's sample config is accepted", () => {
      const entry = readmeWriterSample(dir, type)
      const checked = validateConfig({ writer: entry, executors: [{ sources: [{ type: "LoadAvg" }] }] }, registry())
      expect("problems" in checked ? checked.problems : []).toEqual([])
    })

    it("a wrong type is rejected with its path", () => {
      const wrong = wrongWriterValue(cls)
      if (!Object.keys(wrong).length) return // no typed option of its own (DryRun)
      const checked = validateConfig(
        { writer: { ...readmeWriterSample(dir, type), ...wrong }, executors: [{ sources: [{ type: "LoadAvg" }] }] },
        registry(),
      )
      const problems = "problems" in checked ? checked.problems : []
      expect(problems.some((p) => p.startsWith(`writer (${type}): `) && / expected /.test(p))).toBe(true)
    })

    it("start → write → stop delivers what was written", async () => {
      await withPeer(async (writer, peer) => {
        await writer.start()
        await writer.write([result(1), result(2)])
        expect(await until(async () => arrived(await peer.received(), 1) && arrived(await peer.received(), 2))).toBe(true)
      })
    })

    it("gets each source's result as it lands when partial, the merged tick otherwise", async () => {
      await withPeer(async (writer, peer) => {
        await writer.start()
        const calls: number[] = []
        const write = writer.write.bind(writer)
        writer.write = (results) => {
          calls.push(results.length)
          return write(results)
        }
        const sources = [1, 2, 3].map((n) => new Numbered(n))
        const executor = new Executor({
          collection: "pollect",
          tickTimeMs: 10_000,
          threads: 3,
          writers: [writer],
          log: silentLogger,
          selfMetrics: new SelfMetrics(),
          slots: sources.map((source, i) => ({
            id: `executors[0].sources[${i}]`,
            type: "Conformance",
            name: `probe${source.n}`,
            labels: {},
            source,
            setSignal: () => {},
            tickTimeMs: 10_000,
            timeoutMs: 5_000,
          })),
        })
        await executor.tick({ all: true })
        expect(calls).toEqual(writer.partial ? [1, 1, 1] : [3])
        expect(
          await until(async () => {
            const received = await peer.received()
            return [1, 2, 3].every((n) => arrived(received, n))
          }),
        ).toBe(true)
      })
    })

    it("stop() twice is safe, and a write after stop neither throws nor hangs", async () => {
      await withPeer(async (writer) => {
        await writer.start()
        await writer.stop()
        await writer.stop()
        const late = Promise.resolve().then(() => writer.write([result(9)]))
        const settled = await Promise.race([
          late.then(
            () => "done",
            (e: unknown) => (e instanceof Error ? "error" : "threw a non-Error"),
          ),
          Bun.sleep(3000).then(() => "hung"),
        ])
        expect(["done", "error"]).toContain(settled)
      })
    })
  })
}

/** A value of the wrong type for one of the writer's own keys. */
function wrongWriterValue(cls: WriterClass): Record<string, unknown> {
  const entries = (cls.options as { entries?: Record<string, { type?: string; wrapped?: { type?: string } }> }).entries ?? {}
  for (const [key, schema] of Object.entries(entries)) {
    const t = schema.wrapped?.type ?? schema.type
    if (t === "string") return { [key]: 12345 }
    if (t === "number") return { [key]: "x" }
    if (t === "boolean") return { [key]: "x" }
  }
  return {}
}
