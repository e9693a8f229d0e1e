/**
 * The writer conformance suite: what every writer, built-in or extension, must do. A plugin's
 * test calls it once with a real peer (a server on loopback, its own HTTP endpoint, a capture
 * of its output); the plugin adds its own cases beside.
 *
 * @example
 * writerConformance({
 *   type: "Graphite",
 *   cls: GraphiteWriter,
 *   dir: import.meta.dir,
 *   peer: () => {
 *     const carbon = sink()
 *     return { config: { host: "127.0.0.1", plaintextPort: carbon.port }, received: () => carbon.lines(), close: carbon.close }
 *   },
 * })
 */
import { describe, expect, it } from "bun:test"
import { toJsonSchema } from "@valibot/to-json-schema"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { SourceResult, Writer, WriterClass } from "../../src/api.ts"
import { ValueSet } from "../../src/api.ts"
import { validateConfig } from "../../src/config/schema.ts"
import { Executor } from "../../src/core/executor.ts"
import { createLogger, silentLogger } from "../../src/core/log.ts"
import { Source } from "../../src/core/plugin.ts"
import { SelfMetrics } from "../../src/core/self-metrics.ts"
import { createSourceContext } from "../../src/core/source-context.ts"
import { builtinRegistry } from "../../src/registry.ts"
import { sampleConfig, sampleEntries } from "../../scripts/plugin-docs.ts"
import { makeWriter, resultOf } from "../helpers/context.ts"

/** Where the writer writes to during one case, and what arrived there. */
export interface WriterPeer {
  /** Options that point the writer at the peer (merged over `type`). */
  config: Record<string, unknown>
  /** Called once the writer is built, before start(): to inject an output stream, note its port, ... */
  attach?: (writer: Writer) => void
  /**
   * What has arrived so far, one entry per point (a Graphite path line, a series line, a printed
   * tuple), in any order. Called while the writer runs (a peer that scrapes the writer itself
   * cannot be asked after stop()).
   */
  received: (writer: Writer) => Promise<string[]> | string[]
  close?: () => void | Promise<void>
}

export interface WriterConformance {
  /** The config `type`. */
  type: string
  /** Names the run when the suite runs more than once for one writer (`pickle`, `plaintext`). */
  variant?: string
  cls: WriterClass
  /** The plugin's folder (`import.meta.dir`): README.md is read from it. */
  dir: string
  /** Starts a peer for one case; each case gets a fresh one. */
  peer: () => Promise<WriterPeer> | WriterPeer
  /**
   * Whether the value `n` of source `probe<n>` (value name `n<n>`, value n) is in `received`;
   * default: an entry holds both `probe<n>` and `n<n>` (true of Graphite paths and both
   * Prometheus naming schemes).
   */
  arrived?: (received: string[], n: number) => boolean
}

/** The README's sample entry of this writer type. */
export function readmeWriterSample(dir: string, type: string): Record<string, unknown> {
  const sample = sampleEntries(sampleConfig(readFileSync(join(dir, "README.md"), "utf8")), type)[0]
  if (!sample) throw new Error(`README.md's sample config has no writer of type ${type}`)
  return sample.entry
}

/** A source whose probe gives one value `n<n>` = n, or throws when n is negative. */
class Numbered extends Source {
  constructor(readonly n: number) {
    super({ type: "Conformance", name: `probe${n}` }, createSourceContext({ log: silentLogger, stateDir: "", configDir: "" }).ctx)
  }
  override async probe() {
    await Bun.sleep(5 * Math.abs(this.n)) // land one after the other
    if (this.n < 0) throw new Error("the backend of this source is down")
    return new ValueSet().add(this.n, [], `n${this.n}`)
  }
}

/** `probe<n>` and `n<n>` as whole name parts (`.`, `_` or a space around them), in one entry. */
const entryHas = (received: string[], n: number) => {
  const part = (word: string) => new RegExp(`(?<![0-9A-Za-z])${word}(?![0-9A-Za-z])`)
  return received.some((r) => part(`probe${n}`).test(r) && part(`n${n}`).test(r))
}

async function until(check: () => Promise<boolean> | boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await Bun.sleep(20)
  }
  return check()
}

/** Settles `promise` or says why not within `ms`. */
async function settles(promise: Promise<unknown>, ms: number): Promise<"done" | "error" | "threw a non-Error" | "hung"> {
  return Promise.race([
    promise.then(
      () => "done" as const,
      (e: unknown) => (e instanceof Error ? ("error" as const) : ("threw a non-Error" as const)),
    ),
    Bun.sleep(ms).then(() => "hung" as const),
  ])
}

export function writerConformance(spec: WriterConformance): void {
  const { type, cls, dir } = spec
  const arrived = spec.arrived ?? entryHas
  const registry = () => {
    const r = builtinRegistry()
    if (r.writer(type) !== cls) r.addWriters({ [type]: cls })
    return r
  }
  const config = (writer: Record<string, unknown>) => ({ writer, executors: [{ sources: [{ type: "LoadAvg" }] }] })
  /** A fresh peer and a writer pointed at it; both are stopped and closed after `fn`, whatever happens. */
  const withPeer = async (fn: (writer: Writer, peer: WriterPeer) => Promise<void>) => {
    const peer = await spec.peer()
    try {
      const writer = makeWriter<Writer>(cls, { type, ...peer.config })
      peer.attach?.(writer)
      try {
        await fn(writer, peer)
      } finally {
        await writer.stop()
      }
    } finally {
      await peer.close?.()
    }
  }
  const result = (n: number): SourceResult =>
    resultOf(new ValueSet().add(n, [], `n${n}`), { type: "Conformance", name: `probe${n}`, id: `conformance#${n}` })

  describe(`${type}${spec.variant ? ` (${spec.variant})` : ""}: writer conformance`, () => {
    it("the README's sample config is accepted", () => {
      const checked = validateConfig(config(readmeWriterSample(dir, type)), registry())
      expect("problems" in checked ? checked.problems : []).toEqual([])
    })

    it("a wrong type is rejected with its path", () => {
      const wrong = wrongValue(cls)
      if (!wrong) {
        // Nothing typed to get wrong: then it has no options at all (DryRun).
        expect(Object.keys(ownProperties(cls))).toEqual([])
        return
      }
      const checked = validateConfig(config({ ...readmeWriterSample(dir, type), [wrong.key]: wrong.value }), registry())
      expect("problems" in checked ? checked.problems : []).toContain(`writer (${type}): ${wrong.key}: ${wrong.expected}`)
    })

    it("start → write delivers what was written; stop() then returns", async () => {
      await withPeer(async (writer, peer) => {
        await writer.start()
        await writer.write([result(1), result(2)])
        const both = await until(async () => {
          const received = await peer.received(writer)
          return arrived(received, 1) && arrived(received, 2)
        })
        expect({ delivered: both, received: await peer.received(writer) }).toMatchObject({ delivered: true })
        expect(await settles(Promise.resolve(writer.stop()), 10_000)).toBe("done")
      })
    })

    it("a real Executor gives it each source's result as it lands when partial, the merged tick otherwise", async () => {
      await withPeer(async (writer, peer) => {
        await writer.start()
        const calls: number[] = []
        const write = writer.write.bind(writer)
        writer.write = (results) => {
          calls.push(results.length)
          return write(results)
        }
        const lines: string[] = []
        // Three sources that land one after the other, and one that fails (partial writers get its failure too).
        const sources = [1, 2, 3, -4].map((n) => new Numbered(n))
        const executor = new Executor({
          collection: "pollect",
          tickTimeMs: 10_000,
          threads: 4,
          writers: [writer],
          log: createLogger({ level: "warn", write: (line) => lines.push(line) }),
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
        expect(await executor.tick({ all: true })).toEqual({ probed: 4, failed: 1 })
        expect(calls).toEqual(writer.partial ? [1, 1, 1, 1] : [3])
        // The writer took every call, the failed source's result included, without failing.
        expect(lines.filter((line) => line.includes("writer "))).toEqual([])
        const all = await until(async () => {
          const received = await peer.received(writer)
          return [1, 2, 3].every((n) => arrived(received, n))
        })
        expect({ delivered: all, received: await peer.received(writer) }).toMatchObject({ delivered: true })
      })
    })

    it("stop() twice is safe, and a write after stop neither throws nor hangs", async () => {
      await withPeer(async (writer) => {
        await writer.start()
        await writer.write([result(1)])
        expect(await settles(Promise.resolve(writer.stop()), 10_000)).toBe("done")
        expect(await settles(Promise.resolve(writer.stop()), 10_000)).toBe("done")
        expect(
          await settles(
            Promise.resolve().then(() => writer.write([result(9)])),
            3000,
          ),
        ).toBe("done")
      })
    })
  })
}

function ownProperties(cls: WriterClass): Record<string, { type?: string }> {
  const schema = toJsonSchema(cls.options, { errorMode: "ignore", typeMode: "input" }) as { properties?: Record<string, { type?: string }> }
  return schema.properties ?? {}
}

/** A wrong value for one of the writer's own typed keys and the problem it must raise; undefined when it has none. */
function wrongValue(cls: WriterClass): { key: string; value: unknown; expected: string } | undefined {
  for (const [key, prop] of Object.entries(ownProperties(cls))) {
    if (prop.type === "string") return { key, value: 12345, expected: "expected string" }
    if (prop.type === "number" || prop.type === "integer") return { key, value: "x", expected: "expected number" }
    if (prop.type === "boolean") return { key, value: "x", expected: "expected boolean" }
  }
  return undefined
}
