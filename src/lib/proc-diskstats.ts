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
  /** Milliseconds the device had I/O in flight; printed as a 32-bit unsigned int on every arch. */
  ioTicksMs: bigint
}

/**
 * `254 0 vda 36736 8248 2498802 48018 12587 12131 2071504 10410 0 12736 59326 ...`: 14 fields on
 * 2.6, 18 since 4.18, 20 since 5.5. Partition lines of old 2.6 kernels have only 7 fields
 * (reads, sectors read, writes, sectors written) and no busy time.
 */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const devices = new Map<string, DiskCounters>()
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 7) continue
    const [major, minor, name, ...rest] = fields as [string, string, string, ...string[]]
    if (!rest.every((f) => /^\d+$/.test(f))) continue
    const n = rest.map(BigInt)
    const counters: DiskCounters =
      n.length >= 11
        ? { major: Number(major), minor: Number(minor), reads: n[0]!, readSectors: n[2]!, writes: n[4]!, writeSectors: n[6]!, ioTicksMs: n[9]! }
        : { major: Number(major), minor: Number(minor), reads: n[0]!, readSectors: n[1]!, writes: n[2]!, writeSectors: n[3]!, ioTicksMs: 0n }
    devices.set(name, counters)
  }
  return devices
}
