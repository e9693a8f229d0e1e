/** /proc/net/dev → per-interface counters (bigint: they are 64 bit on 64-bit kernels). */

export interface NetDevCounters {
  rxBytes: bigint
  rxPackets: bigint
  rxErrors: bigint
  rxDrop: bigint
  txBytes: bigint
  txPackets: bigint
  txErrors: bigint
  txDrop: bigint
}

/**
 * Two header lines, then `  eth0: 203088028 4664 0 0 0 0 0 0 262306 2947 0 0 0 0 0 0`; the name
 * may touch the first number (`eth0:203088028`) on old kernels, and may contain dots and dashes.
 */
export function parseNetDev(text: string): Map<string, NetDevCounters> {
  const interfaces = new Map<string, NetDevCounters>()
  for (const line of text.split("\n")) {
    const colon = line.lastIndexOf(":")
    if (colon < 0 || line.includes("|")) continue
    const name = line.slice(0, colon).trim()
    const fields = line.slice(colon + 1).trim().split(/\s+/)
    if (!name || fields.length < 16 || !fields.every((f) => /^\d+$/.test(f))) continue
    const n = fields.map(BigInt)
    interfaces.set(name, {
      rxBytes: n[0]!, rxPackets: n[1]!, rxErrors: n[2]!, rxDrop: n[3]!,
      txBytes: n[8]!, txPackets: n[9]!, txErrors: n[10]!, txDrop: n[11]!,
    })
  }
  return interfaces
}
