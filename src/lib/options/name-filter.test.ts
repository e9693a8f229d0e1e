import { describe, expect, it } from "bun:test"
import { nameFilter, nameMatcher } from "./name-filter.ts"

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
