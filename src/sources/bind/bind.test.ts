import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { graphitePath, promName } from "../../core/naming.ts"
import { RateTracker } from "../../core/rate.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { parseBindJson, parseBindStats, parseBindXml } from "./stats.ts"
import { bindValueSets, statisticsUrl } from "./index.ts"
import { resultOf } from "../../../test/helpers/context.ts"

const fixtures = join(import.meta.dir, "testdata")
const read = (name: string) => Bun.file(join(fixtures, name)).text()

/** `name{label}` → value, for assertions. */
function flat(sets: ValueSet[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const set of sets) for (const value of set.values) out[`${value.name}{${value.labelValues.join(",")}}`] = value.value
  return out
}

describe("BIND statistics (recorded from BIND 9.18.49 after dig queries)", () => {
  it("reads XML v3 and JSON v1 to the same numbers (JSON leaves zeros out)", async () => {
    const xml = parseBindXml(await read("server-9.18.xml"))
    const json = parseBindJson(await read("server-9.18.json"))
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
    const stats = parseBindXml(await read("server-9.18.xml"))
    let now = 0
    const rates = new RateTracker(() => now)
    const rate = (key: string, value: number) => rates.rate(key, value)
    // First probe: no rates yet (as the original), only the cache gauges.
    const first = flat(bindValueSets(stats, ["_default"], "rate", rate))
    expect(first).toMatchObject({ "_default.cache.rrsets{a}": 2, "_default.cache.rrsets{txt}": 1, "_default.cache.rrsets{nxdomain}": 1 })
    expect(Object.keys(first).some((key) => key.includes("_per_sec"))).toBe(false)

    // Ten seconds later, 20 more A queries, 10 more cache hits.
    now = 10_000
    const later = structuredClone(stats)
    later.qtypes.A = stats.qtypes.A! + 20
    later.views._default!.cachestats.CacheHits = stats.views._default!.cachestats.CacheHits! + 10
    const second = flat(bindValueSets(later, ["_default"], "both", rate))
    expect(second["server.queries_per_sec{a}"]).toBe(2)
    expect(second["server.queries_per_sec{mx}"]).toBe(0)
    expect(second["_default.cache_per_sec{hits}"]).toBe(1)
    expect(second["_default.queries_per_sec{v4}"]).toBe(0)
    expect(second["server.queries{a}"]).toBe(26)
    expect(second["server.rcodes{nxdomain}"]).toBe(2)
    expect(second["server.nsstats{requestv4}"]).toBe(9)
    expect(second["_default.resstats{queryv4}"]).toBe(4)
    expect(second["_default.cachestats{cachemisses}"]).toBe(9)
    expect(second["_default.cache.size{cachenodes}"]).toBe(4)
    expect(second["_default.resstats{bucketsize}"]).toBeUndefined()
    // The internal _bind view only when asked for.
    expect(Object.keys(second).some((key) => key.startsWith("_bind"))).toBe(false)
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
