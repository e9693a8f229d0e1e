/**
 * A pool's health: `/proc/spl/kstat/zfs/<pool>/state` (OpenZFS 0.8 and later on Linux: the
 * word zpool status prints, `ONLINE`), else `zpool list -H -o name,health`.
 */

/** The states zpool reports (zpool-status(8)); each is a series, 1 for the pool's current one. */
export const POOL_STATES = ["ONLINE", "DEGRADED", "FAULTED", "OFFLINE", "UNAVAIL", "REMOVED", "SUSPENDED"] as const

/** The state word of a state file or a zpool list field, upper-cased; undefined when it is none of POOL_STATES. */
export function poolState(text: string): string | undefined {
  const word = text.trim().toUpperCase()
  return (POOL_STATES as readonly string[]).includes(word) ? word : undefined
}

/** `zpool list -H -o name,health` → pool → state (unknown words left out). */
export function parseZpoolList(text: string): Map<string, string> {
  const states = new Map<string, string>()
  for (const line of text.split("\n")) {
    const [pool, health] = line.split("\t")
    const state = health === undefined ? undefined : poolState(health)
    if (pool && state) states.set(pool, state)
  }
  return states
}
