/**
 * SourceResults → line-protocol lines: measurement `<collection>_<type>[_<name>]` (the source's
 * name is part of it, as in pollect's Graphite paths and Prometheus names), tags from the
 * writer's `tags`, the source's static labels and the ValueSet's labels (in that order, later
 * ones win), one field per value (its value name, or `value` when it has none), one line per
 * series and tick with all its fields.
 */
import { resultTimeMs, type SourceResult, type ValueSet } from "../../api.ts"
import { escapeKey, escapeMeasurement, formatTime, formatValue, safeKey, type Precision } from "./line-protocol.ts"

export interface EncodeOptions {
  precision: Precision
  /** Extra tags on every line (the writer's `tags`). */
  tags: Record<string, string>
}

export interface Encoded {
  /** One line per series and tick, without the newline. */
  lines: string[]
  /** Values left out: NaN or ±Infinity, which line protocol cannot carry. */
  invalid: number
}

/** The measurement of a result, unescaped: `pollect_LoadAvg`, `pollect_Http_local`. */
export function measurementOf(result: Pick<SourceResult, "collection" | "type" | "name">): string {
  return `${result.collection}_${result.type}${result.name ? `_${result.name}` : ""}`
}

/** One tag of a set's plan: its `,key=` prefix, and where its value comes from. */
interface PlannedTag {
  prefix: string
  /** Index into the value's labelValues, or -1 for a fixed (already escaped) value. */
  label: number
  fixed: string
}

/**
 * The tags of one set in key order, computed once per set: every value of the set then only
 * concatenates its escaped label values (no sort or map per value).
 */
function planTags(base: Map<string, string>, labels: readonly string[]): PlannedTag[] {
  const byKey = new Map<string, PlannedTag>()
  for (const [key, value] of base)
    if (key !== "" && value !== "") byKey.set(key, { prefix: `,${escapeKey(key)}=`, label: -1, fixed: escapeKey(value) })
  labels.forEach((label, i) => {
    const key = safeKey(label)
    if (key !== "") byKey.set(key, { prefix: `,${escapeKey(key)}=`, label: i, fixed: "" })
  })
  return [...byKey.keys()].sort(byteOrder).map((key) => byKey.get(key)!)
}

function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** A series of one result: its fields so far (`a=1,b=2`) and their keys (a repeated key keeps the last value). */
interface Series {
  keys: string[]
  values: string[]
}

/** Encodes the results of one tick (or of one source, for a partial write). */
export function encodeResults(results: readonly SourceResult[], options: EncodeOptions, out: Encoded = { lines: [], invalid: 0 }): Encoded {
  const extra = Object.entries(options.tags)
  for (const result of results) {
    if (result.sets.length === 0) continue
    const measurement = escapeMeasurement(measurementOf(result))
    const time = formatTime(resultTimeMs(result), options.precision)
    const base = new Map<string, string>()
    for (const [key, value] of extra) base.set(safeKey(key), value)
    for (const key in result.labels) base.set(safeKey(key), result.labels[key]!)
    // One set whose values share one name (most sources): each value is its own line, no grouping
    // (a repeated label tuple gives two lines of one series and time; InfluxDB keeps the last,
    // as it would keep the last of a repeated field).
    const only = result.sets.length === 1 ? result.sets[0]! : undefined
    if (only?.values.every((value) => value.name === only.values[0]?.name)) {
      encodeSingleField(only, base, measurement, ` ${time}`, out)
      continue
    }
    // Series of this result by tag part, in the order they first appear.
    const series = new Map<string, Series>()
    for (const set of result.sets) {
      const plan = planTags(base, set.labels)
      const fixed = fixedTags(plan)
      let lastName: string | undefined
      let lastKey = "value"
      for (const value of set.values) {
        if (!Number.isFinite(value.value)) {
          out.invalid++
          continue
        }
        const tags = fixed ?? tagsOf(plan, value.labelValues)
        if (value.name !== lastName) {
          lastName = value.name
          lastKey = escapeKey(safeKey(value.name || "value"))
        }
        const entry = series.get(tags)
        if (!entry) series.set(tags, { keys: [lastKey], values: [formatValue(value.value)] })
        else {
          const at = entry.keys.indexOf(lastKey)
          if (at >= 0) entry.values[at] = formatValue(value.value)
          else entry.keys.push(lastKey), entry.values.push(formatValue(value.value))
        }
      }
    }
    const head = measurement
    for (const [tags, entry] of series) {
      let fields = `${entry.keys[0]}=${entry.values[0]}`
      for (let i = 1; i < entry.keys.length; i++) fields += `,${entry.keys[i]}=${entry.values[i]}`
      out.lines.push(`${head}${tags} ${fields} ${time}`)
    }
  }
  return out
}

/** The lines of a set whose values all have one name: `measurement,tags key=value time` each. */
function encodeSingleField(set: ValueSet, base: Map<string, string>, head: string, tail: string, out: Encoded): void {
  const plan = planTags(base, set.labels)
  const fixed = fixedTags(plan)
  const key = ` ${escapeKey(safeKey(set.values[0]?.name || "value"))}=`
  for (const value of set.values) {
    if (!Number.isFinite(value.value)) {
      out.invalid++
      continue
    }
    const tags = fixed ?? tagsOf(plan, value.labelValues)
    out.lines.push(head + tags + key + formatValue(value.value) + tail)
  }
}

/** Lines joined into request bodies of at most `batchSize` lines each. */
export function batches(lines: readonly string[], batchSize: number): { body: string; points: number }[] {
  const out: { body: string; points: number }[] = []
  for (let i = 0; i < lines.length; i += batchSize) {
    const chunk = lines.slice(i, i + batchSize)
    out.push({ body: `${chunk.join("\n")}\n`, points: chunk.length })
  }
  return out
}

/** The tag part of a plan whose tags are all fixed (one string for every value); undefined when some come from labels. */
function fixedTags(plan: ReturnType<typeof planTags>): string | undefined {
  return plan.every((tag) => tag.label < 0) ? plan.map((tag) => tag.prefix + tag.fixed).join("") : undefined
}

/** The tag part of one value: fixed tags, and its label values escaped (empty ones left out). */
function tagsOf(plan: ReturnType<typeof planTags>, labelValues: readonly string[]): string {
  let tags = ""
  for (const tag of plan) {
    if (tag.label < 0) tags += tag.prefix + tag.fixed
    else {
      const text = labelValues[tag.label] ?? ""
      if (text !== "") tags += tag.prefix + escapeKey(text)
    }
  }
  return tags
}
