import { describe, expect, it } from "bun:test"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { silentLogger } from "../../core/log.ts"
import { graphitePath, promName } from "../../core/naming.ts"
import { RateTracker } from "../../core/rate.ts"
import { createSourceContext } from "../../core/source-context.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { parseBindJson, parseBindStats, parseBindXml } from "./stats.ts"
import { BindSource, bindValueSets, statisticsUrl } from "./index.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { serveFake, type FakeServer } from "../../../test/helpers/fake-server.ts"

const testdata = join(import.meta.dir, "testdata")
/** The recorded answers of BIND 9.18.49's statistics channel, over XML v3 and JSON v1. */
const XML = join(testdata, "xml-both", "server-9.18.xml")
const JSON_V1 = join(testdata, "json-total", "server-9.18.json")
const read = (file: string) => Bun.file(file).text()

/** Graphite path → value, as a plain object for toMatchObject. */
const paths = (sets: ValueSet[]) => Object.fromEntries(byGraphitePath(sets, "Bind"))

/** A statistics channel on loopback answering with a case's recorded files (server-*.xml on /xml/v3/server, server-*.json on /json/v1/server). */
function serveChannel(dir: string): FakeServer {
  const recorded = (ext: string) => {
    const file = join(dir, `server-9.18.${ext}`)
    return existsSync(file) ? file : undefined
  }
  const xml = recorded("xml")
  const json = recorded("json")
  return serveFake(async (_request, url) => {
    if (url.pathname === "/xml/v3/server" && xml) return new Response(await read(xml), { headers: { "content-type": "text/xml" } })
    if (url.pathname === "/json/v1/server" && json)
      return new Response(await read(json), { headers: { "content-type": "application/json" } })
    return new Response("Not Found", { status: 404 })
  })
}

/** A Bind source whose rates run on `now` (milliseconds) instead of the wall clock. */
function bindWithClock(config: Record<string, unknown>, now: () => number): BindSource {
  const parsed = v.parse(BindSource.options, config)
  const { ctx } = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: process.cwd() })
  ;(ctx as { rate: RateTracker }).rate = new RateTracker(now)
  return new BindSource({ type: "Bind", ...config, ...parsed }, ctx)
}

/**
 * Serves the case's recording, probes config.json's URL path there: once, or with rates twice,
 * 10 s apart on a fake clock (the same recording both times, so every rate is 0).
 */
async function golden(testCase: GoldenCase): Promise<ValueSet[][]> {
  const fake = serveChannel(testCase.dir)
  try {
    let now = 0
    const source = bindWithClock({ ...testCase.config, url: fake.url + new URL(testCase.config.url as string).pathname }, () => now)
    const probes = [await source.probe()]
    if (testCase.config.counters !== "total") {
      now += 10_000
      probes.push(await source.probe())
    }
    return probes
  } finally {
    await fake.stop()
  }
}

/** The failing case's channel answers 404 (statistics-channels off, or a wrong path); its URL is known once it runs. */
const failingConfig: Record<string, unknown> = { type: "Bind" }

sourceConformance({
  type: "Bind",
  cls: BindSource,
  dir: import.meta.dir,
  golden,
  failing: {
    config: failingConfig,
    setup: () => {
      const fake = serveFake(() => new Response("Not Found", { status: 404 }))
      failingConfig.url = `${fake.url}/xml/v3/nope`
      return () => void fake.stop()
    },
    message: /answered 404 Not Found \(is statistics-channels enabled, and is the path \/xml\/v3\/server or \/json\/v1\/server\?\)/,
  },
})

describe("BIND statistics (recorded from BIND 9.18.49 after dig queries)", () => {
  it("reads XML v3 and JSON v1 to the same numbers (JSON leaves zeros out)", async () => {
    const xml = parseBindXml(await read(XML))
    const json = parseBindJson(await read(JSON_V1))
    expect(xml.version).toBe("9.18.49-1~deb12u3-Debian")
    expect(xml.qtypes).toEqual({ A: 6, MX: 1, TXT: 1, AAAA: 1 })
    expect(json.qtypes).toEqual(xml.qtypes)
    expect(xml.rcodes.NOERROR).toBe(7)
    expect(xml.rcodes.NXDOMAIN).toBe(2)
    expect(xml.opcodes.QUERY).toBe(9)
    for (const group of ["opcodes", "rcodes", "nsstats"] as const) {
      for (const [key, value] of Object.entries(json[group])) expect([group, key, xml[group][key]]).toEqual([group, key, value])
      for (const [key, value] of Object.entries(xml[group])) if (!(key in json[group])) expect([group, key, value]).toEqual([group, key, 0])
    }
    expect(Object.keys(xml.views).sort()).toEqual(["_bind", "_default"])
    const view = xml.views._default!
    expect(view.cache).toEqual({ A: 2, "!TXT": 1, NXDOMAIN: 1 })
    expect(json.views._default!.cache).toEqual(view.cache)
    expect(view.resstats.Queryv4).toBe(4)
    expect(json.views._default!.resstats.Queryv4).toBe(4)
    expect(view.cachestats).toEqual(json.views._default!.cachestats)
  })

  it("tells the formats apart and says what is wrong", () => {
    expect(() => parseBindStats("hello")).toThrow("neither XML nor JSON")
    expect(() => parseBindStats("<html><body>nope</body></html>")).toThrow("not BIND XML v3 statistics")
    expect(() => parseBindStats('{"a":1}')).toThrow("not BIND JSON statistics")
    expect(() => parseBindStats('<statistics version="2.2"><server/></statistics>')).toThrow("version 2.2 is not supported")
  })

  it("keeps the original's names and adds totals beside them", async () => {
    const stats = parseBindXml(await read(XML))
    let now = 0
    const rates = new RateTracker(() => now)
    const rate = (key: string, value: number) => rates.rate(key, value)
    // First probe: no rates yet (as the original), only the cache gauges.
    const first = paths(bindValueSets(stats, ["_default"], "rate", rate))
    expect(first).toMatchObject({
      "pollect.bind._default.cache.rrsets.a": 2,
      "pollect.bind._default.cache.rrsets.txt": 1,
      "pollect.bind._default.cache.rrsets.nxdomain": 1,
    })
    expect(Object.keys(first).some((key) => key.includes("_per_sec"))).toBe(false)

    // Ten seconds later, 20 more A queries, 10 more cache hits.
    now = 10_000
    const later = structuredClone(stats)
    later.qtypes.A = stats.qtypes.A! + 20
    later.views._default!.cachestats.CacheHits = stats.views._default!.cachestats.CacheHits! + 10
    const second = paths(bindValueSets(later, ["_default"], "both", rate))
    expect(second["pollect.bind.server.queries_per_sec.a"]).toBe(2)
    expect(second["pollect.bind.server.queries_per_sec.mx"]).toBe(0)
    expect(second["pollect.bind._default.cache_per_sec.hits"]).toBe(1)
    expect(second["pollect.bind._default.queries_per_sec.v4"]).toBe(0)
    expect(second["pollect.bind.server.queries.a"]).toBe(26)
    expect(second["pollect.bind.server.rcodes.nxdomain"]).toBe(2)
    expect(second["pollect.bind.server.nsstats.requestv4"]).toBe(9)
    expect(second["pollect.bind._default.resstats.queryv4"]).toBe(4)
    expect(second["pollect.bind._default.cachestats.cachemisses"]).toBe(9)
    expect(second["pollect.bind._default.cache.size.cachenodes"]).toBe(4)
    expect(second["pollect.bind._default.resstats.bucketsize"]).toBeUndefined()
    // The internal _bind view only when asked for.
    expect(Object.keys(second).some((key) => key.startsWith("pollect.bind._bind"))).toBe(false)
  })

  it("names values as the original pollect did", () => {
    const [set] = bindValueSets(parseBindJson('{"json-stats-version":"1.7","qtypes":{"A":5}}'), [], "total", () => undefined)
    const result = resultOf([set!], { type: "Bind" })
    expect(graphitePath(result, set!.values[0]!)).toBe("pollect.bind.server.queries.a")
    expect(promName(result, set!, set!.values[0]!, "pollect")).toBe("pollect_Bind_server_queries")
    expect(promName(result, set!, set!.values[0]!, "snake_case")).toBe("pollect_bind_server_queries_total")
  })

  it("reads /xml/v3/server when the URL has no path", () => {
    expect(statisticsUrl("http://192.168.1.10:8053")).toBe("http://192.168.1.10:8053/xml/v3/server")
    expect(statisticsUrl("http://192.168.1.10:8053/json/v1/server")).toBe("http://192.168.1.10:8053/json/v1/server")
  })
})

describe("stale RRsets and wrapped gauges (testdata/xml-stale, written in BIND 9.18's XML v3 format)", () => {
  const STALE = join(testdata, "xml-stale", "server-9.18.xml")

  it("a value ≥ 2^63 is read as the negative number BIND means (2^64 − 13 → −13), in XML and JSON", async () => {
    const xml = parseBindXml(await read(STALE))
    expect(xml.views._default!.cache["#A"]).toBe(-13)
    expect(xml.views._default!.cache["#!AAAA"]).toBe(6)
    const json = (value: string) =>
      parseBindJson(`{"json-stats-version":"1.7","views":{"_default":{"resolver":{"cache":{"A":418,"#A":${value},"~A":2}}}}}`)
    // json-c prints BIND's int64 counter signed; a channel printing it unsigned gives the same.
    expect(json("-13").views._default!.cache).toEqual({ A: 418, "#A": -13, "~A": 2 })
    expect(json("18446744073709551603").views._default!.cache).toEqual({ A: 418, "#A": -13, "~A": 2 })
    // 2^63 − 1 is still positive (a double rounds it to 2^63).
    expect(json("9223372036854775807").views._default!.cache["#A"]).toBe(2 ** 63)
    // Digits inside a string are left alone.
    const version = parseBindJson('{"json-stats-version":"1.7","version":"x:18446744073709551603}"}').version
    expect(version).toBe("x:18446744073709551603}")
  })

  it("stale (#) and ancient (~) entries are reported apart, never added into their type; a negative count is 0", async () => {
    const sets = bindValueSets(parseBindXml(await read(STALE)), ["_default"], "total", () => undefined)
    const rrsets = Object.fromEntries(Object.entries(paths(sets)).filter(([path]) => path.includes(".cache.rrsets.")))
    expect(rrsets).toEqual({
      // Live entries keep the original's names: `!AAAA` (negative) counts under `aaaa`.
      "pollect.bind._default.cache.rrsets.a": 418,
      "pollect.bind._default.cache.rrsets.ns": 37,
      "pollect.bind._default.cache.rrsets.aaaa": 203 + 64,
      "pollect.bind._default.cache.rrsets.nxdomain": 29,
      // `#A` = 2^64 − 13 was 1.8e19 (and made `a` 1.8e19 too): an RRset count cannot be negative.
      "pollect.bind._default.cache.rrsets.stale_a": 0,
      "pollect.bind._default.cache.rrsets.stale_ns": 4,
      "pollect.bind._default.cache.rrsets.stale_aaaa": 17 + 6,
      "pollect.bind._default.cache.rrsets.ancient_a": 2,
    })
  })
})

describe("Bind: the README's tables and the defaults", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Bind", aliases: [], cls: BindSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })

  it("reads the _default view and reports rates unless told otherwise", () => {
    expect(v.parse(BindSource.options, { url: "http://127.0.0.1:8053" })).toEqual({
      url: "http://127.0.0.1:8053",
      views: ["_default"],
      counters: "rate",
    })
  })
})

describe("Bind: the statistics channel's answers", () => {
  it("asks for JSON or XML; a status other than 404 gets no hint; views not served are logged (debug)", async () => {
    const fake = serveChannel(join(testdata, "xml-both"))
    const broken = serveFake(() => new Response("oops", { status: 500, statusText: "Internal Server Error" }))
    try {
      const log: string[] = []
      const source = makeSource<BindSource>(BindSource, { type: "Bind", url: fake.url, views: ["_default", "internal", "x"] }, { log })
      await source.probe()
      expect(fake.requests[0]!.headers.get("accept")).toBe("application/json, text/xml;q=0.9")
      expect(log).toEqual([expect.stringContaining("views not in the statistics: internal, x (known: _default, _bind)")])
      const quiet: string[] = []
      await makeSource<BindSource>(BindSource, { type: "Bind", url: fake.url }, { log: quiet }).probe()
      expect(quiet).toEqual([])
      const url = `${broken.url}/xml/v3/server`
      await expect(makeSource<BindSource>(BindSource, { type: "Bind", url }).probe()).rejects.toThrow(
        new Error(`${url} answered 500 Internal Server Error`),
      )
    } finally {
      await Promise.all([fake.stop(), broken.stop()])
    }
  })

  it("rates only with counters: rate, totals only with total; no empty set", async () => {
    const stats = parseBindJson(await read(JSON_V1))
    const everyRate = () => 1
    const names = (sets: ValueSet[]) => [...new Set(sets.flatMap((set) => set.values.map((value) => value.name ?? "")))].sort()
    const totals = bindValueSets(stats, ["_default", "_bind"], "total", everyRate)
    expect(names(totals).filter((name) => name.includes("_per_sec"))).toEqual([])
    const rates = bindValueSets(stats, ["_default", "_bind"], "rate", everyRate)
    expect(names(rates).filter((name) => !name.includes("_per_sec") && !name.includes(".cache."))).toEqual([])
    const none = bindValueSets(parseBindJson('{"json-stats-version":"1.7","views":{"_default":{}}}'), ["_default"], "both", () => undefined)
    expect(none.map((set) => set.values.length)).toEqual([2, 2])
    for (const sets of [totals, rates, bindValueSets(stats, ["_default"], "both", () => undefined)])
      for (const set of sets) expect(set.values.length).toBeGreaterThan(0)
  })

  it("finds JSON after leading white space; a text that is neither is quoted up to 40 characters", () => {
    expect(parseBindStats(' \n{"json-stats-version":"1.7","qtypes":{"A":5}}').qtypes).toEqual({ A: 5 })
    expect(() => parseBindStats(`Forbidden ${"x".repeat(60)}`)).toThrow(
      new Error(`not BIND statistics (neither XML nor JSON): ${JSON.stringify(`Forbidden ${"x".repeat(30)}`)}`),
    )
    expect(() => parseBindStats("{nope")).toThrow("BIND statistics JSON does not parse: ")
    expect(() => parseBindStats("<statistics")).toThrow("BIND statistics XML does not parse: ")
    for (const text of ["null", "5", '"x"']) expect(() => parseBindJson(text)).toThrow("not BIND JSON statistics")
  })

  it("XML: one group or one RRset, parts left out, attributes on a counter, odd and wrapped values", () => {
    const stats = parseBindXml(`<?xml version="1.0"?>
<statistics version="3.11">
  <server>
    <counters type="qtype"><counter name="A">5</counter><counter>7</counter><counter name="MX">n/a</counter></counters>
  </server>
  <views>
    <view name="_default">
      <counters type="resstats"><counter name="Queryv4">9223372036854775808</counter><counter name="Big">1.8446744073709552e19</counter></counters>
      <cache name="_default"><rrset><name>A</name><counter unit="sets">3</counter></rrset></cache>
    </view>
    <view name="two">
      <cache name="two"><rrset><name>A</name></rrset><rrset><counter>4</counter></rrset></cache>
    </view>
    <view><counters type="resstats"><counter name="Queryv4">1</counter></counters></view>
    <view name="bare"/>
  </views>
</statistics>`)
    expect(stats.qtypes).toEqual({ A: 5, MX: 0 })
    expect(stats.nsstats).toEqual({})
    expect(Object.keys(stats.views)).toEqual(["_default", "two", "bare"])
    expect(stats.views._default).toEqual({
      resstats: { Queryv4: -(2 ** 63), Big: 18446744073709552000 },
      cachestats: {},
      cache: { A: 3 },
    })
    expect(stats.views.two!.cache).toEqual({ A: 0 })
    expect(stats.views.bare).toEqual({ resstats: {}, cachestats: {}, cache: {} })
    expect(parseBindXml("<statistics><server><version>9</version></server></statistics>").views).toEqual({})
  })

  it("JSON: only numbers are counters, a view without resolver is empty, 2^63 is the first negative", () => {
    const stats = parseBindJson(
      '{"json-stats-version":"1.7","qtypes":{"A":5,"MX":"7"},"views":{"_bind":{},"_default":{"resolver":{"stats":{"Queryv4":9223372036854775808}}}}}',
    )
    expect(stats.qtypes).toEqual({ A: 5 })
    expect(stats.views._bind).toEqual({ resstats: {}, cachestats: {}, cache: {} })
    expect(stats.views._default!.resstats.Queryv4).toBe(-(2 ** 63))
  })
})
