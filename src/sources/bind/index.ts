/**
 * `Bind`: statistics of a BIND 9 server from its statistics channel (XML v3 or JSON v1).
 * The original's values keep their names (per-second rates, label `queryType`):
 *   server.queries_per_sec{queryType="a"}       queries by type (qtype)
 *   <view>.queries_per_sec{queryType="v4|v6"}   resolver queries sent (resstats Queryv4/v6)
 *   <view>.cache_per_sec{queryType="hits|misses"}
 *   <view>.cache.rrsets{queryType="a"}          RRsets in the cache (gauge)
 * Beside them: opcodes, rcodes, all server counters (nsstats), all resolver stats and cache
 * stats, as per-second rates (`counters: "rate"`, like the original), raw totals (`"total"`,
 * what Prometheus wants) or both.
 */
import { Source, ValueSet, type MetricSpec } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { parseBindStats, type BindStats, type Counters } from "./stats.ts"
import { options, type BindOptions } from "./options.ts"

/** cachestats entries that are sizes, not counts of events. */
const CACHE_GAUGES = new Set([
  "CacheNodes",
  "CacheNSECNodes",
  "CacheBuckets",
  "TreeMemTotal",
  "TreeMemInUse",
  "TreeMemMax",
  "HeapMemTotal",
  "HeapMemInUse",
  "HeapMemMax",
])
/** resstats entries that are settings, not counts. */
const RESSTATS_SKIP = new Set(["BucketSize"])

export class BindSource extends Source<BindOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10
  private readonly url = statisticsUrl(this.config.url)

  override async probe(): Promise<ValueSet[]> {
    const url = this.url
    const response = await this.ctx.fetch(url, { headers: { accept: "application/json, text/xml;q=0.9" } })
    const body = await response.text()
    if (!response.ok)
      throw new Error(
        `${url} answered ${response.status} ${response.statusText}${response.status === 404 ? " (is statistics-channels enabled, and is the path /xml/v3/server or /json/v1/server?)" : ""}`,
      )
    const stats = parseBindStats(body)
    const missing = this.config.views.filter((view) => !(view in stats.views))
    if (missing.length)
      this.ctx.log.debug(`views not in the statistics: ${missing.join(", ")} (known: ${Object.keys(stats.views).join(", ")})`)
    return bindValueSets(stats, this.config.views, this.config.counters, (key, value) => this.ctx.rate.rate(key, value))
  }
}

/** `http://host:8053` → `http://host:8053/xml/v3/server`; a URL with a path is used as given. */
export function statisticsUrl(url: string): string {
  const parsed = new URL(url)
  if (parsed.pathname === "" || parsed.pathname === "/") parsed.pathname = "/xml/v3/server"
  return parsed.toString()
}

type RateFn = (key: string, value: number) => number | undefined

/** Everything a probe reports, from parsed statistics; `rate` turns a keyed counter into a per-second rate. */
export function bindValueSets(stats: BindStats, views: string[], counters: BindOptions["counters"], rate: RateFn): ValueSet[] {
  const sets: ValueSet[] = []
  const wantRates = counters !== "total"
  const wantTotals = counters !== "rate"

  /** One group of counters: a rate set (`<name>_per_sec`) and/or a totals set (`<name>`), label values lower-cased. */
  const group = (name: string, values: Counters, specs: { rate: MetricSpec; total: MetricSpec }) => {
    const entries = Object.entries(values)
    if (wantRates) {
      const set = new ValueSet(specs.rate)
      for (const [key, value] of entries) {
        const perSecond = rate(`${name}|${key}`, value)
        if (perSecond !== undefined) set.add(perSecond, [key.toLowerCase()], `${name}_per_sec`)
      }
      if (set.values.length) sets.push(set)
    }
    if (wantTotals && entries.length) {
      const set = new ValueSet(specs.total)
      for (const [key, value] of entries) set.add(value, [key.toLowerCase()], name)
      sets.push(set)
    }
  }

  // The original's server-wide value: queries by type.
  group("server.queries", stats.qtypes, { rate: metrics.queriesRate, total: metrics.queries })
  group("server.opcodes", stats.opcodes, { rate: metrics.opcodesRate, total: metrics.opcodes })
  group("server.rcodes", stats.rcodes, { rate: metrics.rcodesRate, total: metrics.rcodes })
  group("server.nsstats", stats.nsstats, { rate: metrics.nsstatsRate, total: metrics.nsstats })

  for (const viewName of views) {
    const view = stats.views[viewName]
    if (!view) continue
    const prefix = viewName.toLowerCase()
    // The original's per-view values; JSON omits zero counters, so a missing one is 0.
    group(
      `${prefix}.queries`,
      { v4: view.resstats.Queryv4 ?? 0, v6: view.resstats.Queryv6 ?? 0 },
      { rate: metrics.resolverQueriesRate, total: metrics.resolverQueries },
    )
    group(
      `${prefix}.cache`,
      { hits: view.cachestats.CacheHits ?? 0, misses: view.cachestats.CacheMisses ?? 0 },
      { rate: metrics.cacheRate, total: metrics.cache },
    )
    group(
      `${prefix}.resstats`,
      pick(view.resstats, (key) => !RESSTATS_SKIP.has(key)),
      { rate: metrics.resstatsRate, total: metrics.resstats },
    )
    group(
      `${prefix}.cachestats`,
      pick(view.cachestats, (key) => !CACHE_GAUGES.has(key)),
      { rate: metrics.cachestatsRate, total: metrics.cachestats },
    )

    const sizes = new ValueSet(metrics.cacheSize)
    for (const [key, value] of Object.entries(pick(view.cachestats, (key) => CACHE_GAUGES.has(key))))
      sizes.add(Math.max(0, value), [key.toLowerCase()], `${prefix}.cache.size`)
    if (sizes.values.length) sets.push(sizes)

    const rrsets = new Map<string, number>()
    for (const [type, count] of Object.entries(view.cache)) {
      const label = rrsetLabel(type)
      // A count of RRsets cannot be negative: a negative one (BIND prints it as 2^64 − n) is
      // BIND's bookkeeping gone below zero, so it counts as none rather than taking from the rest.
      rrsets.set(label, (rrsets.get(label) ?? 0) + Math.max(0, count))
    }
    const cache = new ValueSet(metrics.cacheRrsets)
    for (const [label, count] of rrsets) cache.add(count, [label], `${prefix}.cache.rrsets`)
    if (cache.values.length) sets.push(cache)
  }
  return sets
}

/**
 * An RRset statistics name (`A`, `!TXT`, `#A`, `~#!AAAA`) → its label value. As the original, a
 * negative entry (`!A`) counts under its type (`a`). Stale (`#`) and ancient (`~`, stale past
 * max-stale-ttl, awaiting removal) entries are not live cache content: they are reported apart,
 * `stale_a` and `ancient_a` (ancient wins when both are set), not added into `a`.
 */
function rrsetLabel(name: string): string {
  const prefix = /^[~#!]*/.exec(name)![0]
  const type = name.slice(prefix.length).toLowerCase()
  if (prefix.includes("~")) return `ancient_${type}`
  if (prefix.includes("#")) return `stale_${type}`
  return type
}

function pick(values: Counters, keep: (key: string) => boolean): Counters {
  return Object.fromEntries(Object.entries(values).filter(([key]) => keep(key)))
}
