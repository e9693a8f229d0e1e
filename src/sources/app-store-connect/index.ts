/**
 * `AppStoreConnect`: app downloads per SKU from Apple's daily Summary Sales Report
 * (App Store Connect API, GET /v1/salesReports, gzip TSV), authenticated with an ES256 JWT
 * signed by the team's API key (.p8). Each day's report is stored in `dbDir` and fetched once;
 * a day Apple has no report for yet (404) is retried on the next probe.
 */
import { existsSync, readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { importPKCS8, SignJWT, type CryptoKey } from "jose"
import { writeFileAtomic } from "../../lib/util/atomic-file.ts"
import { readConfigFile } from "../../lib/util/config-file.ts"
import { parseSalesReport } from "./sales-report.ts"
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { type AppStoreConnectOptions, options } from "./options.ts"

/** Apple allows tokens of at most 20 minutes; a new one is signed after 15. */
const TOKEN_LIFETIME_S = 20 * 60
const TOKEN_RENEW_S = 15 * 60

/** The report date the original asked for: yesterday, in local time, as YYYY-MM-DD. */
export function reportDateFor(now: Date): string {
  const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`
}

/** Apple's JSON error body: `{"errors":[{"status","code","title","detail"}]}`. */
function appleErrorDetail(body: string): { code?: string; detail?: string } {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; detail?: string; title?: string }[] }
    const first = parsed.errors?.[0]
    return { code: first?.code, detail: first?.detail ?? first?.title }
  } catch {
    return {}
  }
}

/** 404 details that mean "no report for this day (yet)": not an error, and not cached. */
function isNoReport(detail: string | undefined): boolean {
  return !!detail && /no sales for the date|not available yet/i.test(detail)
}

export class AppStoreConnectSource extends Source<AppStoreConnectOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 60

  #key?: CryptoKey
  #token?: { jwt: string; issuedAt: number }

  get dbDir(): string {
    return resolve(this.ctx.configDir, this.config.dbDir)
  }

  reportPath(date: string): string {
    return join(this.dbDir, `report_${this.config.vendorNumber}_${date}.tsv`)
  }

  override async probe(): Promise<ValueSet[] | null> {
    const date = reportDateFor(new Date())
    const path = this.reportPath(date)
    let text: string | null
    if (existsSync(path)) {
      text = readFileSync(path, "utf8")
    } else {
      text = await this.download(date)
      if (text === null) {
        this.ctx.log.debug(`AppStoreConnect: no sales report for ${date} yet`)
        return null
      }
      writeFileAtomic(path, text)
    }

    const units = new ValueSet(metrics.units)
    const downloads = new ValueSet(metrics.downloads)
    for (const [sku, entry] of parseSalesReport(text)) {
      units.add(entry.units, [sku], "units")
      downloads.add(entry.downloads, [sku], "downloads")
    }
    const [y, m, d] = date.split("-").map(Number) as [number, number, number]
    const meta = new ValueSet(metrics.latestUpdate)
    meta.add(Math.floor(new Date(y, m - 1, d).getTime() / 1000), [], "latestUpdate")
    return [units, downloads, meta]
  }

  /** The report's TSV text, or null when Apple has none for that day (yet). */
  async download(date: string): Promise<string | null> {
    const query = new URLSearchParams({
      "filter[frequency]": "DAILY",
      "filter[reportType]": "SALES",
      "filter[reportSubType]": "SUMMARY",
      "filter[vendorNumber]": this.config.vendorNumber,
      "filter[reportDate]": date,
      "filter[version]": this.config.reportVersion,
    })
    const url = `${this.config.apiUrl.replace(/\/$/, "")}/v1/salesReports?${query}`
    const response = await this.ctx.fetch(url, {
      headers: { Authorization: `Bearer ${await this.token()}`, Accept: "application/a-gzip" },
    })
    const body = new Uint8Array(await response.arrayBuffer())
    if (response.status === 200) return decodeReport(body)

    const { code, detail } = appleErrorDetail(new TextDecoder().decode(body))
    if (response.status === 404 && isNoReport(detail)) return null
    if (response.status === 401) {
      this.#token = undefined
      throw new Error(`App Store Connect rejected the API key (401${code ? " " + code : ""}): check keyId, issuerId and keyFile`)
    }
    if (response.status === 403)
      throw new Error(
        `App Store Connect refused the sales report (403): the API key needs the Sales or Finance role${detail ? ` (${detail})` : ""}`,
      )
    throw new Error(`App Store Connect answered ${response.status} for the ${date} sales report${detail ? `: ${detail}` : ""}`)
  }

  /** A signed ES256 JWT, reused for 15 minutes. */
  async token(): Promise<string> {
    const now = Math.floor(Date.now() / 1000)
    if (this.#token && now - this.#token.issuedAt < TOKEN_RENEW_S) return this.#token.jwt
    const key = await this.key()
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: this.config.keyId, typ: "JWT" })
      .setIssuer(this.config.issuerId)
      .setAudience("appstoreconnect-v1")
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_LIFETIME_S)
      .sign(key)
    this.#token = { jwt, issuedAt: now }
    return jwt
  }

  async key(): Promise<CryptoKey> {
    if (this.#key) return this.#key
    const { path, text: pem } = readConfigFile(this.ctx.configDir, this.config.keyFile, "keyFile")
    try {
      this.#key = await importPKCS8(pem.trim(), "ES256")
    } catch {
      // Never echo the key material, only where it came from.
      throw new Error(`keyFile ${path} is not an App Store Connect API key (PKCS#8 EC P-256 PEM, .p8)`)
    }
    return this.#key
  }
}

/** Apple sends the report gzip-compressed (application/a-gzip); anything else is a server fault. */
export function decodeReport(body: Uint8Array<ArrayBuffer>): string {
  if (body[0] !== 0x1f || body[1] !== 0x8b) throw new Error("App Store Connect sent a sales report that is not gzip data")
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Bun.gunzipSync(body))
  } catch {
    throw new Error("App Store Connect sent a damaged gzip sales report")
  }
  if (!text.startsWith("Provider\t") && !/\tSKU\t/.test(text.split("\n", 1)[0] ?? "")) {
    throw new Error("App Store Connect sent a sales report without the expected header row")
  }
  return text
}
