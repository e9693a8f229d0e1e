/** /proc/meminfo → bytes, and the memory figures the original pollect (psutil) reported. */

/** `MemTotal:  24684084 kB` → { MemTotal: 25276502016 }; lines without `kB` are counts (HugePages_Total). */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>()
  for (const line of text.split("\n")) {
    const match = /^([^:\s]+):\s+(\d+)(?:\s+(kB))?/.exec(line)
    if (!match) continue
    const value = Number(match[2])
    fields.set(match[1]!, match[3] ? value * 1024 : value)
  }
  return fields
}

export interface MemoryFigures {
  total: number
  available: number
  used: number
  free: number
  buffers: number
  cached: number
  swapTotal: number
  swapUsed: number
  swapFree: number
  /** Share of memory not available, 0–100, one decimal (psutil's `percent`). */
  percent: number
}

/**
 * The figures as psutil computes them (so values match the Python pollect): cached includes
 * SReclaimable as `free` does; used = total − free − cached − buffers (total − free if that goes
 * negative, as in some containers); available falls back to free + buffers + cached on kernels
 * before 3.14.
 */
export function memoryFigures(meminfo: Map<string, number>): MemoryFigures {
  const total = meminfo.get("MemTotal")
  const free = meminfo.get("MemFree")
  if (total === undefined || free === undefined) throw new Error("/proc/meminfo has no MemTotal or MemFree line")
  const buffers = meminfo.get("Buffers") ?? 0
  const cached = (meminfo.get("Cached") ?? 0) + (meminfo.get("SReclaimable") ?? 0)
  let used = total - free - cached - buffers
  if (used < 0) used = total - free
  let available = meminfo.get("MemAvailable") ?? free + buffers + cached
  if (available > total) available = free
  if (available < 0) available = 0
  const swapTotal = meminfo.get("SwapTotal") ?? 0
  const swapFree = meminfo.get("SwapFree") ?? 0
  const percent = total > 0 ? Math.round(((total - available) / total) * 1000) / 10 : 0
  return { total, available, used, free, buffers, cached, swapTotal, swapUsed: Math.max(0, swapTotal - swapFree), swapFree, percent }
}
