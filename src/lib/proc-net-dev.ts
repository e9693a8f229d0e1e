/** /proc/net/dev → per-interface counters (bigint: they are 64 bit on 64-bit kernels). */

export interface NetDevCounters {
  rxBytes: bigint
  rxPackets: bigint
  txBytes: bigint
  txPackets: bigint
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
    const fields = line.slice(colon + 1).trim().split(/\s+/)
    if (!name || fields.length < 16) continue
    try {
      interfaces.set(name, { rxBytes: BigInt(fields[0]!), rxPackets: BigInt(fields[1]!), txBytes: BigInt(fields[8]!), txPackets: BigInt(fields[9]!) })
    } catch {
      // not a counter line
    }
  }
  return interfaces
}
