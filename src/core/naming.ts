/**
 * The one module that turns a source's values into metric names. Three schemes:
 * - Graphite: `collection.type[.name][.valueName][.labelValue...]`, type lower-cased as in the
 *   original README (`pollect.loadavg.mid`); dots, slashes and spaces inside a segment become `_`.
 * - Prometheus "pollect": the original's names, so dashboards keep working:
 *   `${collection}_${Type}[_${name}][_${valueName}]`, `-` and `.` → `_`, `!` dropped.
 * - Prometheus "snake_case": conventional names (snake_case, base units, `_total` on counters).
 */
import type { SourceResult } from "./source-result.ts"
import type { Value, ValueSet } from "./value-set.ts"

export type PromNameScheme = "pollect" | "snake_case"

/** Dots, slashes and white space would split the path (slashes even make whisper folders). */
export function graphiteSegment(text: string): string {
  return text.replace(/[./\s]+/g, "_") || "_"
}

export function graphitePath(result: SourceResult, value: Value): string {
  let path = graphiteSegment(result.collection) + "." + graphiteSegment(result.type.toLowerCase())
  if (result.name !== undefined) path += "." + graphiteSegment(result.name)
  if (value.name !== undefined) path += "." + graphiteSegment(value.name)
  for (const label of value.labelValues) path += "." + graphiteSegment(label)
  return path
}

/** Makes any text a valid Prometheus metric or label name. */
export function promSafe(text: string): string {
  const safe = text.replace(/[^a-zA-Z0-9_:]/g, "_")
  return /^[0-9]/.test(safe) ? "_" + safe : safe
}

/** `LoadAvg` → `load_avg`, `HTTPServer` → `http_server`, `bytes-sent.1` → `bytes_sent_1`. */
export function snakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "")
}

/** Units as sources declare them → the Prometheus base unit and the factor to get there. */
const BASE_UNITS: Record<string, { unit: string; factor: number }> = {
  milliseconds: { unit: "seconds", factor: 1e-3 },
  percent: { unit: "ratio", factor: 1e-2 },
}

export function promBaseUnit(set: ValueSet): { unit?: string; factor: number } {
  if (!set.unit) return { factor: 1 }
  return BASE_UNITS[set.unit] ?? { unit: set.unit, factor: 1 }
}

export function promName(result: SourceResult, set: ValueSet, value: Value, scheme: PromNameScheme): string {
  if (scheme === "pollect") {
    let path = `${result.collection}.${result.type}`
    if (result.name !== undefined) path += "." + result.name
    if (value.name !== undefined) path += "." + value.name
    return promSafe(path.replace(/[-.]/g, "_").replace(/!/g, ""))
  }
  const parts = [result.collection, result.type, result.name, value.name].filter((p): p is string => !!p)
  let name = parts.map(snakeCase).filter(Boolean).join("_")
  const { unit } = promBaseUnit(set)
  if (unit && !name.endsWith("_" + unit)) name += "_" + unit
  if (set.kind === "counter" && !name.endsWith("_total")) name += "_total"
  return promSafe(name)
}

/** Label names and values of one value: the set's labels, then the source's static labels. */
export function promLabels(result: SourceResult, set: ValueSet, value: Value): Record<string, string> {
  const labels: Record<string, string> = {}
  set.labels.forEach((label, i) => (labels[promSafe(label)] = value.labelValues[i] ?? ""))
  for (const [key, text] of Object.entries(result.labels)) labels[promSafe(key)] = text
  return labels
}
