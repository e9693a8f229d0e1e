/**
 * How many matched processes may keep their stat and statm open (two descriptors each): at most
 * MAX_HELD, and never more than a quarter of what this process may open (RLIMIT_NOFILE's soft
 * limit, from /proc/self/limits), so a router with a low limit keeps room for sockets and files.
 */
import { readFileSync } from "node:fs"

export const MAX_HELD = 256

/** The soft "Max open files" of a /proc/<pid>/limits text; undefined when absent or unlimited. */
export function softOpenFilesLimit(limits: string): number | undefined {
  const match = /^Max open files\s+(\S+)/m.exec(limits)
  if (!match || match[1] === "unlimited") return undefined
  const n = Number(match[1])
  return Number.isFinite(n) ? n : undefined
}

/** Processes whose files may stay open, for a soft limit of `soft` descriptors. */
export function heldBudget(soft: number | undefined): number {
  if (soft === undefined) return MAX_HELD
  return Math.max(0, Math.min(MAX_HELD, Math.floor(soft / 8)))
}

let cached: number | undefined

/** This process's budget, read once. */
export function processHeldBudget(): number {
  if (cached === undefined) {
    let soft: number | undefined
    try {
      soft = softOpenFilesLimit(readFileSync("/proc/self/limits", "utf8"))
    } catch {
      soft = undefined
    }
    cached = heldBudget(soft)
  }
  return cached
}
