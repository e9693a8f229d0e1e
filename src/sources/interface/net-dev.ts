/** /proc/net/dev → per-interface counters (bigint: they are 64 bit on 64-bit kernels). */

export interface NetDevCounters {
  rxBytes: bigint
  txBytes: bigint
  /** Unknown where the OS fallback (systeminformation) does not count packets. */
  rxPackets?: bigint
  txPackets?: bigint
}

/**
 * Two header lines, then `  eth0: 203088028 4664 0 0 0 0 0 0 262306 2947 0 0 0 0 0 0`; the name
 * may touch the first number (`eth0:203088028`) on old kernels, and may contain dots and dashes.
 * Only the four counters pollect reports are converted (this runs every tick).
 */
export function parseNetDev(text: string): Map<string, NetDevCounters> {
  const interfaces = new Map<string, NetDevCounters>()
  for (const line of text.split("\n")) {
    const colon = line.lastIndexOf(":")
    if (colon < 0 || line.includes("|")) continue
    const name = line.slice(0, colon).trim()
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
    if (!name || fields.length < 16) continue
    try {
      interfaces.set(name, {
        rxBytes: BigInt(fields[0]!),
        rxPackets: BigInt(fields[1]!),
        txBytes: BigInt(fields[8]!),
        txPackets: BigInt(fields[9]!),
      })
    } catch {
      // not a counter line
    }
  }
  return interfaces
}

/** systeminformation's networkStats() entries, as far as Interface needs them (no /proc: macOS). */
export interface NetworkStatsEntry {
  iface: string
  rx_bytes: number
  tx_bytes: number
}

export function netDevFromNetworkStats(entries: readonly NetworkStatsEntry[]): Map<string, NetDevCounters> {
  const interfaces = new Map<string, NetDevCounters>()
  for (const e of entries) {
    if (!e.iface || !Number.isFinite(e.rx_bytes) || !Number.isFinite(e.tx_bytes)) continue
    interfaces.set(e.iface, { rxBytes: BigInt(Math.trunc(e.rx_bytes)), txBytes: BigInt(Math.trunc(e.tx_bytes)) })
  }
  return interfaces
}
