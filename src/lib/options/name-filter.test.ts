import { describe, expect, it } from "bun:test"
import { validateConfig } from "../../config/schema.ts"
import { Registry } from "../../core/registry.ts"
import { builtinSources } from "../../sources/index.ts"
import * as v from "valibot"
import { nameFilter, nameFilterFields, nameMatcher } from "./name-filter.ts"

describe("nameMatcher", () => {
  it("matches exact names and whole-name regexes; an invalid regex is still a name", () => {
    const m = nameMatcher(["eth0", "wl.*", "br-[0-9a-f]+", "odd("])
    expect(["eth0", "wlan0", "br-1a2b", "odd("].map((n) => m(n))).toEqual([true, true, true, true])
    expect(["eth01", "xwlan0", "br-xyz"].map((n) => m(n))).toEqual([false, false, false])
  })
})

describe("nameFilter", () => {
  it("default: all but the hidden; include overrides hidden; exclude always wins", () => {
    expect(nameFilter({})(["lo"], true)).toBe(false)
    expect(nameFilter({})(["eth0"])).toBe(true)
    const included = nameFilter({ include: ["lo", "eth.*"] })
    expect([included(["lo"], true), included(["eth1"]), included(["wlan0"])]).toEqual([true, true, false])
    expect(nameFilter({ include: ["eth.*"], exclude: ["eth1"] })(["eth1"])).toBe(false)
    // any of an item's names counts (mount point or device)
    expect(nameFilter({ exclude: ["/dev/sdb1"] })(["/data", "/dev/sdb1"])).toBe(false)
  })
})

describe("include/exclude patterns (issue 12)", () => {
  it("Python's inline flags work: (?i)eth0 matches ETH0 and eth0, not eth01", () => {
    const m = nameMatcher(["(?i)eth0", "(?s)x.y"])
    expect(["eth0", "ETH0", "Eth0", "eth01", "x\ny"].map((n) => m(n))).toEqual([true, true, true, false, true])
  })

  it("a pattern that cannot backtrack for ever: whole-name matching in linear time", () => {
    const start = performance.now()
    expect(nameMatcher(["(.*a){20}$"])(`${"a".repeat(40)}!`)).toBe(false)
    expect(performance.now() - start).toBeLessThan(250)
  })

  const registry = new Registry().addSources(builtinSources)
  const warningsOf = (source: Record<string, unknown>) => {
    const result = validateConfig({ executors: [{ sources: [source] }] }, registry)
    if ("problems" in result) throw new Error(result.problems.join("\n"))
    return result.warnings.filter((warning) => !warning.includes("no writer configured"))
  }

  it("an entry that is no valid regex is a warning at load naming its path, and still matches its exact name", () => {
    expect(warningsOf({ type: "Interface", include: ["eth0", "(", "[", "*"], exclude: ["wl.*", "(?i)ETH1", "a)"] })).toEqual([
      'executors[0].sources[0] (Interface): include[1]: "(" is not a valid regular expression (missing closing ): `(`); it matches only that exact name',
      'executors[0].sources[0] (Interface): include[2]: "[" is not a valid regular expression (missing closing ]: `[`); it matches only that exact name',
      'executors[0].sources[0] (Interface): include[3]: "*" is not a valid regular expression (missing argument to repetition operator: `*`); it matches only that exact name',
      'executors[0].sources[0] (Interface): exclude[2]: "a)" is not a valid regular expression (unexpected ): `a)`); it matches only that exact name',
    ])
    expect(warningsOf({ type: "IO", exclude: ["sd[a-z"] })).toEqual([
      'executors[0].sources[0] (IO): exclude[0]: "sd[a-z" is not a valid regular expression (missing closing ]: `[a-z`); it matches only that exact name',
    ])
    expect(warningsOf({ type: "DiskUsage", include: ["/mnt/(x"] })[0]).toStartWith(
      'executors[0].sources[0] (DiskUsage): include[0]: "/mnt/(x" is not a valid regular expression',
    )
    expect(nameMatcher(["(", "["])("(")).toBe(true)
  })

  it("plain names and valid patterns give no warning", () => {
    expect(warningsOf({ type: "Interface", include: ["eth0", "wl.*", "br-[0-9a-f]+", "(?i)eth0"] })).toEqual([])
    expect(warningsOf({ type: "DiskUsage", include: ["/", "/var/lib", "/dev/sdb1"], exclude: ["/mnt/.*"] })).toEqual([])
  })

  it("a long invalid pattern is quoted only in part", () => {
    const [warning] = warningsOf({ type: "IO", include: [`(${"x".repeat(500)}`] })
    expect(warning!.length).toBeLessThan(300)
  })

  it("a pattern of 64 characters is quoted whole, a longer one as its first 64 and …", () => {
    const pattern64 = "(" + "x".repeat(63)
    const [whole] = warningsOf({ type: "IO", include: [pattern64] })
    expect(whole).toStartWith(`executors[0].sources[0] (IO): include[0]: ${JSON.stringify(pattern64)} is not a valid regular expression (`)
    const [cut] = warningsOf({ type: "IO", include: [pattern64 + "yz"] })
    expect(cut).toStartWith(`executors[0].sources[0] (IO): include[0]: ${JSON.stringify(pattern64)}… is not a valid regular expression (`)
  })
})

describe("nameFilterFields", () => {
  const schema = v.object({ ...nameFilterFields })
  it("are the optional include and exclude lists of strings", () => {
    expect(Object.keys(nameFilterFields).sort()).toEqual(["exclude", "include"])
    expect(v.parse(schema, { include: ["eth0", "wl.*"], exclude: ["("] })).toEqual({ include: ["eth0", "wl.*"], exclude: ["("] })
    expect(v.parse(schema, {})).toEqual({})
    expect(v.safeParse(schema, { include: "eth0" }).success).toBe(false)
    expect(v.safeParse(schema, { exclude: [1] }).success).toBe(false)
  })
})
