/**
 * `Gdc`: Google Play Console statistics from the bulk-report bucket in Google Cloud Storage
 * (`pubsite_prod_rev_...`): crashes and ANRs per app version (the original's values), plus
 * installs and ratings per app. A service account signs an RS256 JWT for an OAuth token
 * (scope devstorage.read_only); each month's CSV is downloaded only when its generation or MD5
 * changed, and kept in `dbDir`.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { basename, join, resolve } from "node:path"
import { writeFileAtomic } from "../../lib/util/atomic-file.ts"
import { readConfigFile } from "../../lib/util/config-file.ts"
import { GcsClient, type GcsObject } from "./gcs.ts"
import { parseServiceAccountKey, ServiceAccountTokens } from "./service-account.ts"
import { parseCrashesByVersion, parseOverview, decodeReportText } from "./play-stats.ts"
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type GdcOptions, type Report } from "./options.ts"

/** The file of each report pollect reads: `stats/<report>/<report>_<package>_<YYYYMM>_<suffix>.csv`. */
const SUFFIX: Record<Report, string> = { crashes: "app_version", installs: "overview", ratings: "overview" }

const SCOPE = "https://www.googleapis.com/auth/devstorage.read_only"
const INDEX_FILE = "gdc-objects.json"
/** Google adds no row on a day without crashes; after 3 days without data the original reports 0. */
const STALE_AFTER_S = 3 * 86400

type ObjectIndex = Record<string, { generation: string; md5Hash?: string; etag?: string }>

function yyyymm(date: Date): string {
  return `${date.getFullYear()}${String(date.getMonth() + 1).padStart(2, "0")}`
}

/** Local midnight of a YYYY-MM-DD date, unix seconds (the original's naive datetime). */
function dayStart(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number]
  return new Date(y, m - 1, d).getTime() / 1000
}

export class GdcSource extends Source<GdcOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 120

  #client?: GcsClient
  #tokens?: ServiceAccountTokens

  get dbDir(): string {
    return resolve(this.ctx.configDir, this.config.dbDir)
  }

  /** Token grants so far (tests, self-metrics); never the token itself. */
  get tokenGrants(): number {
    return this.#tokens?.grants ?? 0
  }

  override async probe(): Promise<ValueSet[]> {
    const now = new Date()
    const client = this.client()
    const index = this.readIndex()
    for (const app of this.config.apps) {
      for (const report of this.config.reports) await this.sync(client, index, report, app.package, now)
    }

    const crashes = new ValueSet(metrics.crashes)
    const installs = new ValueSet(metrics.installs)
    const ratings = new ValueSet(metrics.ratings)
    let latest = 0
    const threshold = now.getTime() / 1000 - STALE_AFTER_S
    const stored = existsSync(this.dbDir) ? readdirSync(this.dbDir) : [] // listed once, not per app and report
    for (const app of this.config.apps) {
      const label = app.name ?? app.package
      const crashFile = this.newestFile(stored, "crashes", app.package)
      if (crashFile && this.config.reports.includes("crashes")) {
        const parsed = parseCrashesByVersion(decodeReportText(readFileSync(crashFile)), basename(crashFile))
        const start = dayStart(parsed.date)
        const stale = start < threshold
        latest = Math.max(latest, start)
        for (const version of parsed.versions) {
          crashes.add(stale ? 0 : version.crashes, [version.versionCode, "crash"], `crashes_${app.package}`)
          crashes.add(stale ? 0 : version.anrs, [version.versionCode, "anr"], `crashes_${app.package}`)
        }
      }
      for (const [report, set] of [
        ["installs", installs],
        ["ratings", ratings],
      ] as const) {
        const file = this.config.reports.includes(report) ? this.newestFile(stored, report, app.package) : undefined
        if (!file) continue
        const parsed = parseOverview(decodeReportText(readFileSync(file)), basename(file))
        for (const [name, value] of Object.entries(parsed.values)) set.add(value, [label], name)
      }
    }
    const meta = new ValueSet(metrics.latestUpdate).add(Math.trunc(latest), [], "latestUpdate")
    return [crashes, meta, installs, ratings].filter((set) => set.values.length || set === meta)
  }

  /** Lists this month's file (or last month's, early in a month) and downloads it if it changed. */
  async sync(client: GcsClient, index: ObjectIndex, report: Report, pkg: string, now: Date): Promise<void> {
    const previous = new Date(now.getFullYear(), now.getMonth() - 1, 1)
    for (const month of [yyyymm(now), yyyymm(previous)]) {
      const name = `stats/${report}/${report}_${pkg}_${month}_${SUFFIX[report]}.csv`
      const object = (await client.list(name)).find((o) => o.name === name)
      if (!object) continue
      await this.fetchIfChanged(client, index, object)
      return
    }
  }

  async fetchIfChanged(client: GcsClient, index: ObjectIndex, object: GcsObject): Promise<void> {
    const file = join(this.dbDir, basename(object.name))
    const known = index[object.name]
    const same = known && known.generation === object.generation && known.md5Hash === object.md5Hash
    if (same && existsSync(file)) return
    this.ctx.log.info(`Gdc: downloading gs://${this.config.bucketName}/${object.name}`)
    const bytes = await client.download(object)
    writeFileAtomic(file, bytes)
    index[object.name] = { generation: object.generation, md5Hash: object.md5Hash, etag: object.etag }
    writeFileAtomic(join(this.dbDir, INDEX_FILE), JSON.stringify(index, null, 1))
  }

  /** The newest stored month of a report for a package among the `stored` file names, as the original picked it. */
  newestFile(stored: readonly string[], report: Report, pkg: string): string | undefined {
    const prefix = `${report}_${pkg}_`
    const suffix = `_${SUFFIX[report]}.csv`
    const months = stored
      .filter((f) => f.startsWith(prefix) && f.endsWith(suffix) && /^\d{6}$/.test(f.slice(prefix.length, -suffix.length)))
      .sort()
    const newest = months.at(-1)
    return newest ? join(this.dbDir, newest) : undefined
  }

  readIndex(): ObjectIndex {
    try {
      return JSON.parse(readFileSync(join(this.dbDir, INDEX_FILE), "utf8")) as ObjectIndex
    } catch {
      return {}
    }
  }

  client(): GcsClient {
    if (this.#client) return this.#client
    const { path, text } = readConfigFile(this.ctx.configDir, this.config.keyFile, "keyFile")
    const account = parseServiceAccountKey(text, `keyFile ${path}`)
    const tokenUrl = this.config.tokenUrl ?? account.token_uri ?? "https://oauth2.googleapis.com/token"
    this.#tokens = new ServiceAccountTokens(account, SCOPE, tokenUrl)
    this.#client = new GcsClient(this.config.storageUrl, this.config.bucketName, this.#tokens, (input, init) => this.ctx.fetch(input, init))
    return this.#client
  }
}
