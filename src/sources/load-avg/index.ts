/** `LoadAvg`: the 1, 5 and 15 minute load averages as `time="short|mid|long"`, from /proc/loadavg. */
import { loadavg } from "node:os"
import { Source, ValueSet } from "../../api.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { readProcFile } from "../../lib/proc/proc-read.ts"
import { metrics } from "./metrics.ts"
import { options, type LoadAvgOptions } from "./options.ts"

export class LoadAvgSource extends Source<LoadAvgOptions> {
  static override readonly options = options
  static override readonly metrics = metrics

  override probe(): ValueSet {
    const text = readProcFile(procPath("loadavg"))
    // No /proc (macOS): the OS call, which spawns nothing.
    const [short, mid, long] = text === undefined ? loadavg() : parseLoadAvg(text)
    return new ValueSet(metrics.load).add(short!, ["short"]).add(mid!, ["mid"]).add(long!, ["long"])
  }
}

export function parseLoadAvg(text: string): [number, number, number] {
  const fields = text.trim().split(/\s+/, 3).map(Number)
  if (fields.length < 3 || fields.some((n) => !Number.isFinite(n)))
    throw new Error(`unexpected /proc/loadavg content: ${JSON.stringify(text.slice(0, 60))}`)
  return fields as [number, number, number]
}
