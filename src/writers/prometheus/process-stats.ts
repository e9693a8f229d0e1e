/**
 * This process's own figures for the standard `process_*` metrics, read from /proc/self where
 * there is one (prom-client's defaults under Bun report a bogus heap and no GC stats). Parsers
 * take text; `readProcessStats` does the I/O.
 */
import { readdirSync, readFileSync } from "node:fs"

export interface ProcessStats {
  cpuUserSeconds: number
  cpuSystemSeconds: number
  /** Unix seconds. */
  startTimeSeconds: number
  residentMemoryBytes: number
  virtualMemoryBytes?: number
  openFds?: number
  maxFds?: number
}

/** Linux reports /proc times in USER_HZ, which is 100 on every architecture it runs on. */
const USER_HZ = 100

/** Field 22 of /proc/self/stat (starttime, ticks after boot); the name in field 2 may hold spaces. */
export function parseStartTicks(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  const ticks = Number(fields[19])
  if (!Number.isFinite(ticks)) throw new Error("unexpected /proc/self/stat content")
  return ticks
}

/** `btime` of /proc/stat: boot time, unix seconds. */
export function parseBootTime(procStat: string): number {
  const match = /^btime\s+(\d+)/m.exec(procStat)
  if (!match) throw new Error("no btime in /proc/stat")
  return Number(match[1])
}

/** `VmRSS` and `VmSize` of /proc/self/status, in bytes. */
export function parseStatusMemory(status: string): { residentBytes?: number; virtualBytes?: number } {
  const kb = (key: string) => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)
    return match ? Number(match[1]) * 1024 : undefined
  }
  return { residentBytes: kb("VmRSS"), virtualBytes: kb("VmSize") }
}

/** The soft limit of "Max open files" in /proc/self/limits. */
export function parseMaxFds(limits: string): number | undefined {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits)
  if (!match || match[1] === "unlimited") return undefined
  return Number(match[1])
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

let startTime: number | undefined

export function readProcessStats(): ProcessStats {
  const cpu = process.cpuUsage()
  const status = read("/proc/self/status")
  const memory = status ? parseStatusMemory(status) : {}
  if (startTime === undefined) {
    const stat = read("/proc/self/stat")
    const procStat = read("/proc/stat")
    // Without /proc (macOS): the uptime Bun keeps, good to the millisecond.
    startTime =
      stat && procStat
        ? parseBootTime(procStat) + parseStartTicks(stat) / USER_HZ
        : Math.round((Date.now() / 1000 - process.uptime()) * 100) / 100
  }
  let openFds: number | undefined
  try {
    // The listing itself holds one descriptor while it runs.
    openFds = readdirSync("/proc/self/fd").length - 1
  } catch {
    openFds = undefined
  }
  const limits = read("/proc/self/limits")
  return {
    cpuUserSeconds: cpu.user / 1e6,
    cpuSystemSeconds: cpu.system / 1e6,
    startTimeSeconds: startTime,
    residentMemoryBytes: memory.residentBytes ?? process.memoryUsage.rss(),
    virtualMemoryBytes: memory.virtualBytes,
    openFds,
    maxFds: limits ? parseMaxFds(limits) : undefined,
  }
}
