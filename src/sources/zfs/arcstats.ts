/**
 * `/proc/spl/kstat/zfs/arcstats`: a kstat header line, a `name type data` line, then one
 * `name type value` line per statistic (OpenZFS on Linux, 0.6 to 2.3).
 */

export interface ArcStats {
  size: number
  c_max: number
  hits: number
  misses: number
}

const WANTED = ["size", "c_max", "hits", "misses"] as const

/** The four values pollect reports; undefined when one of them is missing (not an arcstats file). */
export function parseArcstats(text: string): ArcStats | undefined {
  const found: Partial<Record<(typeof WANTED)[number], number>> = {}
  for (const line of text.split("\n")) {
    const [name, , value] = line.trim().split(/\s+/)
    if (!name || value === undefined || !(WANTED as readonly string[]).includes(name)) continue
    if (!/^\d{1,20}$/.test(value)) continue
    found[name as (typeof WANTED)[number]] = Number(value)
  }
  for (const name of WANTED) if (found[name] === undefined) return undefined
  return found as ArcStats
}
