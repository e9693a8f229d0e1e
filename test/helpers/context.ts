/** Builds sources and writers the way the agent does, for unit tests. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as v from "valibot"
import { createLogger, silentLogger, type Logger } from "../../src/core/log.ts"
import { RateTracker } from "../../src/core/rate.ts"
import type { Source, SourceClass, Writer, WriterClass, WriterContext } from "../../src/core/plugin.ts"
import { SelfMetrics } from "../../src/core/self-metrics.ts"
import { createSourceContext } from "../../src/core/source-context.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { graphitePath } from "../../src/core/naming.ts"
import { toValueSets, type ProbeResult } from "../../src/core/value-set.ts"

/**
 * Folders tempDir made: removed when the process exits. `bun test` fires no "exit" event, so
 * there the run's own TMPDIR takes them (scripts/test.ts for `npm test`, scripts/mutate.ts for a
 * mutation run), removed when the run ends.
 */
const made: string[] = []
let cleanupRegistered = false

export function tempDir(prefix = "pollect-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  if (!cleanupRegistered) {
    cleanupRegistered = true
    process.on("exit", () => {
      for (const d of made) rmSync(d, { recursive: true, force: true })
    })
  }
  return dir
}

/** How `makeSource` builds the source's context; everything is optional. */
export interface MakeSourceOptions {
  /** Default: a fresh temporary folder. */
  stateDir?: string
  /** Default: the current directory. */
  configDir?: string
  /** The rate clock (`ctx.rate`) reads `clock.now` (milliseconds), so a test moves time by hand. */
  clock?: { now: number }
  /** A Logger to use, or an array that receives every line the source logs (debug and up). Default: silent. */
  log?: Logger | string[]
  /** The config's top-level `compat` (`ctx.compat`). Default "1.0". */
  compat?: "1.0" | "1.2"
}

/**
 * A source with its options validated by its own schema, as pollect would build it.
 *
 * @example
 * const clock = { now: 0 }
 * const lines: string[] = []
 * const source = makeSource<IOSource>(IOSource, { type: "IO" }, { clock, log: lines })
 */
export function makeSource<S extends Source>(cls: SourceClass, config: Record<string, unknown>, options: MakeSourceOptions = {}): S {
  const parsed = v.parse(cls.options, config)
  const log = Array.isArray(options.log)
    ? createLogger({ level: "debug", write: (line) => (options.log as string[]).push(line) }, String(config.type ?? "source"))
    : (options.log ?? silentLogger)
  const { ctx } = createSourceContext({
    log,
    stateDir: options.stateDir ?? tempDir(),
    configDir: options.configDir ?? process.cwd(),
    compat: options.compat,
  })
  const clock = options.clock
  if (clock) (ctx as { rate: RateTracker }).rate = new RateTracker(() => clock.now)
  return new cls({ ...config, ...parsed }, ctx) as S
}

/** The context a writer gets from pollect, silent, with a fresh state folder. */
export function writerContext(fields: Partial<WriterContext> = {}): WriterContext {
  return { log: silentLogger, stateDir: tempDir(), configDir: process.cwd(), selfMetrics: new SelfMetrics(), once: false, ...fields }
}

/** A writer with its options validated by its own schema; the third argument is its SelfMetrics or context fields. */
export function makeWriter<W extends Writer>(
  cls: WriterClass,
  config: Record<string, unknown>,
  ctx: SelfMetrics | Partial<WriterContext> = {},
): W {
  const parsed = v.parse(cls.options, config)
  return new cls({ ...config, ...parsed }, writerContext(ctx instanceof SelfMetrics ? { selfMetrics: ctx } : ctx)) as W
}

/** A SourceResult as the executor would hand it to writers. */
export function resultOf(probe: ProbeResult, fields: Partial<SourceResult> = {}): SourceResult {
  return {
    id: "executors[0].sources[0]",
    collection: "pollect",
    type: "Test",
    labels: {},
    time: 1508478781,
    timeoutSeconds: 10,
    ...fields,
    sets: toValueSets(probe),
  }
}

/** Graphite path → value of one probe, named as a given source type (`Interface`) would be. */
export function byGraphitePath(probe: ProbeResult, type: string, name?: string): Map<string, number> {
  const result = resultOf(probe, { type, name })
  const out = new Map<string, number>()
  for (const set of result.sets) for (const value of set.values) out.set(graphitePath(result, value), value.value)
  return out
}
