/**
 * The config's shape: pollect's own keys here, each plugin's keys in its class's `options`.
 * Validation runs in two passes so every problem is reported at once, by path: the structure
 * first, then each source and writer against its own schema.
 */
import * as v from "valibot"
import { statusSchema, type StatusOptions } from "../status/status-options.ts"
import type { CommonSourceOptions, OptionsSchema, SourceClass, WriterClass } from "../core/plugin.ts"
import { optionWarnings } from "../lib/options/option-warning.ts"
import type { PluginEntry, Registry } from "../core/registry.ts"
import { formatPath, shortKey, type PathKey } from "./path.ts"
import { notPortedProblem } from "./not-ported.ts"

/**
 * The longest interval or timeout: 24 days. Timers hold at most 2^31−1 ms (24.8 days); a longer
 * one (or YAML's `.inf`) fires at once, again and again, with a warning each time.
 */
export const MAX_SECONDS = 24 * 86400
const seconds = v.pipe(v.number(), v.gtValue(0), v.maxValue(MAX_SECONDS))

export const commonSourceEntries = {
  type: v.pipe(v.string(), v.description("The source type (LoadAvg, Http, ...), or an extension's XSource as X")),
  name: v.optional(v.pipe(v.string(), v.description("Part of every metric name of this source: pollect.http.<name>, pollect_Http_<name>"))),
  labels: v.optional(v.pipe(v.record(v.string(), v.string()), v.description("Static labels added to every value (Prometheus)"))),
  tickTime: v.optional(v.pipe(seconds, v.description("Seconds between probes; a multiple of the executor's tickTime"))),
  timeout: v.optional(v.pipe(seconds, v.description("Seconds a probe may take; default: the source's own default, at most the tick"))),
}
const commonSourceSchema = v.object(commonSourceEntries)

const pluginRef = v.looseObject({ type: v.string() })
const writerRefs = {
  writer: v.optional(v.union([pluginRef, v.array(pluginRef)])),
  writers: v.optional(v.array(pluginRef)),
}

const executorSchema = v.looseObject({
  collection: v.optional(v.string(), "pollect"),
  /** 0 (as in the original) means the global tickTime. */
  tickTime: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(MAX_SECONDS))),
  threads: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  sources: v.array(pluginRef),
  ...writerRefs,
})

const configSchema = v.looseObject({
  $schema: v.optional(v.string()),
  tickTime: v.optional(seconds, 10),
  threads: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 5),
  extensions: v.optional(v.array(v.string()), []),
  stateDir: v.optional(v.string()),
  compat: v.optional(
    v.pipe(
      v.picklist(["1.0", "1.2"]),
      v.description(
        'Which pollect\'s metric names sources give where they differ: "1.0" (the seed\'s) or "1.2" (pollect 1.2: Sensors, SmartCtl); the Python pollect ignores this key',
      ),
    ),
    "1.0",
  ),
  executors: v.array(executorSchema),
  status: v.optional(statusSchema),
  ...writerRefs,
})

export type PluginRef = { type: string } & Record<string, unknown>

export interface SourceSpec {
  path: string
  type: string
  cls: SourceClass
  config: CommonSourceOptions & Record<string, unknown>
}

export interface WriterSpec {
  path: string
  type: string
  cls: WriterClass
  config: PluginRef
  /** Identical writer configs share one instance: this is their identity. */
  key: string
}

export interface ExecutorSpec {
  path: string
  collection: string
  tickTime: number
  threads: number
  sources: SourceSpec[]
  writers: WriterSpec[]
}

export interface PollectConfig {
  tickTime: number
  threads: number
  extensions: string[]
  stateDir?: string
  /** Which pollect's metric names sources follow where 1.0 and 1.2 differ (SourceContext.compat). */
  compat: "1.0" | "1.2"
  executors: ExecutorSpec[]
  /** The status page (off when absent). */
  status?: StatusOptions
  /** Not errors, but worth telling: unknown keys, no writer. */
  warnings: string[]
}

/** valibot issue → `metrics[0].oids: expected array`; never echoes the received value (it may be a secret). */
export function describeIssue(issue: v.BaseIssue<unknown>, schema: v.GenericSchema, prefix: PathKey[] = []): string {
  const keys = (issue.path ?? []).map((item) => item.key as PathKey)
  const path = [...prefix, ...keys]
  let what: string
  // A check's own words, and a validation the schema gave a message of its own ("must be a bcrypt hash ...");
  // valibot's defaults ("Invalid length: ...") give way to `expected ...`.
  if (issue.kind === "validation" && (issue.type === "check" || issue.type === "custom" || !/^Invalid /.test(issue.message)))
    what = issue.message
  else if (issue.kind === "schema" && issue.type === "union" && issue.issues?.length) {
    const alternatives = [...new Set(issue.issues.map((sub) => lowerType(sub.expected)))].filter(Boolean)
    what = `expected ${alternatives.join(" or ")}`
  } else if (issue.received === "undefined" && issue.type.endsWith("object")) {
    // A missing key: valibot names the key; the user wants its type.
    what = `expected ${lowerType(schemaAt(schema, keys)?.expects ?? null)}`
  } else what = `expected ${lowerType(issue.expected ?? issue.type)}`
  return `${formatPath(path)}: ${what}`
}

/** The schema that validates the value at `keys`, looking through optional, pipe and array wrappers. */
function schemaAt(schema: v.GenericSchema, keys: PathKey[]): v.GenericSchema | undefined {
  let current: unknown = schema
  const unwrap = () => {
    for (;;) {
      const node = current as { type?: string; wrapped?: unknown; pipe?: unknown[] }
      if (node.pipe?.[0] && node.pipe[0] !== current) current = node.pipe[0]
      else if (node.wrapped) current = node.wrapped
      else return
    }
  }
  for (const key of keys) {
    unwrap()
    const node = current as { entries?: Record<string, unknown>; item?: unknown; value?: unknown }
    current = typeof key === "number" ? node.item : (node.entries?.[key] ?? node.value)
    if (!current) return undefined
  }
  unwrap()
  return current as v.GenericSchema
}

function lowerType(expected: string | null): string {
  return (expected ?? "a valid value").replace(/\b(Object|Array|Date|Blob)\b/g, (word) => word.toLowerCase())
}

function issuesOf(schema: v.GenericSchema, input: unknown) {
  const result = v.safeParse(schema, input)
  return result.success
    ? { output: result.output as Record<string, unknown>, problems: [] as string[] }
    : { output: undefined, problems: result.issues.map((issue) => describeIssue(issue, schema)) }
}

function entriesOf(schema: OptionsSchema): string[] | undefined {
  const entries = (schema as { entries?: Record<string, unknown> }).entries
  return entries ? Object.keys(entries) : undefined
}

/** Canonical JSON (sorted keys), so `{a,b}` and `{b,a}` are the same writer. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

export function validateConfig(raw: unknown, registry: Registry): PollectConfig | { problems: string[] } {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return { problems: ["(top level): expected object"] }
  const top = issuesOf(configSchema, raw)
  // A config whose structure has problems is still checked source by source, writer by writer,
  // as far as its shape allows, so the report lists every problem at once.
  const config = (top.output ?? salvage(raw as Record<string, unknown>)) as v.InferOutput<typeof configSchema>
  const problems: string[] = [...top.problems]
  const warnings: string[] = []

  const checkPlugin = <C extends SourceClass | WriterClass>(
    kind: "source" | "writer",
    known: Map<string, PluginEntry<C>>,
    ref: PluginRef,
    path: PathKey[],
    common?: v.GenericSchema,
  ) => {
    const where = formatPath(path)
    const entry = known.get(ref.type)
    if (!entry) {
      const notPorted = notPortedProblem(kind, ref.type)
      if (notPorted) {
        problems.push(`${where}: ${notPorted}`)
        return undefined
      }
      const types = [...known.keys()].sort().join(", ")
      problems.push(`${where}: unknown ${kind} type "${shortKey(ref.type)}" (known: ${types})`)
      return undefined
    }
    const label = `${where} (${ref.type})`
    const base = common ? issuesOf(common, ref) : { output: { type: ref.type }, problems: [] }
    const own = issuesOf(entry.options, ref)
    for (const problem of [...base.problems, ...own.problems]) problems.push(`${label}: ${problem}`)
    if (!base.output || !own.output) return undefined
    for (const warning of optionWarnings(entry.options, own.output))
      warnings.push(`${label}: ${formatPath(warning.path)}: ${warning.message}`)
    const ownKeys = entriesOf(entry.options)
    if (ownKeys) {
      const commonKeys = common ? Object.keys(commonSourceEntries) : ["type"]
      for (const key of Object.keys(ref)) {
        if (!ownKeys.includes(key) && !commonKeys.includes(key)) warnings.push(`${label}: unknown key "${shortKey(key)}" is ignored`)
      }
    }
    // Only now is the implementation loaded: a config evaluates the plugins it uses, no other.
    return { cls: entry.cls, config: { ...base.output, ...own.output } as PluginRef }
  }

  const writersAt = (owner: { writer?: PluginRef | PluginRef[]; writers?: PluginRef[] }, path: PathKey[]): WriterSpec[] => {
    const refs: [PluginRef, PathKey[]][] = []
    if (Array.isArray(owner.writer)) owner.writer.forEach((w, i) => refs.push([w, [...path, "writer", i]]))
    else if (owner.writer) refs.push([owner.writer, [...path, "writer"]])
    owner.writers?.forEach((w, i) => refs.push([w, [...path, "writers", i]]))
    const specs: WriterSpec[] = []
    for (const [ref, at] of refs) {
      if (ref === SKIP) continue
      const checked = checkPlugin("writer", registry.writers, ref, at)
      if (checked)
        specs.push({ path: formatPath(at), type: ref.type, cls: checked.cls, config: checked.config, key: canonical(checked.config) })
    }
    return specs
  }

  const globalWriters = writersAt(config, [])
  const executors: ExecutorSpec[] = config.executors.map((exec, e) => {
    const path: PathKey[] = ["executors", e]
    const tickTime = exec.tickTime || config.tickTime
    const sources: SourceSpec[] = []
    exec.sources.forEach((ref, s) => {
      if (ref === SKIP) return
      const checked = checkPlugin("source", registry.sources, ref, [...path, "sources", s], commonSourceSchema)
      if (!checked) return
      const spec: SourceSpec = {
        path: formatPath([...path, "sources", s]),
        type: ref.type,
        cls: checked.cls as SourceClass,
        config: checked.config as SourceSpec["config"],
      }
      // The executor's timer is the fastest a source can run.
      if (spec.config.tickTime !== undefined && spec.config.tickTime < tickTime) {
        warnings.push(
          `${spec.path} (${spec.type}): tickTime ${spec.config.tickTime} s is shorter than the executor's ${tickTime} s; it is probed every ${tickTime} s`,
        )
      }
      sources.push(spec)
    })
    const own = writersAt(exec, path)
    const writers = own.length ? own : globalWriters
    if (!writers.length) warnings.push(`${formatPath(path)}: no writer configured (globally or here); values go to DryRun (stdout)`)
    return {
      path: formatPath(path),
      collection: exec.collection,
      tickTime,
      threads: exec.threads ?? config.threads,
      sources,
      writers,
    }
  })

  if (problems.length) return { problems }
  return {
    tickTime: config.tickTime,
    threads: config.threads,
    extensions: config.extensions,
    stateDir: config.stateDir,
    compat: config.compat,
    executors,
    status: config.status,
    warnings,
  }
}

/**
 * What of a structurally broken config can still be checked: executors that are objects, their
 * sources and writers that are objects with a string `type`; wrong scalars take their defaults
 * (their own problems are already reported by the structure check).
 */
function salvage(raw: Record<string, unknown>): v.InferOutput<typeof configSchema> {
  const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === "object" && !Array.isArray(x)
  const refs = (x: unknown) => (Array.isArray(x) ? x.map((r) => (isObject(r) && typeof r.type === "string" ? (r as PluginRef) : SKIP)) : [])
  const writerRef = (x: unknown) => (Array.isArray(x) ? refs(x) : isObject(x) && typeof x.type === "string" ? (x as PluginRef) : undefined)
  const positive = (x: unknown) => (typeof x === "number" && x > 0 ? x : undefined)
  const executors = Array.isArray(raw.executors) ? raw.executors : []
  return {
    tickTime: positive(raw.tickTime) ?? 10,
    threads: positive(raw.threads) ?? 5,
    extensions: [],
    compat: "1.0",
    executors: executors.map((e) => {
      const exec = isObject(e) ? e : {}
      return {
        collection: typeof exec.collection === "string" ? exec.collection : "pollect",
        tickTime: positive(exec.tickTime),
        threads: positive(exec.threads),
        // Keeps its index: a source's path must stay the one the user sees.
        sources: Array.isArray(exec.sources) ? exec.sources.map((r) => (isObject(r) && typeof r.type === "string" ? r : SKIP)) : [],
        writer: writerRef(exec.writer),
        writers: refs(exec.writers),
      }
    }),
    writer: writerRef(raw.writer),
    writers: refs(raw.writers),
  } as unknown as v.InferOutput<typeof configSchema>
}

/** A source entry the structure check already reported (no object, no string type). */
const SKIP = { type: "\0skip" } as PluginRef

/** The whole config as one valibot schema (every known type spelled out), for `pollect schema`. */
export function fullConfigSchema(registry: Registry): v.GenericSchema {
  const variants = (known: Map<string, PluginEntry<SourceClass | WriterClass>>, common: Record<string, v.GenericSchema>) =>
    [...known.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, entry]) =>
        v.object({ ...common, ...((entry.options as { entries?: v.ObjectEntries }).entries ?? {}), type: v.literal(type) }),
      )
  const sourceSchema = v.union(variants(registry.sources, commonSourceEntries))
  const writerSchema = v.union(variants(registry.writers, {}))
  const writerKeys = { writer: v.optional(v.union([writerSchema, v.array(writerSchema)])), writers: v.optional(v.array(writerSchema)) }
  return v.object({
    ...configSchema.entries,
    executors: v.array(v.object({ ...executorSchema.entries, sources: v.array(sourceSchema), ...writerKeys })),
    ...writerKeys,
  })
}
