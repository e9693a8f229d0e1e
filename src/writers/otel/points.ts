/**
 * From a tick's results to OTLP data points: one point per value, named
 * `collection.type[.name][.valueName]` (the Graphite path without its label segments), labels
 * as attributes, declared counters as cumulative monotonic sums with a start time per series.
 */
import { graphitePaths, type SourceResult, type ValueSet } from "../../api.ts"

/** One OTLP metric (name, unit, description and kind); points of one metric share it by identity. */
export interface MetricInfo {
  name: string
  /** UCUM, "" when the set declares no unit. */
  unit: string
  description: string
  /** A declared counter: a cumulative monotonic Sum; otherwise a Gauge. */
  monotonic: boolean
}

export interface Point {
  metric: MetricInfo
  /** Attribute keys and values, alternating: `[k1, v1, k2, v2]`. */
  attributes: string[]
  /** Unix seconds. */
  time: number
  /** Unix seconds the series started (counters), NaN for gauges. */
  start: number
  value: number
}

/** Declared units (core/naming's words and their abbreviations) → UCUM, as OpenTelemetry's semantic conventions write them. */
const UCUM: Record<string, string> = {
  nanoseconds: "ns",
  microseconds: "us",
  milliseconds: "ms",
  seconds: "s",
  minutes: "min",
  hours: "h",
  days: "d",
  bits: "bit",
  bytes: "By",
  kilobytes: "kBy",
  megabytes: "MBy",
  gigabytes: "GBy",
  terabytes: "TBy",
  kibibytes: "KiBy",
  mebibytes: "MiBy",
  gibibytes: "GiBy",
  tebibytes: "TiBy",
  bits_per_second: "bit/s",
  bytes_per_second: "By/s",
  per_second: "1/s",
  celsius: "Cel",
  percent: "%",
  ratio: "1",
  volts: "V",
  millivolts: "mV",
  amperes: "A",
  milliamperes: "mA",
  watts: "W",
  milliwatts: "mW",
  kilowatts: "kW",
  joules: "J",
  watt_hours: "W.h",
  kilowatt_hours: "kW.h",
  meters: "m",
  kilometers: "km",
  hertz: "Hz",
  rpm: "{rpm}",
}

const ALIASES: Record<string, string> = {
  ns: "nanoseconds",
  us: "microseconds",
  ms: "milliseconds",
  s: "seconds",
  sec: "seconds",
  second: "seconds",
  min: "minutes",
  h: "hours",
  d: "days",
  b: "bytes",
  byte: "bytes",
  bps: "bits_per_second",
  pct: "percent",
  degrees_celsius: "celsius",
  wh: "watt_hours",
  kwh: "kilowatt_hours",
}

/** The UCUM unit of a declared one: `seconds` → `s`, `bytes` → `By`; an unknown word becomes an annotation (`{lux}`). */
export function ucumUnit(declared: string | undefined): string {
  if (!declared) return ""
  const word = declared
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_")
  const unit = UCUM[ALIASES[word] ?? word]
  if (unit !== undefined) return unit
  return `{${word.replace(/[{}]/g, "")}}`
}

/** OpenTelemetry's instrument name syntax allows letters, digits, `_ . - /`; anything else becomes `_`. */
function otelName(path: string): string {
  const safe = path.replace(/[^A-Za-z0-9_.\-/]/g, "_")
  return /^[A-Za-z]/.test(safe) ? safe : "_" + safe
}

const MAX_SERIES = 100_000
const MAX_METRICS = 50_000

/**
 * Turns results into points. Remembers per counter series when it was first seen (its start
 * time; a value below the last one is a reset and starts it again) and one MetricInfo per
 * metric; both are bounded, the oldest entries forgotten first.
 */
export class PointMaker {
  private readonly metrics = new Map<string, MetricInfo>()
  private readonly series = new Map<string, { start: number; last: number }>()

  /** Counter series remembered. */
  get seriesCount(): number {
    return this.series.size
  }

  /** Appends the points of `results` to `out`; returns how many values were left out as not finite. */
  points(results: SourceResult[], out: Point[]): number {
    let invalid = 0
    for (const result of results) {
      if (result.error !== undefined) continue
      const path = graphitePaths(result)
      const statics = Object.entries(result.labels)
      for (const set of result.sets) {
        const byName = new Map<string | undefined, MetricInfo>()
        const counter = set.kind === "counter"
        for (const value of set.values) {
          if (!Number.isFinite(value.value)) {
            invalid++
            continue
          }
          let metric = byName.get(value.name)
          if (metric === undefined)
            byName.set(value.name, (metric = this.metric(path({ value: 0, labelValues: [], name: value.name }), set)))
          const attributes: string[] = []
          for (let i = 0; i < set.labels.length; i++) attributes.push(set.labels[i]!, value.labelValues[i] ?? "")
          for (const [key, text] of statics) attributes.push(key, text)
          const start = counter ? this.start(metric.name, attributes, result.time, value.value) : Number.NaN
          out.push({ metric, attributes, time: result.time, start, value: value.value })
        }
      }
    }
    return invalid
  }

  private metric(path: string, set: ValueSet): MetricInfo {
    const name = otelName(path)
    const monotonic = set.kind === "counter"
    const unit = ucumUnit(set.unit)
    const key = `${name}\0${monotonic}\0${unit}\0${set.help ?? ""}`
    let metric = this.metrics.get(key)
    if (metric === undefined) {
      if (this.metrics.size >= MAX_METRICS) this.metrics.delete(this.metrics.keys().next().value!)
      this.metrics.set(key, (metric = { name, unit, description: set.help ?? "", monotonic }))
    }
    return metric
  }

  private start(name: string, attributes: string[], time: number, value: number): number {
    const key = name + "\0" + attributes.join("\0")
    const seen = this.series.get(key)
    if (seen === undefined) {
      if (this.series.size >= MAX_SERIES) this.series.delete(this.series.keys().next().value!)
      this.series.set(key, { start: time, last: value })
      return time
    }
    if (value < seen.last) seen.start = time // a reset (device restart, wrap-around): a new cumulative run
    seen.last = value
    return seen.start
  }
}

/** Points grouped by metric, in order of first appearance: the Metric messages of one request. */
export function groupByMetric(points: readonly Point[]): { metric: MetricInfo; points: Point[] }[] {
  const groups = new Map<MetricInfo, Point[]>()
  for (const point of points) {
    const group = groups.get(point.metric)
    if (group) group.push(point)
    else groups.set(point.metric, [point])
  }
  return [...groups].map(([metric, pts]) => ({ metric, points: pts }))
}
