import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { compileUserRegex, regexProblem, regexString } from "./user-regex.ts"

describe("compileUserRegex", () => {
  it("the anchor is search unless given, and the compiled expression says which it has", () => {
    expect(compileUserRegex("a")).toMatchObject({ pattern: "a", anchor: "search" })
    expect(compileUserRegex("a", "start").anchor).toBe("start")
    expect(compileUserRegex("a", "whole").anchor).toBe("whole")
  })

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

  it("names a backreference only when the fragment RE2 quotes is one, whole", () => {
    expect(regexProblem("x\\9")).toStartWith("backreferences (`\\9`) are not supported")
    // A named capture whose name ends in `\1` or `\k` is no backreference, nor one with `(?=` inside.
    expect(regexProblem("(?P<a\\1")).toBe("invalid named capture: `(?P<a\\1`")
    expect(regexProblem("(?P<a\\k")).toBe("invalid named capture: `(?P<a\\k`")
    expect(regexProblem("(?P<n(?=x)>a)")).toBe("invalid named capture: `(?P<n(?=x)>`")
    // `(?P` without `=` is another Perl syntax RE2 lacks.
    expect(regexProblem("(?Pn)")).toBe("invalid or unsupported Perl syntax: `(?P`")
    // A pattern holding `(?P=` that RE2 refuses for another reason gets that reason.
    expect(regexProblem("a**(?P=n)")).toBe("invalid nested repetition operator: `**`")
  })
  it("an octal escape is no backreference, also when RE2 quotes it at the start of a longer fragment", () => {
    expect(regexProblem("\\12")).toBeUndefined()
    expect(regexProblem("\\12(")).toBe("missing closing ): `\\12(`")
    expect(regexProblem("\\12)")).toBe("unexpected ): `\\12)`")
  })
  it("an error that is not RE2's syntax error passes its message on (a pattern that is no string, from JavaScript)", () => {
    expect(regexProblem(5 as unknown as string)).toStartWith("The pattern must be a string, not number")
  })
  it("an error RE2 gives without a fragment is its message alone", () => {
    expect(regexProblem("a\\")).toBe("trailing backslash at end of expression")
  })
  it("a fragment of 64 characters is quoted whole, a longer one cut at 64 with …", () => {
    const fragment64 = "(" + "x".repeat(63)
    expect(regexProblem(fragment64)).toBe(`missing closing ): \`${fragment64}\``)
    expect(regexProblem(fragment64 + "y")).toBe(`missing closing ): \`${fragment64}…\``)
  })
})
