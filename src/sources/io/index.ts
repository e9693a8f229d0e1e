/**
 * `IO`: per disk, reads and writes per second, bytes read and written per second (names as the
 * original: `reads_sec{disk="sda"}` ...) and `busy_percent` (new: share of time with I/O in
 * flight), from /proc/diskstats. Partitions, loop, ram and zram devices are left out unless
 * `include` lists them; a disk is a device with an entry in /sys/block. Without /proc (macOS) the
 * totals of all disks come from systeminformation as `disk="all"` (no busy time there).
 */
import { Source, ValueSet } from "../../api.ts"
import { kernelCounterBits } from "../../lib/options/counter-bits.ts"
import { procPath, sysPath } from "../../lib/proc/host-paths.ts"
import { nameFilter } from "../../lib/options/name-filter.ts"
import { probeRates } from "../../lib/util/probe-rates.ts"
import { readHostFile, readProcDir } from "../../lib/proc/proc-read.ts"
import { metrics } from "./metrics.ts"
import { DISKSTATS_SECTOR_BYTES, diskstatsFromOsTotals, parseDiskstats, type DiskCounters } from "./diskstats.ts"
import { options, type IOOptions } from "./options.ts"

/** Memory-backed and virtual devices that are not disks (as node_exporter's default). */
const VIRTUAL_DEVICE = /^(z?ram|loop|fd)\d+$/
/** Partition names, when /sys/block is not there to ask. */
const PARTITION_NAME = /^((h|s|v|xv)d[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+)$/

export class IOSource extends Source<IOOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  private readonly accept = nameFilter(this.config)
  private readonly bits = kernelCounterBits(this.config.counterBits)

  override async probe(): Promise<ValueSet[]> {
    const text = readHostFile(procPath("diskstats"))
    const isDisk = text === undefined ? () => true : wholeDiskTest()
    const stats = text === undefined ? await osDiskstats() : parseDiskstats(text)
    const devices = [...stats].filter(([name]) => this.accept([name], VIRTUAL_DEVICE.test(name) || !isDisk(name)))

    const reads = new ValueSet(metrics.reads)
    const writes = new ValueSet(metrics.writes)
    const readBytes = new ValueSet(metrics.readBytes)
    const writeBytes = new ValueSet(metrics.writeBytes)
    const busy = new ValueSet(metrics.busy)
    const rates = probeRates(this.ctx.rate)
    const rate = (name: string, field: keyof DiskCounters, value: bigint, bits = this.bits) =>
      rates.rate(`${name}\0${field}`, value, { bits })
    for (const [name, c] of devices) {
      const label = name.replace(/\./g, "_")
      const r = rate(name, "reads", c.reads)
      const w = rate(name, "writes", c.writes)
      const rs = rate(name, "readSectors", c.readSectors)
      const ws = rate(name, "writeSectors", c.writeSectors)
      const ticks = c.ioTicksMs === undefined ? undefined : rate(name, "ioTicksMs", c.ioTicksMs, 32) // an unsigned int on every arch
      if (r !== undefined) reads.add(r, [label], "reads_sec")
      if (w !== undefined) writes.add(w, [label], "writes_sec")
      if (rs !== undefined) readBytes.add(rs * Number(DISKSTATS_SECTOR_BYTES), [label], "read_bytes_sec")
      if (ws !== undefined) writeBytes.add(ws * Number(DISKSTATS_SECTOR_BYTES), [label], "write_bytes_sec")
      // ms busy per second / 10 = percent; capped since merged requests can overshoot a little.
      if (ticks !== undefined) busy.add(Math.min(100, ticks / 10), [label], "busy_percent")
    }
    // A device that went away starts afresh (no rate) if it comes back.
    rates.done()
    return [reads, writes, readBytes, writeBytes, busy]
  }
}

/** No /proc (macOS): the totals systeminformation reads (it runs ioreg), as one device `all`. */
async function osDiskstats(): Promise<Map<string, DiskCounters>> {
  const si = await import("systeminformation")
  const [disksIO, fsStats] = await Promise.all([si.disksIO(), si.fsStats()])
  return diskstatsFromOsTotals({ disksIO, fsStats })
}

/**
 * Whole disks have a /sys/block entry (`/` in a name becomes `!` there: `cciss!c0d0`);
 * partitions only live below their disk. Without /sys, partition names are told by pattern.
 */
function wholeDiskTest(): (name: string) => boolean {
  const entries = readProcDir(sysPath("block"))
  if (entries === undefined) return (name) => !PARTITION_NAME.test(name)
  const disks = new Set(entries)
  return (name) => disks.has(name.replace(/\//g, "!"))
}
