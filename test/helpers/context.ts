/** Builds sources and writers the way the agent does, for unit tests. */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as v from "valibot"
import { silentLogger } from "../../src/core/log.ts"
import type { Source, SourceClass, Writer, WriterClass, WriterContext } from "../../src/core/plugin.ts"
import { SelfMetrics } from "../../src/core/self-metrics.ts"
import { createSourceContext } from "../../src/core/source-context.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { graphitePath } from "../../src/core/naming.ts"
import { toValueSets, type ProbeResult } from "../../src/core/value-set.ts"

export function tempDir(prefix = "pollect-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A source with its options validated by its own schema, as pollect would build it. */
export function makeSource<S extends Source>(
  cls: SourceClass,
  config: Record<string, unknown>,
  dirs: { stateDir?: string; configDir?: string } = {},
): S {
  const parsed = v.parse(cls.options, config)
  const { ctx } = createSourceContext({
    log: silentLogger,
    stateDir: dirs.stateDir ?? tempDir(),
    configDir: dirs.configDir ?? process.cwd(),
  })
  return new cls({ ...config, ...parsed }, ctx) as S
}

export function makeWriter<W extends Writer>(cls: WriterClass, config: Record<string, unknown>, selfMetrics = new SelfMetrics()): W {
  const parsed = v.parse(cls.options, config)
  const ctx: WriterContext = { log: silentLogger, stateDir: tempDir(), configDir: process.cwd(), selfMetrics, once: false }
  return new cls({ ...config, ...parsed }, ctx) as W
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
