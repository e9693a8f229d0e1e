/** Prometheus' options on their own: defaults, bounds and messages, the documented descriptions. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { options } from "./options.ts"

const ok = (input: Record<string, unknown>) => v.safeParse(options, input).success

describe("Prometheus options", () => {
  it("defaults: port 8080, every address, /metrics, the original's names, no process metrics", () => {
    const parsed = v.parse(options, {})
    expect(parsed).toMatchObject({ port: 8080, path: "/metrics", names: "pollect", processMetrics: false })
    expect(parsed.host).toBeUndefined()
  })

  it("port: an integer from 0 (a free port) to 65535", () => {
    expect([0, 1, 9100, 65535].every((port) => ok({ port }))).toBe(true)
    expect([-1, 65536, 80.5, "80"].some((port) => ok({ port }))).toBe(false)
  })

  it("host is a non-empty string; path starts with /; names is pollect or snake_case; processMetrics a boolean", () => {
    expect(ok({ host: "127.0.0.1" })).toBe(true)
    expect(ok({ host: "" })).toBe(false)
    expect(ok({ path: "/prom" })).toBe(true)
    const bad = v.safeParse(options, { path: "metrics" })
    expect(bad.success ? [] : bad.issues.map((issue) => issue.message)).toEqual(["must start with /"])
    expect(ok({ names: "snake_case" })).toBe(true)
    expect(ok({ names: "camelCase" })).toBe(false)
    expect(ok({ processMetrics: true })).toBe(true)
    expect(ok({ processMetrics: "yes" })).toBe(false)
  })

  it("every option has a description (the plugin docs are generated from them)", () => {
    for (const key of ["port", "host", "path", "names", "processMetrics"]) {
      const schema = options.entries[key as keyof typeof options.entries] as { wrapped?: v.GenericSchema }
      expect([key, (v.getDescription((schema.wrapped ?? schema) as never) ?? "").length > 20]).toEqual([key, true])
    }
  })

  it("basicAuth's user is described as the name scrapers send", () => {
    const basicAuth = options.entries.basicAuth.wrapped as unknown as { pipe: [{ entries: { user: v.GenericSchema } }] }
    expect(v.getDescription(basicAuth.pipe[0].entries.user as never)).toBe("The user name scrapers send.")
  })
})
