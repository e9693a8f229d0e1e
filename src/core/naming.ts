/**
 * The one module that turns a source's values into metric names. Three schemes:
 * - Graphite: `collection.type[.name][.valueName][.labelValue...]`, type lower-cased as in the
 *   original README (`pollect.loadavg.mid`). Dots in a collection, source name or value name are
 *   the path's hierarchy (the original appended value names to the data path); a label value is
 *   one segment, its dots, slashes and spaces become `_`.
 * - Prometheus "pollect": the original's names, so dashboards keep working:
 *   `${collection}_${Type}[_${name}][_${valueName}]`, `-` and `.` → `_`, `!` dropped.
 * - Prometheus "snake_case": conventional names (snake_case, base units, `_total` on counters).
 */
import type { SourceResult } from "./source-result.ts"
import type { Value, ValueSet } from "./value-set.ts"

export type PromNameScheme = "pollect" | "snake_case"

/**
 * A label value is one path segment: dots, slashes and white space would split it (slashes even
 * make whisper folders); control characters (NUL, ESC) would end a line or drive a terminal.
 */
export function graphiteSegment(text: string): string {
  return text.replace(/[./\s\x00-\x1f\x7f]+/g, "_") || "_"
}

/** A name may span levels (`streams.movies`): its dots stay, slashes, white space and control characters become `_`. */
export function graphiteName(text: string): string {
  return text.replace(/[/\s\x00-\x1f\x7f]+/g, "_") || "_"
}

export function graphitePath(result: SourceResult, value: Value): string {
  return graphitePaths(result)(value)
}

/**
 * graphitePath for every value of one result (after `prefix`): the source's part of the path is
 * built once and each value name's part once per name, so a writer pays only for the label
 * segments per value.
 */
export function graphitePaths(result: SourceResult, prefix = ""): (value: Value) => string {
  let head = prefix + graphiteName(result.collection) + "." + graphiteSegment(result.type.toLowerCase())
  if (result.name !== undefined) head += "." + graphiteName(result.name)
  const named = new Map<string, string>()
  return (value) => {
    let path = head
    if (value.name !== undefined) {
      let withName = named.get(value.name)
      if (withName === undefined) named.set(value.name, (withName = head + "." + graphiteName(value.name)))
      path = withName
    }
    for (const label of value.labelValues) path += "." + graphiteSegment(label)
    return path
  }
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

/**
 * Units as sources declare them → the Prometheus base unit and how to get there. `div` (rather
 * than a fractional factor) keeps `3.2 ms` exactly `0.0032`, not `0.0032000000000000003`.
 */
const BASE_UNITS: Record<string, { unit: string; mul?: number; div?: number }> = {
  nanoseconds: { unit: "seconds", div: 1e9 },
  microseconds: { unit: "seconds", div: 1e6 },
  milliseconds: { unit: "seconds", div: 1e3 },
  minutes: { unit: "seconds", mul: 60 },
  hours: { unit: "seconds", mul: 3600 },
  days: { unit: "seconds", mul: 86400 },
  percent: { unit: "ratio", div: 100 },
  bits: { unit: "bytes", div: 8 },
  bits_per_second: { unit: "bytes_per_second", div: 8 },
  kilobytes: { unit: "bytes", mul: 1e3 },
  megabytes: { unit: "bytes", mul: 1e6 },
  gigabytes: { unit: "bytes", mul: 1e9 },
  terabytes: { unit: "bytes", mul: 1e12 },
  kibibytes: { unit: "bytes", mul: 1024 },
  mebibytes: { unit: "bytes", mul: 1024 ** 2 },
  gibibytes: { unit: "bytes", mul: 1024 ** 3 },
  tebibytes: { unit: "bytes", mul: 1024 ** 4 },
  millivolts: { unit: "volts", div: 1e3 },
  milliamperes: { unit: "amperes", div: 1e3 },
  milliwatts: { unit: "watts", div: 1e3 },
  kilowatts: { unit: "watts", mul: 1e3 },
  watt_hours: { unit: "joules", mul: 3600 },
  kilowatt_hours: { unit: "joules", mul: 3.6e6 },
  kilometers: { unit: "meters", mul: 1e3 },
}

/** Abbreviations a source may declare (or end a value name with) → the unit's full name. */
const UNIT_ALIASES: Record<string, string> = {
  ns: "nanoseconds",
  us: "microseconds",
  ms: "milliseconds",
  millis: "milliseconds",
  s: "seconds",
  sec: "seconds",
  secs: "seconds",
  second: "seconds",
  min: "minutes",
  mins: "minutes",
  h: "hours",
  d: "days",
  pct: "percent",
  b: "bytes",
  byte: "bytes",
  kb: "kilobytes",
  mb: "megabytes",
  gb: "gigabytes",
  tb: "terabytes",
  kib: "kibibytes",
  mib: "mebibytes",
  gib: "gibibytes",
  tib: "tebibytes",
  bps: "bits_per_second",
  per_sec: "per_second",
  mv: "millivolts",
  ma: "milliamperes",
  mw: "milliwatts",
  kw: "kilowatts",
  wh: "watt_hours",
  kwh: "kilowatt_hours",
  degrees_celsius: "celsius",
  km: "kilometers",
}

/** Name segments promtool rejects ("abbreviated units", "should not include type"). */
const LINT_SEGMENTS = new Set([
  "s",
  "ms",
  "us",
  "ns",
  "sec",
  "b",
  "kb",
  "mb",
  "gb",
  "tb",
  "pb",
  "m",
  "h",
  "d",
  "counter",
  "gauge",
  "histogram",
  "summary",
  "untyped",
])
/** Suffixes promtool reserves for counters, histograms and summaries. */
const GAUGE_RESERVED_SUFFIX = /_(total|count|sum|bucket)$/
const RESERVED_LABELS = new Set(["le", "quantile"])

function canonicalUnit(unit: string): string {
  const snake = snakeCase(unit)
  return UNIT_ALIASES[snake] ?? snake
}

/** The declared unit's base unit and scale: `milliseconds` → `seconds`, ÷1000. No unit: no suffix, ×1. */
export function promBaseUnit(set: ValueSet): { unit?: string; factor: number } {
  if (!set.unit) return { factor: 1 }
  const declared = canonicalUnit(set.unit)
  if (!declared) return { factor: 1 }
  const base = BASE_UNITS[declared]
  if (!base) return { unit: declared, factor: 1 }
  return { unit: base.unit, factor: base.mul ?? 1 / (base.div ?? 1) }
}

/** Scales a value into its base unit (snake_case names only; the original's names keep raw values). */
export function promValue(set: ValueSet, value: number, scheme: PromNameScheme): number {
  return promScaler(set, scheme)(value)
}

/** promValue for every value of one set, with the unit looked up once. */
export function promScaler(set: ValueSet, scheme: PromNameScheme): (value: number) => number {
  const base = scheme === "snake_case" && set.unit ? BASE_UNITS[canonicalUnit(set.unit)] : undefined
  // 15 significant digits drop the binary noise of the scaling: 24.6 % → 0.246, not 0.24600000000000002.
  if (base?.div !== undefined) {
    const div = base.div
    return (value) => Number((value / div).toPrecision(15))
  }
  if (base?.mul !== undefined) {
    const mul = base.mul
    return (value) => Number((value * mul).toPrecision(15))
  }
  return (value) => value
}

/**
 * snake_case names are pure functions of a handful of strings but cost microseconds each (unit
 * rules, regexes); an exporter renders the same names every tick, so they are remembered. The
 * bound only guards against value names made from data.
 */
const SNAKE_NAMES = new Map<string, string>()
export const SNAKE_NAMES_MAX = 50_000

/** How many snake_case names are remembered now (for the test of the bound). */
export const snakeNamesRemembered = (): number => SNAKE_NAMES.size

export function promName(result: SourceResult, set: ValueSet, value: Value, scheme: PromNameScheme): string {
  if (scheme === "pollect") return pollectName(result, value)
  // An absent name is "", a present one starts with "=": the two never meet.
  const key = `${result.collection}\0${result.type}\0${result.name === undefined ? "" : "=" + result.name}\0${value.name === undefined ? "" : "=" + value.name}\0${set.kind ?? ""}\0${set.unit ?? ""}`
  let name = SNAKE_NAMES.get(key)
  if (name === undefined) {
    if (SNAKE_NAMES.size >= SNAKE_NAMES_MAX) SNAKE_NAMES.clear()
    SNAKE_NAMES.set(key, (name = snakeCaseName(result, set, value)))
  }
  return name
}

function pollectName(result: SourceResult, value: Value): string {
  let path = `${result.collection}.${result.type}`
  if (result.name !== undefined) path += "." + result.name
  if (value.name !== undefined) path += "." + value.name
  return promSafe(path.replace(/[-.]/g, "_").replace(/!/g, ""))
}

function snakeCaseName(result: SourceResult, set: ValueSet, value: Value): string {
  const words = (...parts: (string | undefined)[]) =>
    parts
      .filter((p): p is string => !!p)
      .map(snakeCase)
      .join("_")
      .split("_")
      .filter(Boolean)
  // The rules below rewrite only what the source and its values are called, never collection and type.
  const head = words(result.collection, result.type)
  let rest = words(result.name, value.name)
  const declared = set.unit ? canonicalUnit(set.unit) : undefined
  // `reads_sec`, `bytes_sec`: a trailing `sec` means per second, unless the declared unit is
  // seconds (`uptime_sec` in seconds is `uptime_seconds`, not `uptime_per_seconds`).
  if (rest.at(-1) === "sec" && declared !== "seconds") rest.splice(-1, 1, ...(rest.at(-2) === "per" ? ["second"] : ["per", "second"]))
  // A counter's `total` is its `_total` suffix.
  if (set.kind === "counter") rest = rest.filter((word) => word !== "total")
  const { unit } = promBaseUnit(set)
  // A value name that already ends in its unit (`time_ms`, `load_percent`): the base unit replaces it.
  const unitWords = new Set<string>()
  for (const [alias, full] of Object.entries(UNIT_ALIASES)) if (full === declared || full === unit) unitWords.add(alias)
  if (declared) unitWords.add(declared)
  if (unit) unitWords.add(unit)
  for (const word of [...unitWords].sort((a, b) => b.length - a.length)) {
    const tail = word.split("_")
    if (rest.length >= tail.length && rest.slice(-tail.length).join("_") === word) {
      rest = rest.slice(0, -tail.length)
      break
    }
  }
  // The unit inside the name moves to the end (`bytes_sent` → `sent_bytes`); a declared unit that
  // is converted (`hours_class_1`, hours → seconds) would contradict the base unit and goes.
  for (const word of [declared, unit]) if (word && !word.includes("_")) rest = rest.filter((w) => w !== word)
  let segments = [...head, ...rest]
  segments = glueLintSegments(segments)
  let name = segments.join("_")
  if (set.kind === "counter") name = name.replace(/_total$/, "")
  const appendUnit = unit !== undefined && !name.endsWith("_" + unit)
  // A gauge may not end in a counter's or histogram's suffix; an appended unit moves it off the end.
  if (set.kind !== "counter" && !appendUnit)
    while (GAUGE_RESERVED_SUFFIX.test(name) && name.split("_").length > 2) name = name.replace(GAUGE_RESERVED_SUFFIX, "")
  if (appendUnit) name += "_" + unit
  if (set.kind === "counter") name += "_total"
  return promSafe(name)
}

/** A segment promtool flags (`_ms_`, `_gauge_`) is joined to its neighbour: `http_s` → `https`. */
function glueLintSegments(segments: string[]): string[] {
  const out: string[] = []
  for (const segment of segments) {
    if (LINT_SEGMENTS.has(segment) && out.length) out[out.length - 1] += segment
    else out.push(segment)
  }
  if (out.length > 1 && LINT_SEGMENTS.has(out[0]!)) out.splice(0, 2, out[0]! + out[1]!)
  return out
}

/** A label name in the scheme: as given (sanitised) for "pollect", snake_case and unreserved for "snake_case". */
export function promLabelName(label: string, scheme: PromNameScheme = "pollect"): string {
  if (scheme === "pollect") return promSafe(label)
  const snake = snakeCase(label) || "label"
  const safe = promSafe(snake)
  return RESERVED_LABELS.has(safe) ? safe + "_label" : safe
}

/** Label names and values of one value: the set's labels, then the source's static labels. */
export function promLabels(result: SourceResult, set: ValueSet, value: Value, scheme: PromNameScheme = "pollect"): Record<string, string> {
  const labels: Record<string, string> = {}
  set.labels.forEach((label, i) => (labels[promLabelName(label, scheme)] = value.labelValues[i] ?? ""))
  for (const [key, text] of Object.entries(result.labels)) labels[promLabelName(key, scheme)] = text
  return labels
}
