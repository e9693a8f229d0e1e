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
  const { open, close } = nameBounds(text)
  // fields[0] is field 3 (state); field N is fields[N - 3]. Only as far as field 24 (rss).
  const fields = statFields(text, close + 1, 24)
  const field = (n: number) => fields[n - 3] ?? "0"
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

/** Resident pages, the second field of /proc/<pid>/statm (`size resident shared text lib data dt`); undefined if not a number. */
export function statmResidentPages(statm: string): number | undefined {
  const field = statm.split(" ", 2)[1]
  if (field === undefined || !/^\d+\s*$/.test(field)) return undefined
  return Number(field)
}

/** The status line regexes by key, built once. */
const statusKeys = new Map<string, RegExp>()

/** `VmRSS:  1768 kB` from /proc/<pid>/status, in bytes; undefined for kernel threads (no such line). */
export function statusBytes(status: string, key: string): number | undefined {
  let regex = statusKeys.get(key)
  if (regex === undefined) statusKeys.set(key, (regex = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m")))
  const match = regex.exec(status)
  return match ? Number(match[1]) * 1024 : undefined
}

/**
 * Field 22 of /proc/<pid>/stat (the start time, clock ticks after boot) as the kernel wrote it,
 * without parsing the other fields: with the pid, what tells a process from a later one that got
 * the same pid. Scans from the last `)` as parseProcStat does; "0" when the line is short.
 */
export function statStartTime(text: string): string {
  // Once per pid per probe: skips fields 3..21 without cutting them out.
  let i = nameBounds(text).close + 1
  for (let field = 3; ; field++) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++
    if (i >= text.length) return "0"
    const start = i
    while (i < text.length && !isSpace(text.charCodeAt(i))) i++
    if (field === 22) return text.slice(start, i)
  }
}

/** The `comm` of a /proc/<pid>/stat (between the first `(` and the last `)`). */
export function statName(text: string): string {
  const { open, close } = nameBounds(text)
  return text.slice(open + 1, close)
}

function nameBounds(text: string): { open: number; close: number } {
  const open = text.indexOf("(")
  const close = text.lastIndexOf(")")
  if (open < 0 || close < open) throw new Error(`unexpected /proc/<pid>/stat content: ${JSON.stringify(text.slice(0, 60))}`)
  return { open, close }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 9 || code === 13
}

/** The whitespace-separated fields of a stat line from `from` (just after the name), up to field `last`. */
function statFields(text: string, from: number, last: number): string[] {
  const fields: string[] = []
  let i = from
  while (fields.length < last - 2) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++
    if (i >= text.length) break
    const start = i
    while (i < text.length && !isSpace(text.charCodeAt(i))) i++
    fields.push(text.slice(start, i))
  }
  return fields
}
