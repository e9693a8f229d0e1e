/** core/metrics.ts: declared metrics and how an emitted name matches a declared one. */
import { describe, expect, it } from "bun:test"
import { defineMetrics, matchesDeclared, PLACEHOLDER } from "./metrics.ts"

describe("defineMetrics", () => {
  it("returns the declarations as given", () => {
    const specs = { load: { labels: ["time"], help: "System load average" }, memory: { unit: "bytes", help: "System memory" } }
    expect(defineMetrics(specs)).toBe(specs)
  })

  it("a declaration without help is refused, naming its key", () => {
    expect(() => defineMetrics({ load: { help: "Load" }, memory: { unit: "bytes", help: "" } })).toThrow(
      new Error("metric memory: help is required"),
    )
  })
})

describe("matchesDeclared", () => {
  it("a name without placeholders matches only itself", () => {
    expect(matchesDeclared("total_bytes", "total_bytes")).toBe(true)
    expect(matchesDeclared("total_bytes", "total_bytes_sent")).toBe(false)
    expect(matchesDeclared("total_bytes", "x_total_bytes")).toBe(false)
    expect(matchesDeclared("a<b", "a<b")).toBe(true)
    expect(matchesDeclared("a<b", "a<c")).toBe(false)
  })

  it("a placeholder stands for one or more characters, anchored at both ends", () => {
    expect(matchesDeclared("<attribute>_raw", "temperature_raw")).toBe(true)
    expect(matchesDeclared("<attribute>_raw", "_raw")).toBe(false)
    expect(matchesDeclared("<attribute>_raw", "temperature_raw_max")).toBe(false)
    expect(matchesDeclared("min_<metric>", "x_min_rtt")).toBe(false)
    expect(matchesDeclared("<metric>", "anything at all")).toBe(true)
    expect(matchesDeclared("<metric>", "")).toBe(false)
    expect(matchesDeclared("<a>.<b>", "x.y")).toBe(true)
    expect(matchesDeclared("<a>.<b>", "x.")).toBe(false)
  })

  it("the rest of the pattern is literal, regex characters included; a placeholder spans newlines", () => {
    expect(matchesDeclared("<host>.rtt", "router.rtt")).toBe(true)
    expect(matchesDeclared("<host>.rtt", "routerxrtt")).toBe(false)
    expect(matchesDeclared("(<x>)+[y]", "(a)+[y]")).toBe(true)
    expect(matchesDeclared("(<x>)+[y]", "(a))y")).toBe(false)
    expect(matchesDeclared("$<x>^|\\", "$a^|\\")).toBe(true)
    expect(matchesDeclared("<x>?{2}", "a?{2}")).toBe(true)
    expect(matchesDeclared("<x>?{2}", "aa")).toBe(false)
    expect(matchesDeclared("<x>*", "ab*")).toBe(true)
    expect(matchesDeclared("<x>*", "ab")).toBe(false)
    expect(matchesDeclared("<label>_x", "two\nlines_x")).toBe(true)
  })
})

describe("PLACEHOLDER", () => {
  it("is `<word>` without nested brackets", () => {
    expect("<a>_<b c>_<<d>>".match(PLACEHOLDER)).toEqual(["<a>", "<b c>", "<d>"])
    expect("<>".match(PLACEHOLDER)).toBeNull()
  })
})
