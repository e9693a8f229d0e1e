/**
 * `MemoryUsage`: system memory from /proc/meminfo, in bytes, as `type="total|available|used|cached"`
 * (the original's values, computed as psutil does) plus `free`, `buffers`, `swap_total`,
 * `swap_used`, and `percent` (share not available) as its own value.
 */
import { freemem, totalmem } from "node:os"
import { Source, ValueSet } from "../../api.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { readProcFile } from "../../lib/proc/proc-read.ts"
import { memoryFigures, parseMeminfo, type MemoryFigures } from "./meminfo.ts"
import { metrics } from "./metrics.ts"
import { options, type MemoryUsageOptions } from "./options.ts"

export class MemoryUsageSource extends Source<MemoryUsageOptions> {
  static override readonly options = options
  static override readonly metrics = metrics

  override probe(): ValueSet[] {
    const text = readProcFile(procPath("meminfo"))
    return memoryValueSets(text === undefined ? osMemoryFigures() : memoryFigures(parseMeminfo(text)), text !== undefined)
  }
}

export function memoryValueSets(m: MemoryFigures, linux: boolean): ValueSet[] {
  const bytes = new ValueSet(metrics.memory).add(m.total, ["total"]).add(m.available, ["available"]).add(m.used, ["used"])
  // The original reported cached on Linux only; the rest are new.
  if (linux)
    bytes
      .add(m.cached, ["cached"])
      .add(m.free, ["free"])
      .add(m.buffers, ["buffers"])
      .add(m.swapTotal, ["swap_total"])
      .add(m.swapUsed, ["swap_used"])
  const percent = new ValueSet(metrics.percent).add(m.percent, [], "percent")
  return [bytes, percent]
}

/** No /proc (macOS): what the OS call gives without spawning anything (the figures injectable for tests). */
export function osMemoryFigures(total = totalmem(), free = freemem()): MemoryFigures {
  const percent = total > 0 ? Math.round(((total - free) / total) * 1000) / 10 : 0
  return { total, available: free, used: total - free, free, buffers: 0, cached: 0, swapTotal: 0, swapUsed: 0, swapFree: 0, percent }
}
