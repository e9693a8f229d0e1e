/**
 * What a probe returns. Same shape as the Python pollect's ValueSet, so extensions port over:
 * a ValueSet has label names; each of its values carries the label values and an optional
 * value name (a path segment / metric-name suffix).
 */
import type { MetricSpec } from "./metrics.ts"

/** How a value behaves over time; only the snake_case Prometheus names use it (`_total`). */
export type ValueKind = "gauge" | "counter"

function isSpec(value: readonly string[] | MetricSpec): value is MetricSpec {
  return !Array.isArray(value)
}

export interface Value {
  value: number
  /** One entry per label of the set, in the same order. */
  labelValues: string[]
  /** Appended to the metric name: `pollect.interface.total_bytes_sent` */
  name?: string
}

export interface ValueSetMeta {
  /** Base unit for conventional names (`bytes`, `seconds`, `ratio`, `celsius`, ...). */
  unit?: string
  kind?: ValueKind
  /** One line of documentation (Prometheus HELP). */
  help?: string
}

export class ValueSet {
  readonly labels: string[]
  readonly values: Value[] = []
  unit?: string
  kind?: ValueKind
  help?: string
  /** The declaration this set was built from (`new ValueSet(metrics.load)`), if any. */
  readonly spec?: MetricSpec

  /**
   * @example
   * new ValueSet(metrics.load)                  // labels, unit, kind and help as declared
   * new ValueSet(metrics.value, { labels })     // a declaration whose labels the config names
   * new ValueSet(["time"], { help: "Load" })    // undeclared, as extensions of pollect 1.x do
   */
  constructor(labelsOrSpec: readonly string[] | MetricSpec = [], meta: ValueSetMeta & { labels?: readonly string[] } = {}) {
    if (isSpec(labelsOrSpec)) {
      this.spec = labelsOrSpec
      this.labels = [...(meta.labels ?? labelsOrSpec.labels ?? [])]
      this.unit = labelsOrSpec.unit
      this.kind = labelsOrSpec.kind
      this.help = labelsOrSpec.help
    } else {
      // The caller's array, as before declared metrics: no copy per set on the probe path.
      this.labels = labelsOrSpec as string[]
      this.unit = meta.unit
      this.kind = meta.kind
      this.help = meta.help
    }
  }

  /** Adds a value; `true`/`false` become 1/0 as in the original. */
  add(value: number | boolean, labelValues: string[] = [], name?: string): this {
    if (labelValues.length !== this.labels.length) {
      throw new Error(`value has ${labelValues.length} label values, the set has ${this.labels.length} labels`)
    }
    this.values.push({ value: typeof value === "boolean" ? Number(value) : value, labelValues, name })
    return this
  }
}

/** Everything a probe may return. */
export type ProbeResult = number | boolean | Record<string, number | boolean> | ValueSet | ValueSet[] | null | undefined

/** Turns any ProbeResult into ValueSet[]: a number is one unnamed value, a record one named value per key. */
export function toValueSets(result: ProbeResult): ValueSet[] {
  if (result === null || result === undefined) return []
  if (result instanceof ValueSet) return [result]
  if (Array.isArray(result)) {
    for (const item of result) {
      if (!(item instanceof ValueSet)) throw new TypeError("probe returned an array that holds something other than ValueSet")
    }
    return result
  }
  if (typeof result === "number" || typeof result === "boolean") return [new ValueSet().add(result)]
  if (typeof result === "object") {
    const set = new ValueSet()
    for (const [name, value] of Object.entries(result)) {
      if (typeof value !== "number" && typeof value !== "boolean") {
        throw new TypeError(`probe returned a record whose key "${name}" is not a number`)
      }
      set.add(value, [], name)
    }
    return [set]
  }
  throw new TypeError(`probe returned ${typeof result}; expected a number, a record of numbers or ValueSet(s)`)
}
