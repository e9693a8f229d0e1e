/** /proc/diskstats → per-device I/O counters (Documentation/admin-guide/iostats.rst). */

/** The kernel counts sectors of 512 bytes here, whatever the device's real sector size. */
export const DISKSTATS_SECTOR_BYTES = 512n

export interface DiskCounters {
  major: number
  minor: number
  reads: bigint
  readSectors: bigint
  writes: bigint
  writeSectors: bigint
  /** Milliseconds the device had I/O in flight; printed as a 32-bit unsigned int on every arch. Unknown in the OS fallback. */
  ioTicksMs?: bigint
}

/**
 * `254 0 vda 36736 8248 2498802 48018 12587 12131 2071504 10410 0 12736 59326 ...`: 14 fields on
 * 2.6, 18 since 4.18, 20 since 5.5. Partition lines of old 2.6 kernels have only 7 fields
 * (reads, sectors read, writes, sectors written) and no busy time.
 */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const devices = new Map<string, DiskCounters>()
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/)
    if (f.length < 7) continue
    const full = f.length >= 14 // fields 4.. as in iostats.rst, less 3 for major, minor, name
    try {
      devices.set(f[2]!, {
        major: Number(f[0]),
        minor: Number(f[1]),
        reads: BigInt(f[3]!),
        readSectors: BigInt(full ? f[5]! : f[4]!),
        writes: BigInt(full ? f[7]! : f[5]!),
        writeSectors: BigInt(full ? f[9]! : f[6]!),
        ioTicksMs: full ? BigInt(f[12]!) : 0n,
      })
    } catch {
      // not a device line
    }
  }
  return devices
}

/** systeminformation's disksIO() and fsStats() totals (no /proc: macOS), as far as IO needs them. */
export interface OsDiskTotals {
  disksIO: { rIO: number; wIO: number } | null
  fsStats: { rx: number; wx: number } | null
}

/** The OS totals as one device, `all`: operations from disksIO, bytes from fsStats. */
export function diskstatsFromOsTotals({ disksIO, fsStats }: OsDiskTotals): Map<string, DiskCounters> {
  if (!disksIO || !fsStats || ![disksIO.rIO, disksIO.wIO, fsStats.rx, fsStats.wx].every(Number.isFinite)) return new Map()
  const sectors = (bytes: number) => BigInt(Math.trunc(bytes)) / DISKSTATS_SECTOR_BYTES
  return new Map([
    [
      "all",
      {
        major: 0,
        minor: 0,
        reads: BigInt(disksIO.rIO),
        writes: BigInt(disksIO.wIO),
        readSectors: sectors(fsStats.rx),
        writeSectors: sectors(fsStats.wx),
      },
    ],
  ])
}
