/**
 * Bind against a real named (BIND 9) on loopback with a statistics channel: after real `dig`
 * queries, pollect's totals equal the channel's own counters (read here with JSON.parse, not
 * pollect's parser), over both XML v3 and JSON v1, and the rates follow the queries.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test"
import type { ValueSet } from "../../core/value-set.ts"
import { BindSource } from "./index.ts"
import { byGraphitePath, makeSource, resultOf } from "../../../test/helpers/context.ts"
import { DnsResponder } from "../../../test/helpers/dns-responder.ts"
import { Named } from "../../../test/helpers/named.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools, missingTools } from "../../../test/helpers/tools.ts"

const TOOLS = ["named", "dig"]
const upstream = new DnsResponder()
let named: Named

/** Graphite path → value, as a plain object. */
const paths = (sets: ValueSet[]) => Object.fromEntries(byGraphitePath(sets, "Bind"))

interface ChannelJson {
  qtypes?: Record<string, number>
  opcodes?: Record<string, number>
  rcodes?: Record<string, number>
  nsstats?: Record<string, number>
  views: Record<
    string,
    { resolver: { stats?: Record<string, number>; cachestats: Record<string, number>; cache?: Record<string, number> } }
  >
}

async function channel(): Promise<ChannelJson> {
  return (await fetch(`${named.statsUrl}/json/v1/server`)).json() as Promise<ChannelJson>
}

async function queries(): Promise<void> {
  expect(await named.dig("www.example.test", "A")).toBe("127.0.0.2")
  expect(await named.dig("www.example.test", "AAAA")).toBe("::1")
  expect(await named.dig("example.test", "MX")).toBe("10 ns.example.test.")
  expect(await named.dig("nope.example.test", "A")).toBe("")
  expect(await named.dig("a.fwd.test", "A")).toBe("127.0.0.9")
  expect(await named.dig("a.fwd.test", "A")).toBe("127.0.0.9") // from the cache
  expect(await named.dig("nxhost.fwd.test", "A")).toBe("")
  expect(await named.dig("b.fwd.test", "TXT")).toBe("")
}

describe("Bind against named", () => {
  beforeAll(async () => {
    if (missingTools(TOOLS).length) return
    await upstream.start()
    named = new Named({ forwarderPort: upstream.port })
    await named.start()
  })
  afterAll(async () => {
    await named?.stop()
    upstream.stop()
  })

  for (const format of ["xml/v3/server", "json/v1/server"]) {
    itWithTools(TOOLS, `${format}: totals equal the channel's counters after dig queries`, async () => {
      await queries()
      const source = makeSource<BindSource>(BindSource, {
        type: "Bind",
        url: `${named.statsUrl}/${format}`,
        views: ["_default"],
        counters: "total",
      })
      const values = paths(await source.probe())
      const truth = await channel()
      // Nothing queried between the two reads: every counter must match exactly.
      for (const [group, name, label] of [
        ["qtypes", "server.queries", "qtypes"],
        ["opcodes", "server.opcodes", "opcodes"],
        ["rcodes", "server.rcodes", "rcodes"],
        ["nsstats", "server.nsstats", "nsstats"],
      ] as const) {
        const counters = truth[group] ?? {}
        expect(Object.keys(counters).length).toBeGreaterThan(0)
        for (const [key, value] of Object.entries(counters))
          expect([label, key, values[`pollect.bind.${name}.${key.toLowerCase()}`]]).toEqual([label, key, value])
      }
      const view = truth.views._default!.resolver
      expect(values["pollect.bind._default.queries.v4"]).toBe(view.stats?.Queryv4 ?? 0)
      expect(values["pollect.bind._default.queries.v4"]).toBeGreaterThanOrEqual(3) // a.fwd.test, nxhost.fwd.test, b.fwd.test went upstream
      expect(values["pollect.bind._default.cache.hits"]).toBe(view.cachestats.CacheHits!)
      expect(values["pollect.bind._default.cache.misses"]).toBe(view.cachestats.CacheMisses!)
      for (const [key, value] of Object.entries(view.stats ?? {}))
        if (key !== "BucketSize") expect(values[`pollect.bind._default.resstats.${key.toLowerCase()}`]).toBe(value)
      expect(values["pollect.bind._default.cache.rrsets.a"]).toBe(view.cache?.A ?? 0)
      expect(values["pollect.bind._default.cache.rrsets.a"]).toBeGreaterThanOrEqual(1)
      expect(values["pollect.bind._default.cache.size.cachenodes"]).toBe(view.cachestats.CacheNodes!)
    })
  }

  itWithTools(TOOLS, "rates: none on the first probe, then the queries made in between", async () => {
    const source = makeSource<BindSource>(BindSource, { type: "Bind", url: named.statsUrl, views: ["_default"] })
    const start1 = performance.now()
    const first = paths(await source.probe())
    const end1 = performance.now()
    expect(Object.keys(first).filter((key) => key.includes("_per_sec"))).toEqual([])
    const before = await channel()
    for (let i = 0; i < 5; i++) await named.dig("www.example.test", "A")
    await Bun.sleep(200)
    const after = await channel()
    const start2 = performance.now()
    const second = paths(await source.probe())
    const end2 = performance.now()
    expect((after.qtypes?.A ?? 0) - (before.qtypes?.A ?? 0)).toBe(5)
    // Exactly 5 A queries between the two reads, which lie between end1..start2 at least and start1..end2 at most.
    expect(second["pollect.bind.server.queries_per_sec.a"]).toBeLessThanOrEqual((5 * 1000) / (start2 - end1))
    expect(second["pollect.bind.server.queries_per_sec.a"]).toBeGreaterThanOrEqual((5 * 1000) / (end2 - start1))
    expect(second["pollect.bind.server.queries_per_sec.mx"]).toBe(0)
    expect(second["pollect.bind._default.cache_per_sec.hits"]).toBeGreaterThanOrEqual(0)
    expect(second["pollect.bind._default.queries_per_sec.v4"]).toBe(0)
  })

  itWithTools(TOOLS, "a wrong path is a clear error", async () => {
    const source = makeSource<BindSource>(BindSource, { type: "Bind", url: `${named.statsUrl}/nope` })
    expect(((await source.probe().catch((e: Error) => e)) as Error).message).toContain("answered 404")
  })

  itWithTools([...TOOLS, "promtool"], "promtool check metrics passes on its snake_case output", async () => {
    const source = makeSource<BindSource>(BindSource, { type: "Bind", url: named.statsUrl, views: ["_default"], counters: "both" })
    await source.probe()
    await named.dig("www.example.test", "A")
    const result = resultOf(await source.probe(), { type: "Bind" })
    const text = snakeCaseExposition(result)
    expect(text).toContain('pollect_bind_server_queries_total{query_type="a"}')
    expect(text).toContain('pollect_bind_server_queries_per_second{query_type="a"}')
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})
