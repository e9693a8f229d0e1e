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
import { type PidStat, parseProcStat, statmResidentPages, statName, statStartTime, statusBytes } from "./pid-stat.ts"
import { pageSize } from "./page-size.ts"
import { compileUserRegex } from "../../lib/options/user-regex.ts"
import { metrics } from "./metrics.ts"
import { processHeldBudget } from "./fd-budget.ts"
import { OpenProcFile } from "./open-proc-file.ts"
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

/** A process seen in the last probe: what stays the same while it lives. */
interface KnownProcess {
  /** Field 22 of its stat, as written: a different value under the same pid is another process. */
  startTime: string
  /** `pid:startTime`, the key of its CPU rate. */
  key: string
  matched: boolean
  /** The probe that last saw it. */
  probe: number
  /** Its stat and statm (or status) kept open while it matches (see OpenProcFile). */
  stat?: OpenProcFile
  /** null: this /proc has no statm for it (a recorded tree), memory comes from status. */
  statm?: OpenProcFile | null
  status?: OpenProcFile
}

/** Matching processes whose files are kept open (two descriptors each); more are read by path. */
export { MAX_HELD } from "./fd-budget.ts"

const PID = /^\d+$/

export class ProcessSource extends Source<ProcessOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  /** RE2: linear time, so no command line can make a match hang the event loop. */
  private readonly regex = compileUserRegex(this.config.procRegex)
  /**
   * What does not change during a process's life, per pid: its start time (which tells it from a
   * later process given the same pid) and whether its name or command line matched. A process's
   * command line is read once; an entry whose pid was not listed or whose stat was gone in the
   * last probe is dropped, so the cache holds only processes that exist.
   */
  private readonly known = new Map<number, KnownProcess>()
  private probeCount = 0
  /** At most this many matching processes have their files kept open. */
  protected readonly maxHeld: number = processHeldBudget()
  /** Processes in `known` with files kept open. */
  private held = 0
  /** The /proc of the last probe. */
  private root?: string

  override probe(): ValueSet[] | Promise<ValueSet[]> {
    const root = procPath()
    let entries: string[] | undefined
    try {
      entries = readProcDir(root)
    } catch (error) {
      throw new Error(`cannot list ${root}: ${(error as Error).message}`)
    }
    if (entries === undefined) return this.probeOs()
    if (root !== this.root) this.releaseAll() // files opened under another /proc (tests switch trees)
    this.root = root

    // Per pid one read of its stat (through the open file for a matching process); the command
    // line only for a process not seen before.
    const probe = ++this.probeCount
    const matches: Array<{ pid: number; known: KnownProcess; text: string }> = []
    for (const entry of entries) {
      if (!PID.test(entry)) continue
      const pid = Number(entry)
      let known = this.known.get(pid)
      let text = known?.stat ? this.read(known.stat) : undefined
      if (text === undefined) {
        // a new process, or one whose open stat failed: it exited, and the pid may be another's now
        if (known?.stat) known = this.forget(pid)
        text = this.read(`${root}/${entry}/stat`)
        if (text === undefined) continue // exited since the listing
      }
      const startTime = statStartTime(text)
      if (known === undefined || known.startTime !== startTime) {
        if (known) this.forget(pid)
        const cmdline = this.read(`${root}/${entry}/cmdline`)
        if (cmdline === undefined) continue // exited meanwhile: not cached
        known = { startTime, key: `${pid}:${startTime}`, matched: this.matches(statName(text), cmdline), probe }
        this.known.set(pid, known)
      }
      known.probe = probe
      if (known.matched) matches.push({ pid, known, text })
    }
    for (const [pid, known] of this.known) if (known.probe !== probe) this.forget(pid)
    matches.sort((a, b) => a.pid - b.pid)

    const rows = matches.map(({ pid, known, text }): ProcessRow => {
      const stat = parseProcStat(text)
      const ticksPerSecond = this.config.load ? this.ctx.rate.rate(known.key, stat.utime + stat.stime, { bits: 64 }) : undefined
      const residentBytes = this.config.memory ? this.residentBytes(known, `${root}/${pid}`, stat) : 0
      this.hold(known, `${root}/${pid}`)
      return {
        loadPercent: ticksPerSecond === undefined ? undefined : (ticksPerSecond * 100) / CLOCK_TICKS_PER_SECOND,
        virtualBytes: stat.vsize,
        residentBytes,
      }
    })
    const live = new Set(matches.map((m) => m.known.key))
    this.ctx.rate.retain((key) => live.has(key))
    return this.valueSets(rows)
  }

  /** Closes the files kept open; the source can still probe (it opens them again). Safe twice. */
  override close(): void {
    this.releaseAll()
  }

  /** The pids cached (all of them listed in the last probe), in pid order. */
  cachedPids(): number[] {
    return [...this.known.keys()].sort((a, b) => a - b)
  }

  /** Number of matching processes whose stat (and status) are kept open. */
  get heldProcesses(): number {
    return this.held
  }

  /**
   * One /proc/<pid> file by path, or through a file kept open; undefined if the process is gone
   * or hidden from us (hidepid). A method so that a test can count what a probe reads.
   */
  protected read(file: string | OpenProcFile): string | undefined {
    if (typeof file !== "string") return file.read()
    try {
      return readProcFile(file)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === "EACCES" || code === "EPERM" || code === "EINVAL") return undefined
      throw error
    }
  }

  /**
   * Resident memory, the figure of status's VmRSS: statm's resident pages × the page size (the
   * same counters, exact: stat's rss pages are an approximation on recent kernels, off by
   * some pages), at a sixth of the cost of status (kept open: 2 µs instead of 12 µs);
   * without statm, status's VmRSS; without that (no status, a kernel thread), stat's rss pages.
   */
  private residentBytes(known: KnownProcess, dir: string, stat: PidStat): number {
    const size = pageSize()
    if (size !== undefined && known.statm !== null) {
      const statm = this.read(known.statm ?? `${dir}/statm`)
      const pages = statm === undefined ? undefined : statmResidentPages(statm)
      if (pages !== undefined) return pages * size
      if (known.statm === undefined) known.statm = null // no statm in this /proc: status from now on
    }
    const status = known.status ? this.read(known.status) : this.read(`${dir}/status`)
    return (status === undefined ? undefined : statusBytes(status, "VmRSS")) ?? stat.rssPages * PAGE_SIZE
  }

  /** Keeps a matching process's stat (and status, for memory) open, for at most MAX_HELD processes. */
  private hold(known: KnownProcess, dir: string): void {
    if (known.stat || this.held >= this.maxHeld) return
    known.stat = OpenProcFile.open(`${dir}/stat`)
    if (known.stat === undefined) return
    if (this.config.memory) {
      if (known.statm !== null && pageSize() !== undefined) known.statm = OpenProcFile.open(`${dir}/statm`)
      if (!known.statm) known.status = OpenProcFile.open(`${dir}/status`)
    }
    this.held++
  }

  /** Drops a process from the cache, closing its files. */
  private forget(pid: number): undefined {
    const known = this.known.get(pid)
    if (known?.stat) this.held--
    known?.stat?.close()
    known?.statm?.close()
    known?.status?.close()
    this.known.delete(pid)
    return undefined
  }

  private releaseAll(): void {
    for (const known of this.known.values()) {
      known.stat?.close()
      known.statm?.close()
      known.status?.close()
      known.stat = known.statm = known.status = undefined
    }
    this.held = 0
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

function round(value: number): number {
  return Math.round(value * 100) / 100
}
