/**
 * `Process`: processes whose command line (or name) matches `procRegex`, as the original: per
 * match, in pid order, `load_percent{pidx="0"}` (CPU, percent of one core, from /proc/<pid>/stat
 * deltas; none on a process's first probe) and `virtual_memory{pidx}` (bytes), plus the new
 * `resident_memory{pidx}` (bytes), and `process_count{pidx="all"}`. The process name is in the
 * metric name through the source's `name` (`pollect_Process_nginx_load_percent`). A process that
 * exits while being read is simply not counted. Without /proc (macOS) the process list comes from
 * systeminformation (it runs `ps`).
 */
import { Source, ValueSet } from "../../api.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { readProcDir, readProcFile } from "../../lib/proc/proc-read.ts"
import { parseProcStat, statusBytes, type PidStat } from "./pid-stat.ts"
import { compileUserRegex } from "../../lib/options/user-regex.ts"
import { metrics } from "./metrics.ts"
import { options, type ProcessOptions } from "./options.ts"

/** USER_HZ: the unit of utime/stime; 100 on every Linux architecture pollect ships for. */
export const CLOCK_TICKS_PER_SECOND = 100
/** Fallback when /proc/<pid>/status is unreadable: the page size of x86 and most arm64 kernels. */
const PAGE_SIZE = 4096

/** One matching process's values; no load on its first probe. */
export interface ProcessRow {
  loadPercent?: number
  virtualBytes: number
  residentBytes: number
}

/** systeminformation's processes().list entries, as far as Process needs them (memory in kB). */
export interface OsProcess {
  pid: number
  name: string
  command: string
  params: string
  cpu: number
  memVsz: number
  memRss: number
}

export class ProcessSource extends Source<ProcessOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  /** RE2: linear time, so no command line can make a match hang the event loop. */
  private readonly regex = compileUserRegex(this.config.procRegex)
  /** Whether `pid:startTime` matched: a command line is read once per process, not per probe. */
  private readonly matched = new Map<string, boolean>()

  override probe(): ValueSet[] | Promise<ValueSet[]> {
    let entries: string[] | undefined
    try {
      entries = readProcDir(procPath())
    } catch (error) {
      throw new Error(`cannot list ${procPath()}: ${(error as Error).message}`)
    }
    if (entries === undefined) return this.probeOs()
    const pids = entries
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .sort((a, b) => a - b)

    const seen = new Set<string>()
    const matches: Array<{ key: string; stat: PidStat }> = []
    for (const pid of pids) {
      const text = readPidFile(pid, "stat")
      if (text === undefined) continue // exited since the listing
      const stat = parseProcStat(text)
      const key = `${pid}:${stat.startTime}`
      seen.add(key)
      let matched = this.matched.get(key)
      if (matched === undefined) {
        const cmdline = readPidFile(pid, "cmdline")
        if (cmdline === undefined) continue
        matched = this.matches(stat.name, cmdline)
        this.matched.set(key, matched)
      }
      if (matched) matches.push({ key, stat })
    }
    for (const key of this.matched.keys()) if (!seen.has(key)) this.matched.delete(key)

    const rows = matches.map(({ key, stat }): ProcessRow => {
      const ticksPerSecond = this.config.load ? this.ctx.rate.rate(key, stat.utime + stat.stime, { bits: 64 }) : undefined
      const status = this.config.memory ? readPidFile(stat.pid, "status") : undefined
      return {
        loadPercent: ticksPerSecond === undefined ? undefined : (ticksPerSecond * 100) / CLOCK_TICKS_PER_SECOND,
        virtualBytes: stat.vsize,
        residentBytes: (status === undefined ? undefined : statusBytes(status, "VmRSS")) ?? stat.rssPages * PAGE_SIZE,
      }
    })
    this.ctx.rate.retain((key) => seen.has(key))
    return this.valueSets(rows)
  }

  /** No /proc (macOS): systeminformation's process list (it runs ps; its cpu is ps's %cpu). */
  private async probeOs(): Promise<ValueSet[]> {
    const si = await import("systeminformation")
    return this.valueSets(this.osRows((await si.processes()).list))
  }

  osRows(list: readonly OsProcess[]): ProcessRow[] {
    return list
      .filter((p) => this.matches(p.name, [p.command, p.params].filter(Boolean).join("\0")))
      .sort((a, b) => a.pid - b.pid)
      .map((p) => ({ loadPercent: p.cpu, virtualBytes: p.memVsz * 1024, residentBytes: p.memRss * 1024 }))
  }

  private valueSets(rows: readonly ProcessRow[]): ValueSet[] {
    const load = new ValueSet(metrics.load)
    const virtual = new ValueSet(metrics.virtual)
    const resident = new ValueSet(metrics.resident)
    rows.forEach((row, index) => {
      const pidx = String(index)
      if (this.config.load && row.loadPercent !== undefined) load.add(round(row.loadPercent), [pidx], "load_percent")
      if (this.config.memory) {
        virtual.add(row.virtualBytes, [pidx], "virtual_memory")
        resident.add(row.residentBytes, [pidx], "resident_memory")
      }
    })
    const count = new ValueSet(metrics.count).add(rows.length, ["all"], "process_count")
    return [load, virtual, resident, count]
  }

  /** The original searched the command line joined by spaces; kernel threads have none, so the name too. */
  private matches(name: string, cmdline: string): boolean {
    const command = cmdline.replace(/\0+$/, "").replace(/\0/g, " ")
    return (command !== "" && this.regex.test(command)) || this.regex.test(name)
  }
}

/** A /proc/<pid> file, or undefined if the process is gone or hidden from us (hidepid). */
function readPidFile(pid: number, file: string): string | undefined {
  try {
    return readProcFile(procPath(String(pid), file))
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === "EACCES" || code === "EPERM" || code === "EINVAL") return undefined
    throw error
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
