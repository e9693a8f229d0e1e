/**
 * `DryRun`: prints each tick on one line to stdout, in the original's format:
 * `('pollect.loadavg.mid', (1508478781, 0.01)), ('pollect.loadavg.short', (1508478781, 0.0))`.
 * Values print as Python floats (Graphite stores floats), in the order the sources gave them.
 */
import { Writer, graphitePaths, writeStdout, type SourceResult } from "../../api.ts"
import { pyFloat, pyStr } from "../../lib/util/py-repr.ts"
import { type DryRunOptions, options } from "./options.ts"

export class DryRunWriter extends Writer<DryRunOptions> {
  static override readonly options = options

  /** Where lines go; stdout unless a test says otherwise. */
  out: (line: string) => void = (line) => writeStdout(line + "\n")

  override write(results: SourceResult[]): void {
    const line = formatTick(results)
    if (line) this.out(line)
  }
}

export function formatTick(results: SourceResult[]): string {
  const tuples: string[] = []
  for (const result of results) {
    const path = graphitePaths(result)
    for (const set of result.sets) {
      for (const value of set.values) {
        tuples.push(`(${pyStr(path(value))}, (${result.time}, ${pyFloat(value.value)}))`)
      }
    }
  }
  return tuples.join(", ")
}
