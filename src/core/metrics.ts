/**
 * Declared metrics: what a source emits, stated once, statically, beside its code. The source
 * builds its ValueSets from the declaration (`new ValueSet(metrics.load)`), the docs' metric
 * tables are generated from it (`npm run docs`), and the conformance suite checks that what a
 * probe emits on the plugin's testdata is exactly what is declared.
 *
 * @example
 * export const metrics = defineMetrics({
 *   load: { labels: ["time"], help: "System load average" },
 *   memory: { labels: ["type"], unit: "bytes", help: "System memory" },
 *   percent: { values: ["percent"], unit: "percent", help: "Share of memory not available" },
 * })
 */
import type { ValueKind } from "./value-set.ts"

export interface MetricSpec {
  /**
   * The value names this set's values carry (a metric-name suffix and Graphite level each);
   * absent: its values are unnamed. `<word>` stands for a part chosen at run time, by the
   * config or the device (`<metric>`, `<attribute>_raw`).
   */
  readonly values?: readonly string[]
  /** Label names, in order. `<word>` stands for a label named by the config. */
  readonly labels?: readonly string[]
  /** Unit of the raw values (`bytes`, `milliseconds`, `percent`, ...); snake_case names scale to the base unit. */
  readonly unit?: string
  readonly kind?: ValueKind
  /** One line of documentation (Prometheus HELP, the docs' table). */
  readonly help: string
}

export type MetricSpecs = Readonly<Record<string, MetricSpec>>

/** Declares a plugin's metrics; returns them as given, typed, so `metrics.load` is checked by the compiler. */
export function defineMetrics<const T extends MetricSpecs>(specs: T): T {
  for (const [key, spec] of Object.entries(specs)) {
    if (!spec.help) throw new Error(`metric ${key}: help is required`)
  }
  return specs
}

/** `<word>` in a declared name: a part chosen at run time. */
export const PLACEHOLDER = /<[^<>]+>/g

/** Whether `name` (a value or label name as emitted) is one the declared `pattern` allows. */
export function matchesDeclared(pattern: string, name: string): boolean {
  if (!pattern.includes("<")) return pattern === name
  const parts = pattern.split(PLACEHOLDER).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
  return new RegExp(`^${parts.join(".+")}$`, "s").test(name)
}
