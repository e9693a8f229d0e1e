/** /proc/<pid>/stat and /proc/<pid>/status of one process (man 5 proc). */

export interface PidStat {
  pid: number
  /** The executable's name, at most 15 characters (`comm`). */
  name: string
  state: string
  /** CPU time in user and kernel mode, clock ticks (USER_HZ). */
  utime: bigint
  stime: bigint
  /** Clock ticks after boot when it started: with the pid, identifies the process across probes. */
  startTime: bigint
  /** Virtual memory size, bytes. */
  vsize: number
  /** Resident set size, pages. */
  rssPages: number
}

/**
 * `42 (my (odd) name) S 1 ...`: the name is in parentheses and may itself contain spaces and
 * parentheses, so the fields after it are found from the LAST `)`.
 */
export function parseProcStat(text: string): PidStat {
  const open = text.indexOf("(")
  const close = text.lastIndexOf(")")
  if (open < 0 || close < open) throw new Error(`unexpected /proc/<pid>/stat content: ${JSON.stringify(text.slice(0, 60))}`)
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/)
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const field = (n: number) => rest[n - 3] ?? "0"
  return {
    pid: Number(text.slice(0, open).trim()),
    name: text.slice(open + 1, close),
    state: field(3),
    utime: BigInt(field(14)),
    stime: BigInt(field(15)),
    startTime: BigInt(field(22)),
    vsize: Number(field(23)),
    rssPages: Number(field(24)),
  }
}

/** `VmRSS:  1768 kB` from /proc/<pid>/status, in bytes; undefined for kernel threads (no such line). */
export function statusBytes(status: string, key: string): number | undefined {
  const match = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m").exec(status)
  return match ? Number(match[1]) * 1024 : undefined
}
