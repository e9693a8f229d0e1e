/** InfluxDB's options on their own: defaults, bounds, the documented descriptions. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { options } from "./options.ts"
import { optionDescriptions } from "../../../test/helpers/option-descriptions.ts"

const ok = (input: Record<string, unknown>) => v.safeParse(options, { url: "http://influxdb:8086", ...input }).success

describe("InfluxDB options", () => {
  it("defaults: no createDatabase, ms precision, gzip, 5000 lines per request, 10 s, no tags; TLS verified", () => {
    expect(v.parse(options, { url: "http://i:8086" })).toMatchObject({
      createDatabase: false,
      precision: "ms",
      gzip: true,
      batchSize: 5000,
      timeout: 10,
      tags: {},
    })
    expect(v.parse(options, { url: "https://i:8086", tls: {} }).tls).toEqual({ verify: true })
  })

  it("bounds: names 1 to 256 characters, batchSize 1 to 1,000,000, timeout 0.1 to 600 s, 64 tags with names", () => {
    expect([ok({ url: "" }), ok({ database: "" }), ok({ database: "d".repeat(256) }), ok({ bucket: "b".repeat(257) })]).toEqual([
      false,
      false,
      true,
      false,
    ])
    expect([ok({ batchSize: 1 }), ok({ batchSize: 1_000_000 }), ok({ batchSize: 0 }), ok({ batchSize: 1.5 })]).toEqual([
      true,
      true,
      false,
      false,
    ])
    expect([ok({ timeout: 0.1 }), ok({ timeout: 600 }), ok({ timeout: 0 }), ok({ timeout: 601 })]).toEqual([true, true, false, false])
    expect([ok({ precision: "s" }), ok({ precision: "ns" }), ok({ token: "" })]).toEqual([true, false, false])
    expect([ok({ tags: { host: "web1" } }), ok({ tags: { "": "x" } })]).toEqual([true, false])
    expect(ok({ tags: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`t${i}`, "v"])) })).toBe(false)
  })

  it("every option has a description (the plugin docs are generated from them)", () => {
    const all = optionDescriptions(options)
    expect(all.length).toBeGreaterThan(15)
    expect(all.filter(([, text]) => text.length < 10).map(([path]) => path)).toEqual([])
  })
})
