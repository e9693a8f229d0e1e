/**
 * Side by side with pollect 1.2: a /metrics page it served (recorded in a plugin's
 * testdata/python-1.2/metrics.txt) against the same sources' results through this port's
 * Prometheus exposition (the SeriesStore, `names: "pollect"`), as series → value maps.
 */
import { silentLogger } from "../../src/core/log.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { SeriesStore } from "../../src/writers/prometheus/series-store.ts"

/** `name{a="x",b="y"} 1.5` lines → `name{a="x",b="y"}` (labels sorted) → value; comments skipped. */
export function exposedSeries(text: string): Map<string, number> {
  const series = new Map<string, number>()
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line)
    if (!match) throw new Error(`not an exposition line: ${line}`)
    const labels = [...(match[2] ?? "").matchAll(/([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name}="${value}"`)
    series.set(`${match[1]}{${labels.sort().join(",")}}`, Number(match[3]))
  }
  return series
}

/** The results as this port's Prometheus writer exposes them with `names: "pollect"`. */
export function pollectExposition(results: SourceResult[]): string {
  const store = new SeriesStore("pollect", silentLogger)
  for (const result of results) store.apply(result)
  return store.text()
}

/** The metric name of a series key (`pollect_Sensors{device="x"}` → `pollect_Sensors`). */
export const seriesName = (key: string) => key.slice(0, key.indexOf("{"))

/**
 * Ours restricted to the metric names 1.2 served, to compare with `toEqual`: our other series
 * (this port's additions, under other names) are left out, and none of them may share a name
 * with 1.2's.
 */
export function sideBySide(python: string, ours: string): { python: Map<string, number>; ours: Map<string, number> } {
  const theirs = exposedSeries(python)
  const names = new Set([...theirs.keys()].map(seriesName))
  const mine = new Map([...exposedSeries(ours)].filter(([key]) => names.has(seriesName(key))))
  return { python: theirs, ours: mine }
}
