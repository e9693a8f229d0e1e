/** Otel's options on their own: bounds, the header name check, the documented descriptions. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { options } from "./options.ts"
import { optionDescriptions } from "../../../test/helpers/option-descriptions.ts"

const ok = (input: Record<string, unknown>) => v.safeParse(options, input).success

describe("Otel options", () => {
  it("every key is optional (the environment or the defaults fill in); only the queue has defaults", () => {
    expect(Object.keys(v.parse(options, {}))).toEqual(["queue"])
  })

  it("endpoint a URL; header names HTTP tokens; protocol, compression from their lists; timeout 1 to 600,000 ms", () => {
    expect([ok({ endpoint: "http://collector:4318/v1/metrics" }), ok({ endpoint: "collector" })]).toEqual([true, false])
    expect([ok({ headers: { Authorization: "Bearer x" } }), ok({ headers: { "a b": "x" } })]).toEqual([true, false])
    const bad = v.safeParse(options, { headers: { "a:b": "x" } })
    expect(bad.success ? [] : bad.issues.map((issue) => issue.message)).toEqual(["must be an HTTP header name"])
    expect([
      ok({ protocol: "http/json" }),
      ok({ protocol: "grpc" }),
      ok({ compression: "gzip" }),
      ok({ compression: "none" }),
      ok({ compression: "br" }),
    ]).toEqual([true, false, true, true, false])
    expect([ok({ timeout: 1 }), ok({ timeout: 600_000 }), ok({ timeout: 0 }), ok({ timeout: 600_001 }), ok({ timeout: 1.5 })]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ])
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))
    expect([
      ok({ headers: many(64) }),
      ok({ headers: many(65) }),
      ok({ resourceAttributes: many(128) }),
      ok({ resourceAttributes: many(129) }),
    ]).toEqual([true, false, true, false])
  })

  it("every option has a description (the plugin docs are generated from them)", () => {
    const all = optionDescriptions(options)
    expect(all.length).toBeGreaterThan(6)
    expect(all.filter(([, text]) => text.length < 10).map(([path]) => path)).toEqual([])
  })
})
