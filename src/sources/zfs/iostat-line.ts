/**
 * One line of `zpool iostat -Hp`: tab-separated (`-H`), exact integers (`-p`), one line per pool
 * per interval: pool, alloc, free, read operations, write operations, read bytes, write bytes
 * (per second over the interval; the first line of each pool is the average since the pool was
 * imported). The column order is OpenZFS's zpool-iostat(8) default and pollect 1.2's parse.
 */

export interface IostatLine {
  pool: string
  alloc: number
  free: number
  /** Read operations, write operations, read bytes, write bytes: per second. */
  rates: [number, number, number, number]
}

/** Longest line taken; a longer one (no pool line is near it) is garbage. */
export const MAX_LINE = 4096

/** Parses one line; undefined for anything that is not a pool line (a blank line, garbage, a truncated line). */
export function parseIostatLine(line: string): IostatLine | undefined {
  if (line.length > MAX_LINE) return undefined
  const fields = line.replace(/\r$/, "").split("\t")
  if (fields.length < 7) return undefined
  const pool = fields[0]!
  if (pool === "" || pool.trim() !== pool) return undefined
  const numbers: number[] = []
  for (const field of fields.slice(1, 7)) {
    // `-p` prints plain integers; `-` (no data) or a unit suffix means this is not a -p line.
    if (!/^\d{1,20}$/.test(field)) return undefined
    numbers.push(Number(field))
  }
  const [alloc, free, readOps, writeOps, readBytes, writeBytes] = numbers as [number, number, number, number, number, number]
  return { pool, alloc, free, rates: [readOps, writeOps, readBytes, writeBytes] }
}
