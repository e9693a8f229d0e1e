/**
 * Google Play Console bulk-report CSVs ("stats/crashes|installs|ratings/..." in the developer
 * account's GCS bucket): pure decoding and parsing, no I/O. Google writes them UTF-16LE with a
 * byte-order mark; one row per day (and per app version for crashes), accumulated per month.
 */

/** Decodes report bytes: UTF-16LE/BE by BOM, UTF-8 (with or without BOM) otherwise. */
export function decodeReportText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes.subarray(2))
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes.subarray(2))
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder("utf-8").decode(bytes.subarray(3))
  // No BOM but every second byte zero: UTF-16LE text of ASCII characters.
  if (bytes.length >= 4 && bytes[1] === 0 && bytes[3] === 0 && bytes[0] !== 0) return new TextDecoder("utf-16le").decode(bytes)
  return new TextDecoder("utf-8").decode(bytes)
}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ""
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++
      else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ",") row.push(field), (field = "")
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++
      row.push(field), rows.push(row), (row = []), (field = "")
    } else field += c
  }
  if (field !== "" || row.length) row.push(field), rows.push(row)
  return rows.filter((r) => !(r.length === 1 && r[0]!.trim() === ""))
}

export class PlayReportError extends Error {}

/** Header + rows as records keyed by column name; `Date` must be the first column. */
export function parseReport(text: string, what: string): { columns: string[]; rows: Record<string, string>[] } {
  const [header, ...rows] = parseCsv(text)
  if (header?.[0]?.trim() !== "Date") throw new PlayReportError(`${what} is not a Play Console report (no "Date" column first)`)
  const columns = header.map((h) => h.trim())
  return {
    columns,
    rows: rows.map((cells) => Object.fromEntries(columns.map((c, i) => [c, (cells[i] ?? "").trim()]))),
  }
}

/** `Daily Device Installs` → `dailyDeviceInstalls` (value names of the new installs/ratings values). */
export function columnToName(column: string): string {
  const words = column.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return words.map((w, i) => (i === 0 ? w.toLowerCase() : w[0]!.toUpperCase() + w.slice(1).toLowerCase())).join("")
}

/** The rows of the file's last day (files are sorted by date). */
function lastDay(rows: Record<string, string>[], what: string): { date: string; rows: Record<string, string>[] } {
  const dates = rows.map((r) => r.Date ?? "").filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d))
  if (!dates.length) throw new PlayReportError(`${what} has no rows with a YYYY-MM-DD date`)
  const date = dates.reduce((a, b) => (b > a ? b : a))
  return { date, rows: rows.filter((r) => r.Date === date) }
}

function integer(text: string | undefined, column: string, what: string): number {
  const value = Number(text)
  if (text === undefined || text === "" || !Number.isFinite(value))
    throw new PlayReportError(`${what}: "${column}" is not a number (${JSON.stringify(text)})`)
  return value
}

export interface VersionCrashes {
  versionCode: string
  crashes: number
  anrs: number
}

/** crashes_<pkg>_<YYYYMM>_app_version.csv: Date, Package Name, App Version Code, Daily Crashes, Daily ANRs. */
export function parseCrashesByVersion(text: string, what = "crashes report"): { date: string; versions: VersionCrashes[] } {
  const { rows } = parseReport(text, what)
  const day = lastDay(rows, what)
  return {
    date: day.date,
    versions: day.rows.map((r) => ({
      versionCode: r["App Version Code"] ?? "",
      crashes: integer(r["Daily Crashes"], "Daily Crashes", what),
      anrs: integer(r["Daily ANRs"], "Daily ANRs", what),
    })),
  }
}

/**
 * installs_<pkg>_<YYYYMM>_overview.csv and ratings_<pkg>_<YYYYMM>_overview.csv: one row per
 * day; every numeric column of the last day becomes a value (`NA`, Google's "no data", is skipped).
 */
export function parseOverview(text: string, what: string): { date: string; values: Record<string, number> } {
  const { columns, rows } = parseReport(text, what)
  const day = lastDay(rows, what)
  const row = day.rows[0]!
  const values: Record<string, number> = {}
  for (const column of columns) {
    if (column === "Date" || column === "Package Name") continue
    const text = row[column]
    if (text === undefined || text === "" || text === "NA") continue
    const value = Number(text)
    if (Number.isFinite(value)) values[columnToName(column)] = value
  }
  return { date: day.date, values }
}
