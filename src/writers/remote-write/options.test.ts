/** RemoteWrite's options on their own: defaults, the URL, label and header name checks, the documented descriptions. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { options } from "./options.ts"
import { optionDescriptions } from "../../../test/helpers/option-descriptions.ts"

const ok = (input: Record<string, unknown>) => v.safeParse(options, { url: "http://prometheus:9090/api/v1/write", ...input }).success
const messages = (input: Record<string, unknown>) => {
  const result = v.safeParse(options, { url: "http://prometheus:9090/api/v1/write", ...input })
  return result.success ? [] : result.issues.map((issue) => issue.message)
}

describe("RemoteWrite options", () => {
  it("defaults: snake_case names, no labels, 2000 samples per request, 30 s timeout", () => {
    expect(v.parse(options, { url: "http://p/api/v1/write" })).toMatchObject({
      names: "snake_case",
      labels: {},
      batchSize: 2000,
      timeout: 30,
    })
  })

  it("url: http:// or https:// only", () => {
    expect([ok({ url: "https://p/x" }), ok({ url: "HTTP://p/x" })]).toEqual([true, true])
    expect(messages({ url: "ftp://p/x" })).toEqual(["must be an http:// or https:// URL"])
    expect(ok({ url: "not a url" })).toBe(false)
  })

  it("labels are Prometheus label names; headers HTTP header names; both at most 64", () => {
    expect([ok({ labels: { instance: "nas", _x: "1", a9: "" } }), ok({ headers: { "X-Scope-OrgID": "t1" } })]).toEqual([true, true])
    expect(messages({ labels: { "9x": "a" } })).toEqual(["must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"])
    expect(messages({ labels: { "a-b": "a" } })).toEqual(["must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"])
    expect(messages({ headers: { "X Bad": "a" } })).toEqual(["must be an HTTP header name"])
    expect(messages({ headers: { "": "a" } })).toEqual(["must be an HTTP header name"])
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`l${i}`, "v"]))
    expect([ok({ labels: many }), ok({ headers: many })]).toEqual([false, false])
  })

  it("batchSize 1 to 100,000; timeout 0.1 to 600 s; names one of two", () => {
    expect([1, 100_000].every((batchSize) => ok({ batchSize }))).toBe(true)
    expect([0, 100_001, 1.5].some((batchSize) => ok({ batchSize }))).toBe(false)
    expect([ok({ timeout: 0.1 }), ok({ timeout: 600 }), ok({ timeout: 0.05 }), ok({ timeout: 601 })]).toEqual([true, true, false, false])
    expect([ok({ names: "pollect" }), ok({ names: "camelCase" })]).toEqual([true, false])
    expect([ok({ basicAuth: { user: "", password: "x" } }), ok({ bearerToken: "" }), ok({ tls: { ca: "" } })]).toEqual([
      false,
      false,
      false,
    ])
  })

  it("every option has a description (the plugin docs are generated from them)", () => {
    const all = optionDescriptions(options)
    expect(all.length).toBeGreaterThan(15)
    expect(all.filter(([, text]) => text.length < 10).map(([path]) => path)).toEqual([])
  })
})
