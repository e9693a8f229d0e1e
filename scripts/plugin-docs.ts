/**
 * The generated parts of each plugin's README: the Options table (from the valibot schema and
 * its `v.description()`s) and the Metrics table (from the declared metrics, with every name
 * computed by core/naming.ts). `npm run docs` rewrites them; test/docs-fresh.test.ts fails when
 * one is stale. Text between the markers is the generator's; everything else is written by hand.
 *
 * @example
 * <!-- BEGIN GENERATED: options -->
 * ...
 * <!-- END GENERATED: options -->
 */
import { toJsonSchema } from "@valibot/to-json-schema"
import { readdirSync, readFileSync } from "node:fs"
import { basename, join, relative, resolve } from "node:path"
import type { MetricSpec, MetricSpecs, SourceClass, SourceResult, Value, WriterClass } from "../src/api.ts"
import { graphitePath, promLabelName, promName, ValueSet } from "../src/api.ts"
import { PLACEHOLDER } from "../src/core/metrics.ts"
import { builtinSources } from "../src/sources/index.ts"
import { builtinWriters } from "../src/writers/index.ts"

export const SRC = resolve(import.meta.dir, "../src")

export interface PluginDoc {
  kind: "sources" | "writers"
  /** The config type (the first registered, for a class registered under two names). */
  type: string
  /** Other config types of the same class (`Fritz` for `Fritzbox`). */
  aliases: string[]
  cls: SourceClass | WriterClass
  /** The plugin's folder. */
  dir: string
  readme: string
}

/** `LoadAvg` → `load-avg`, `IO` → `io`, `MMI` → `mmi`: a plugin's folder name. */
export function folderOf(type: string): string {
  return type
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .toLowerCase()
}

/** Every built-in plugin whose folder exists, with its README path. */
export function builtinPlugins(): PluginDoc[] {
  const docs: PluginDoc[] = []
  // The docs want every plugin's declared metrics: each class is loaded here (the daemon loads only what its config uses).
  const add = (kind: PluginDoc["kind"], registry: Record<string, { cls: SourceClass | WriterClass }>) => {
    const folders = new Set(readdirSync(join(SRC, kind)))
    const seen = new Map<SourceClass | WriterClass, PluginDoc>()
    for (const [type, { cls }] of Object.entries(registry)) {
      const known = seen.get(cls)
      if (known) {
        known.aliases.push(type)
        continue
      }
      // `InfluxDB` lives in influxdb/ (a brand name kept whole), not influx-db/.
      const folder = [folderOf(type), type.toLowerCase()].find((name) => folders.has(name))
      if (!folder) continue
      const dir = join(SRC, kind, folder)
      const doc: PluginDoc = { kind, type, aliases: [], cls, dir, readme: join(dir, "README.md") }
      seen.set(cls, doc)
      docs.push(doc)
    }
  }
  add("sources", builtinSources)
  add("writers", builtinWriters)
  return docs
}

// ---------------------------------------------------------------- sample config

/** The first ```json block under "## Sample config": a source or writer entry, or a whole config. */
export function sampleConfig(readme: string): unknown {
  const section = /^## Sample config\s*$([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(readme)?.[1]
  const block = section && /```jsonc?\n([\s\S]*?)```/.exec(section)?.[1]
  if (!block) throw new Error('no ```json block under "## Sample config"')
  return Bun.JSONC.parse(block)
}

/** The entries of `type` in a sample (an entry, a list, or a whole config), with their executor's collection. */
export function sampleEntries(sample: unknown, type: string): { entry: Record<string, unknown>; collection: string }[] {
  const found: { entry: Record<string, unknown>; collection: string }[] = []
  const visit = (node: unknown, collection: string) => {
    if (Array.isArray(node)) return node.forEach((item) => visit(item, collection))
    if (!node || typeof node !== "object") return
    const record = node as Record<string, unknown>
    if (record.type === type) found.push({ entry: record, collection })
    const next = typeof record.collection === "string" ? record.collection : collection
    for (const value of Object.values(record)) visit(value, next)
  }
  visit(sample, "pollect")
  return found
}

// ---------------------------------------------------------------- options table

interface JsonSchema {
  type?: string | string[]
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  items?: JsonSchema
  properties?: Record<string, JsonSchema>
  additionalProperties?: JsonSchema | boolean
  required?: string[]
  default?: unknown
  description?: string
  minimum?: number
  maximum?: number
}

function typeText(schema: JsonSchema): string {
  if (schema.const !== undefined) return "`" + JSON.stringify(schema.const) + "`"
  if (schema.enum) return schema.enum.map((item) => "`" + JSON.stringify(item) + "`").join(" | ")
  if (schema.anyOf) return [...new Set(schema.anyOf.map(typeText))].join(" or ")
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type
  if (type === "array") return `${schema.items ? typeText(schema.items) : "any"}[]`
  if (type === "object" && !schema.properties && schema.additionalProperties && typeof schema.additionalProperties === "object") {
    return `map of ${typeText(schema.additionalProperties)}`
  }
  if (type === "integer") return "integer"
  return type ?? "any"
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ")

/** The Options table: one row per own key of the plugin, nested objects as `key.sub`. */
export function optionsTable(cls: SourceClass | WriterClass): string {
  const schema = toJsonSchema(cls.options, { errorMode: "ignore", typeMode: "input" }) as JsonSchema
  const rows: string[] = []
  const add = (props: Record<string, JsonSchema>, required: string[], prefix: string) => {
    for (const [key, prop] of Object.entries(props)) {
      const name = prefix + key
      const def = prop.default === undefined ? "" : "`" + JSON.stringify(prop.default) + "`"
      const need = required.includes(key) ? "yes" : ""
      rows.push(`| \`${name}\` | ${cell(typeText(prop))} | ${cell(def)} | ${need} | ${cell(prop.description ?? "")} |`)
      const nested = prop.properties ? prop : prop.anyOf?.find((alt) => alt.properties)
      if (nested?.properties) add(nested.properties, nested.required ?? [], name + ".")
    }
  }
  add(schema.properties ?? {}, schema.required ?? [], "")
  if (!rows.length) return "None."
  return ["| Option | Type | Default | Required | Description |", "| --- | --- | --- | --- | --- |", ...rows].join("\n")
}

// ---------------------------------------------------------------- metrics table

/** Names with `<word>` parts: computed with stand-ins that survive every naming rule, then put back. */
function withPlaceholders(texts: (string | undefined)[]) {
  const words: string[] = []
  const encode = (text: string | undefined) =>
    text?.replace(PLACEHOLDER, (word) => {
      words.push(word)
      return `qq${words.length - 1}qq`
    })
  const decode = (text: string) => text.replace(/qq(\d+)qq/gi, (_, i: string) => words[Number(i)]!)
  return { encoded: texts.map(encode), decode }
}

export interface MetricRow {
  graphite: string
  pollect: string
  snakeCase: string
  unit: string
  kind: string
  help: string
}

/** One row per declared value name (one for an unnamed set), named as a source of this sample would be. */
export function metricRows(specs: MetricSpecs, source: { type: string; name?: string; collection: string }): MetricRow[] {
  const rows: MetricRow[] = []
  for (const spec of Object.values(specs) as MetricSpec[]) {
    for (const valueName of spec.values ?? [undefined]) {
      // `<label>...`: any number of labels the config names, shown as one.
      const labels = (spec.labels ?? []).map((label) => label.replace(/\.\.\.$/, ""))
      const { encoded, decode } = withPlaceholders([source.name, valueName, ...labels])
      const [name, value, ...labelNames] = encoded
      const set = new ValueSet(spec, { labels: labelNames as string[] })
      const result: SourceResult = {
        id: "docs",
        collection: source.collection,
        type: source.type,
        name,
        labels: {},
        time: 0,
        sets: [set],
        timeoutSeconds: 1,
      }
      const v: Value = { value: 0, labelValues: labels.map((label) => `<${label.replace(/[<>]/g, "")}>`), name: value }
      const labelList = (scheme: "pollect" | "snake_case") =>
        labels.length ? `{${labelNames.map((l) => promLabelName(l!, scheme)).join(",")}}` : ""
      rows.push({
        graphite: decode(graphitePath(result, v)),
        pollect: decode(promName(result, set, v, "pollect") + labelList("pollect")),
        snakeCase: decode(promName(result, set, v, "snake_case") + labelList("snake_case")),
        unit: spec.unit ?? "",
        kind: spec.kind ?? "gauge",
        help: spec.help,
      })
    }
  }
  return rows
}

export function metricsTable(doc: PluginDoc, readmeText: string): string {
  const specs = (doc.cls as SourceClass).metrics ?? {}
  if (!Object.keys(specs).length) return "This plugin declares no metrics."
  const sample = sampleEntries(sampleConfig(readmeText), doc.type)[0]
  const name = typeof sample?.entry.name === "string" ? sample.entry.name : undefined
  const rows = metricRows(specs, { type: doc.type, name, collection: sample?.collection ?? "pollect" })
  const code = (text: string) => "`" + text + "`"
  const lines = rows.map(
    (r) => `| ${code(r.graphite)} | ${code(r.pollect)} | ${code(r.snakeCase)} | ${r.unit} | ${r.kind} | ${cell(r.help)} |`,
  )
  const intro = name
    ? `Names as the sample config (\`"name": "${name}"\`) gives them; \`<label>\` is a label's value.`
    : "`<label>` is a label's value."
  return [
    intro,
    "",
    '| Graphite | Prometheus (`names: "pollect"`) | Prometheus (`snake_case`) | Unit | Kind | Description |',
    "| --- | --- | --- | --- | --- | --- |",
    ...lines,
  ].join("\n")
}

// ---------------------------------------------------------------- README update

const marker = (part: string, edge: "BEGIN" | "END") => `<!-- ${edge} GENERATED: ${part} -->`

/** Replaces the text between one part's markers; throws when the README has no such markers. */
export function replaceGenerated(readme: string, part: string, body: string): string {
  const begin = marker(part, "BEGIN")
  const end = marker(part, "END")
  const from = readme.indexOf(begin)
  const to = readme.indexOf(end)
  if (from < 0 || to < from) throw new Error(`no "${begin}" ... "${end}" markers`)
  return readme.slice(0, from + begin.length) + "\n" + body + "\n" + readme.slice(to)
}

/** The README as `npm run docs` would write it. */
export function regenerated(doc: PluginDoc, readme: string): string {
  let text = replaceGenerated(readme, "options", optionsTable(doc.cls))
  if (doc.kind === "sources") text = replaceGenerated(text, "metrics", metricsTable(doc, text))
  return text
}

/** docs/plugins.md: one row per plugin, linking its README, with its first line of description. */
export function pluginIndex(plugins: PluginDoc[], current: string): string {
  const row = (doc: PluginDoc) => {
    const text = readFileSync(doc.readme, "utf8")
    const paragraph = text.split(/\n\s*\n/).find((block) => block.trim() && !block.startsWith("#")) ?? ""
    const flat = paragraph.replace(/\s+/g, " ").trim()
    const summary = /^.*?[.:](?=\s|$)/.exec(flat)?.[0].replace(/:$/, ".") ?? flat
    const types = [doc.type, ...doc.aliases].map((t) => "`" + t + "`").join(", ")
    return `| ${types} | [${basename(doc.dir)}](${relativeLink(doc)}) | ${cell(summary)} |`
  }
  const table = (kind: PluginDoc["kind"]) =>
    ["| Type | Page | What |", "| --- | --- | --- |", ...plugins.filter((d) => d.kind === kind).map(row)].join("\n")
  return replaceGenerated(replaceGenerated(current, "sources", table("sources")), "writers", table("writers"))
}

function relativeLink(doc: PluginDoc): string {
  return "../" + relative(resolve(SRC, ".."), doc.readme)
}
