/**
 * Apple "Summary Sales Report" (SALES / SUMMARY, tab-separated, one row per SKU, product type,
 * country ...): pure parsing, no I/O. Columns are found by header name, as Apple adds columns
 * between report versions.
 */

/** Product type identifiers of first-time app downloads (free or paid), per Apple's reference. */
const DOWNLOAD_TYPES = new Set(["1", "1F", "1T", "F1", "1E", "1EP", "1EU", "1-B", "F1-B"])
/** What the original pollect counted as `units`: universal downloads (1F) and in-app purchases (IA1). */
const ORIGINAL_UNIT_TYPES = new Set(["1F", "IA1"])

export function isDownload(productType: string): boolean {
  return DOWNLOAD_TYPES.has(productType)
}

export interface SkuUnits {
  /** Units of product types 1F and IA1 (the original's `units`). */
  units: number
  /** Units of all first-time download product types. */
  downloads: number
}

export class SalesReportError extends Error {}

/** Splits TSV text into header + rows; tolerates CRLF and a trailing newline. */
function splitTsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== "")
  const [first, ...rest] = lines
  if (first === undefined) return { header: [], rows: [] }
  return { header: first.split("\t").map((h) => h.trim()), rows: rest.map((line) => line.split("\t")) }
}

function column(header: string[], name: string): number {
  const index = header.indexOf(name)
  if (index < 0) throw new SalesReportError(`sales report has no column "${name}" (columns: ${header.slice(0, 12).join(", ")})`)
  return index
}

/** Units per SKU; an empty report (no rows) gives an empty map. */
export function parseSalesReport(text: string): Map<string, SkuUnits> {
  const { header, rows } = splitTsv(text)
  const result = new Map<string, SkuUnits>()
  if (!rows.length) return result
  const skuCol = column(header, "SKU")
  const typeCol = column(header, "Product Type Identifier")
  const unitsCol = column(header, "Units")
  rows.forEach((row, i) => {
    const sku = row[skuCol]?.trim()
    const type = row[typeCol]?.trim() ?? ""
    const units = Number(row[unitsCol])
    if (!sku || !Number.isFinite(units)) throw new SalesReportError(`sales report row ${i + 2} has no SKU or a non-numeric Units value`)
    const entry = result.get(sku) ?? { units: 0, downloads: 0 }
    if (ORIGINAL_UNIT_TYPES.has(type)) entry.units += units
    if (isDownload(type)) entry.downloads += units
    result.set(sku, entry)
  })
  return result
}
