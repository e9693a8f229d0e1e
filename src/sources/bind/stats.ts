/**
 * BIND 9 statistics channel → one plain shape, from either format it serves:
 * - XML v3 (`/xml/v3/server`, also `/` on 9.10+): `<statistics><server><counters type="qtype">
 *   <counter name="A">2</counter>...` and `<views><view name="_default"><counters type="resstats">`,
 *   `<cache name="_default"><rrset><name>A</name><counter>3</counter></rrset>`.
 * - JSON v1 (`/json/v1/server`): `{"opcodes":{...},"rcodes":{...},"qtypes":{...},"nsstats":{...},
 *   "views":{"_default":{"resolver":{"stats":{...},"cachestats":{...},"cache":{...}}}}}`.
 *   JSON leaves out counters that are zero; XML lists them.
 */
import { XMLParser } from "fast-xml-parser"

export type Counters = Record<string, number>

export interface BindViewStats {
  /** Resolver statistics (`resstats`): Queryv4, Queryv6, NXDOMAIN, ... */
  resstats: Counters
  /** Cache statistics: CacheHits, CacheMisses, ..., and sizes (CacheNodes, TreeMemInUse, ...). */
  cachestats: Counters
  /**
   * RRsets in the cache by type, as BIND names them: `~` (ancient), `#` (stale), `!` (negative,
   * NXRRSET) prefixes in that order before the type (`A`, `#!TXT`), `NXDOMAIN`, `Others`.
   */
  cache: Counters
}

export interface BindStats {
  version?: string
  opcodes: Counters
  rcodes: Counters
  qtypes: Counters
  nsstats: Counters
  views: Record<string, BindViewStats>
}

/** JSON or XML, told apart by the first character. */
export function parseBindStats(text: string): BindStats {
  const start = text.trimStart()
  if (start.startsWith("{")) return parseBindJson(start)
  if (start.startsWith("<")) return parseBindXml(start)
  throw new Error(`not BIND statistics (neither XML nor JSON): ${JSON.stringify(start.slice(0, 40))}`)
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  isArray: (name) => ["counters", "counter", "view", "rrset", "cache"].includes(name),
})

interface XmlCounter {
  "@name"?: string
  "#text"?: string
}
interface XmlCounters {
  "@type"?: string
  counter?: XmlCounter[]
}
interface XmlRrset {
  name?: string
  counter?: (string | XmlCounter)[]
}
interface XmlView {
  "@name"?: string
  counters?: XmlCounters[]
  cache?: { "@name"?: string; rrset?: XmlRrset[] }[]
}
interface XmlStatistics {
  statistics?: {
    "@version"?: string
    server?: { version?: string; counters?: XmlCounters[] }
    views?: { view?: XmlView[] }
  }
}

export function parseBindXml(text: string): BindStats {
  let doc: XmlStatistics
  try {
    doc = xml.parse(text) as XmlStatistics
  } catch (error) {
    throw new Error(`BIND statistics XML does not parse: ${(error as Error).message}`)
  }
  const stats = doc.statistics
  const version = stats?.["@version"]
  if (version && !version.startsWith("3."))
    throw new Error(`BIND XML statistics version ${version} is not supported (v3 is, BIND 9.10 and later)`)
  if (!stats?.server) throw new Error("not BIND XML v3 statistics (no <statistics><server>); is the URL /xml/v3/server?")
  const group = (list: XmlCounters[] | undefined, type: string) => countersOf(list?.find((c) => c["@type"] === type))
  const server = stats.server.counters
  const views: Record<string, BindViewStats> = {}
  for (const view of stats.views?.view ?? []) {
    const name = view["@name"]
    if (!name) continue
    const cache: Counters = {}
    for (const rrset of view.cache?.[0]?.rrset ?? []) {
      const count = rrset.counter?.[0]
      const text = typeof count === "object" ? count["#text"] : count
      if (rrset.name !== undefined) cache[String(rrset.name)] = toNumber(text)
    }
    views[name] = { resstats: group(view.counters, "resstats"), cachestats: group(view.counters, "cachestats"), cache }
  }
  return {
    version: stats.server.version,
    opcodes: group(server, "opcode"),
    rcodes: group(server, "rcode"),
    qtypes: group(server, "qtype"),
    nsstats: group(server, "nsstat"),
    views,
  }
}

function countersOf(counters: XmlCounters | undefined): Counters {
  const out: Counters = {}
  for (const counter of counters?.counter ?? []) {
    if (counter["@name"] !== undefined) out[counter["@name"]] = toNumber(counter["#text"])
  }
  return out
}

/** 2^63: BIND's counters are signed 64-bit (isc_statscounter_t) and printed unsigned (`%" PRIu64`). */
const INT64_WRAP = 2 ** 63

/**
 * A counter's text as the number BIND means. A gauge it decrements below zero (an RRset count of
 * stale entries, a `QueryCurUDP`) is printed as its unsigned wrap, 2^64 − 13 for −13; a value
 * ≥ 2^63 is therefore read as the negative number it is (no event counter gets near 2^63). Read
 * with BigInt: a double cannot tell 2^64 − 13 from 2^64.
 */
function toNumber(text: string | undefined): number {
  const value = Number(text)
  if (!Number.isFinite(value)) return 0
  if (value < INT64_WRAP) return value
  return /^\s*\d+\s*$/.test(text!) ? Number(BigInt.asIntN(64, BigInt(text!.trim()))) : value
}

interface JsonStats {
  version?: string
  opcodes?: Counters
  rcodes?: Counters
  qtypes?: Counters
  nsstats?: Counters
  views?: Record<string, { resolver?: { stats?: Counters; cachestats?: Counters; cache?: Counters } }>
}

export function parseBindJson(text: string): BindStats {
  let doc: JsonStats
  try {
    doc = JSON.parse(signedJsonIntegers(text)) as JsonStats
  } catch (error) {
    throw new Error(`BIND statistics JSON does not parse: ${(error as Error).message}`)
  }
  if (!doc || typeof doc !== "object" || !("json-stats-version" in doc))
    throw new Error("not BIND JSON statistics (no json-stats-version); is the URL /json/v1/server?")
  const numbers = (record: Counters | undefined): Counters =>
    Object.fromEntries(Object.entries(record ?? {}).filter(([, value]) => typeof value === "number"))
  const views: Record<string, BindViewStats> = {}
  for (const [name, view] of Object.entries(doc.views ?? {})) {
    views[name] = {
      resstats: numbers(view.resolver?.stats),
      cachestats: numbers(view.resolver?.cachestats),
      cache: numbers(view.resolver?.cache),
    }
  }
  return {
    version: doc.version,
    opcodes: numbers(doc.opcodes),
    rcodes: numbers(doc.rcodes),
    qtypes: numbers(doc.qtypes),
    nsstats: numbers(doc.nsstats),
    views,
  }
}

/**
 * JSON numbers ≥ 2^63 (a gauge's unsigned wrap, see toNumber) rewritten as the negative numbers
 * they mean before JSON.parse rounds them (2^64 − 13 would come out as 2^64). json-c prints
 * BIND's int64 counters signed already (`-13`); this covers a channel that prints them unsigned.
 * Strings are matched whole and left as they are; only a bare integer of 19 or 20 digits is read.
 */
function signedJsonIntegers(text: string): string {
  if (!/\d{19}/.test(text)) return text
  return text.replace(/"(?:[^"\\]|\\.)*"|(?<![\w.+-])\d{19,20}(?![\w.])/g, (token) =>
    token.startsWith('"') || Number(token) < INT64_WRAP ? token : String(BigInt.asIntN(64, BigInt(token))),
  )
}
