import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { compileUserRegex, regexProblem, regexString } from "./user-regex.ts"

describe("compileUserRegex", () => {
  it("search, start and whole anchors", () => {
    expect(compileUserRegex("nginx: worker").test("nginx: worker process")).toBe(true)
    expect(compileUserRegex("sd[a-z]+$", "start").test("/dev/sda")).toBe(false)
    expect(compileUserRegex("sd[a-z]+$", "start").test("sda")).toBe(true)
    expect(compileUserRegex("sd", "start").test("xsd")).toBe(false)
    // a pattern that is an alternation keeps its meaning when anchored
    expect(compileUserRegex("a|ab", "whole").test("ab")).toBe(true)
    expect(compileUserRegex("nvme|sd", "start").test("xsd")).toBe(false)
    expect(compileUserRegex("eth.*", "whole").test("xeth0")).toBe(false)
  })

  it("Python's inline flags and named groups (the original's configs were written for re)", () => {
    expect(compileUserRegex("(?i)NGINX").test("/usr/sbin/nginx")).toBe(true)
    expect(compileUserRegex("(?s)a.b").test("a\nb")).toBe(true)
    expect(compileUserRegex("(?m)^worker$").test("master\nworker")).toBe(true)
    expect(compileUserRegex("(?P<daemon>nginx)").test("nginx")).toBe(true)
  })

  it("is linear: the pattern that freezes a backtracking engine answers at once, even on 1 MB", () => {
    const re = compileUserRegex("(.*a){20}$")
    const start = performance.now()
    expect(re.test(`${"a".repeat(40)}!`)).toBe(false)
    expect(re.test(`${"a".repeat(1 << 20)}!`)).toBe(false)
    expect(performance.now() - start).toBeLessThan(2000)
  })
})

describe("regexProblem / regexString", () => {
  it("says why RE2 refuses a pattern; backreferences and lookaround by name", () => {
    expect(regexProblem("nginx")).toBeUndefined()
    expect(regexProblem("(")).toBe("missing closing ): `(`")
    expect(regexProblem("(a)\\1")).toStartWith("backreferences (`\\1`) are not supported (RE2 syntax")
    expect(regexProblem("(?P<n>a)(?P=n)")).toStartWith("backreferences (`(?P=`) are not supported")
    expect(regexProblem("(?<n>a)\\k<n>")).toStartWith("backreferences (`\\k`) are not supported")
    for (const look of ["(?=", "(?!", "(?<=", "(?<!"])
      expect(regexProblem(`${look}a)b`)).toStartWith(`lookahead and lookbehind (\`${look}\`)`)
  })

  it("regexString is a check with the caller's wording", () => {
    const schema = regexString((pattern, reason) => `bad ${pattern}: ${reason}`)
    expect(v.safeParse(schema, "a+").success).toBe(true)
    expect(v.safeParse(schema, "a**").issues?.[0]?.message).toBe("bad a**: invalid nested repetition operator: `**`")
  })
})
