/**
 * `Zfs`: per pool its capacity and its read/write operations and bandwidth per second, with
 * pollect 1.2's names, from a `zpool iostat -Hp <interval>` child that keeps running (as 1.2's
 * did); beside them each pool's health and, where the kernel module exposes them, ARC statistics.
 *
 * Unlike 1.2: each pool has its own series (1.2 added every pool's numbers into the first
 * pool's), a probe with no new interval since the last one reports the last average again (1.2
 * divided by zero), the first line of each pool (the average since import, not an interval) gives
 * only the capacity, and the child is supervised: restarted with backoff when it exits, killed
 * with its process group on close().
 */
import { type CommonSourceOptions, FailureLatch, errorMessage, Source, type SourceContext, ValueSet } from "../../api.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { readProcFile } from "../../lib/proc/proc-read.ts"
import { parseArcstats } from "./arcstats.ts"
import { parseZpoolList, POOL_STATES, poolState } from "./health.ts"
import { IostatChild } from "./iostat-child.ts"
import { parseIostatLine } from "./iostat-line.ts"
import { metrics } from "./metrics.ts"
import { options, type ZfsOptions as Options } from "./options.ts"
import { PoolTable } from "./pool-table.ts"

const PACKAGE = "zfsutils-linux"
/** How long the first probe waits for the child's first lines. */
const FIRST_LINES_WAIT_MS = 2000

export class ZfsSource extends Source<Options> {
  static override readonly options = options
  static override readonly metrics = metrics

  private readonly table = new PoolTable()
  private child: IostatChild | undefined
  private closed = false
  /** Resolves a probe waiting for the child's first lines. */
  private wake: (() => void) | undefined
  private readonly latch: FailureLatch

  constructor(config: Options & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    this.latch = new FailureLatch(this.ctx.log)
  }

  /** Starts the zpool iostat child now (the first probe does it otherwise); throws when zpool is missing. */
  start(): void {
    if (!this.closed) this.ensureChild()
  }

  /** The supervised child, once the first probe started it (tests). */
  get iostat(): IostatChild | undefined {
    return this.child
  }

  override async probe(): Promise<ValueSet[]> {
    if (this.closed) throw new Error("the source is closed")
    const child = this.ensureChild()
    if (child.starts === 1 && child.linesRead === 0 && child.lastExit === undefined) await this.firstLines()
    const sets: ValueSet[] = []
    const readings = this.table.take()
    if (readings.length > 0) {
      const capacity = new ValueSet(metrics.capacity)
      const operations = new ValueSet(metrics.operations)
      const bandwidth = new ValueSet(metrics.bandwidth)
      for (const { pool, alloc, free, rates } of readings) {
        capacity.add(alloc, [pool, "used"], "capacity")
        capacity.add(free, [pool, "free"], "capacity")
        if (!rates) continue
        operations.add(rates[0], [pool, "read"], "operations_per_sec")
        operations.add(rates[1], [pool, "write"], "operations_per_sec")
        bandwidth.add(rates[2], [pool, "read"], "bandwidth_per_sec")
        bandwidth.add(rates[3], [pool, "write"], "bandwidth_per_sec")
      }
      sets.push(capacity, operations, bandwidth)
      const health = await this.health(readings.map((r) => r.pool))
      if (health.values.length > 0) sets.push(health)
    }
    const arc = this.arc()
    sets.push(...arc)
    if (readings.length === 0 && arc.length === 0) {
      throw new Error(child.lastExit ?? "zpool iostat has reported no pool (none imported?)")
    }
    return sets
  }

  private ensureChild(): IostatChild {
    const path = Bun.which("zpool", { PATH: process.env.PATH ?? "" })
    if (!path) throw new Error(`zpool not found on PATH (install the ${PACKAGE} package)`)
    if (!this.child) {
      this.child = new IostatChild({
        path,
        args: ["iostat", "-Hp", String(this.config.interval)],
        onStart: () => this.table.restarted(),
        onLine: (line) => {
          const parsed = parseIostatLine(line)
          if (parsed) this.table.add(parsed)
          this.wake?.()
        },
        onExit: (message) => {
          this.table.clear()
          this.ctx.log.debug(`${message}; restarting`)
          this.wake?.()
        },
      })
    }
    this.child.ensure()
    return this.child
  }

  /** Waits until the first child printed its first report (its lines come in one burst) or exited, at most 2 s. */
  private async firstLines(): Promise<void> {
    const budget = Math.min(FIRST_LINES_WAIT_MS, (this.ctx.timeoutMs ?? FIRST_LINES_WAIT_MS * 2) / 2)
    const deadline = Date.now() + budget
    while (Date.now() < deadline && this.child && this.child.lastExit === undefined) {
      const before = this.child.linesRead
      await new Promise<void>((resolve) => {
        this.wake = resolve
        setTimeout(resolve, Math.max(0, deadline - Date.now()))
      })
      this.wake = undefined
      if (this.child.linesRead > before) {
        // the rest of the report follows in the same burst
        await Bun.sleep(20)
        return
      }
    }
  }

  /** 1 for each pool's state, 0 for the others: from the kstat state files, else one `zpool list`. */
  private async health(pools: string[]): Promise<ValueSet> {
    const set = new ValueSet(metrics.health)
    const states = new Map<string, string>()
    const missing: string[] = []
    for (const pool of pools) {
      const text = pool.includes("/") || pool.startsWith(".") ? undefined : readProcFile(procPath("spl/kstat/zfs", pool, "state"))
      const state = text === undefined ? undefined : poolState(text)
      if (state) states.set(pool, state)
      else missing.push(pool)
    }
    if (missing.length > 0) {
      try {
        const listed = await this.ctx.spawn(["zpool", "list", "-H", "-o", "name,health"], { packageName: PACKAGE, timeoutMs: 5000 })
        if (listed.exitCode !== 0) throw new Error(`zpool list exited with code ${listed.exitCode}: ${listed.stderr.trim()}`)
        for (const [pool, state] of parseZpoolList(listed.stdout)) if (missing.includes(pool)) states.set(pool, state)
        this.latch.ok("health", "zpool list")
      } catch (error) {
        if (this.ctx.signal.aborted) throw error
        this.latch.fail("health", "pool health (zpool list)", errorMessage(error))
      }
    }
    for (const pool of pools) {
      const state = states.get(pool)
      if (!state) continue
      for (const each of POOL_STATES) set.add(each === state ? 1 : 0, [pool, each], "health")
    }
    return set
  }

  /** ARC size, target maximum, hits and misses, where /proc/spl/kstat/zfs/arcstats exists. */
  private arc(): ValueSet[] {
    const text = readProcFile(procPath("spl/kstat/zfs/arcstats"))
    if (text === undefined) return []
    const arc = parseArcstats(text)
    if (!arc) {
      this.latch.fail("arc", "arcstats", "unexpected format, ARC statistics left out")
      return []
    }
    this.latch.ok("arc", "arcstats")
    const size = new ValueSet(metrics.arcSize)
    size.add(arc.size, [], "arc_size")
    size.add(arc.c_max, [], "arc_c_max")
    const counts = new ValueSet(metrics.arcCounts)
    counts.add(arc.hits, [], "arc_hits")
    counts.add(arc.misses, [], "arc_misses")
    return [size, counts]
  }

  /** Kills the zpool iostat child and waits until it is reaped. Safe twice. */
  override async close(): Promise<void> {
    this.closed = true
    this.wake?.()
    await this.child?.close()
  }
}
