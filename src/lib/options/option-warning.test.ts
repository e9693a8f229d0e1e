import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { optionWarning, optionWarnings } from "./option-warning.ts"

describe("optionWarnings", () => {
  const odd = v.pipe(
    v.string(),
    optionWarning((s: string) => (s.includes(" ") ? `${JSON.stringify(s)} has a space` : undefined)),
  )
  const schema = v.object({
    names: v.optional(v.pipe(v.array(odd), v.description("names"))),
    nested: v.optional(v.nullable(v.object({ byKey: v.record(v.string(), odd) }))),
    top: v.optional(odd, "a b"),
  })

  it("finds each warning by its path through optional, nullable, pipe, object, array and record", () => {
    const input = { names: ["ok", "not ok"], nested: { byKey: { x: "y z" } } }
    const output = v.parse(schema, input) // a warning is no error: parsing succeeds
    expect(optionWarnings(schema, output)).toEqual([
      { path: ["names", 1], message: '"not ok" has a space' },
      { path: ["nested", "byKey", "x"], message: '"y z" has a space' },
      { path: ["top"], message: '"a b" has a space' },
    ])
  })

  it("absent and null values are not looked at", () => {
    expect(optionWarnings(schema, v.parse(schema, { nested: null, top: "ab" }))).toEqual([])
  })
  it("a warning inside a pipe that is itself piped (a description added to a checked option) is found", () => {
    const described = v.pipe(odd, v.description("a name"))
    const twice = v.object({ name: v.pipe(described, v.description("again")) })
    expect(optionWarnings(described, "x y")).toEqual([{ path: [], message: '"x y" has a space' }])
    expect(optionWarnings(twice, { name: "p q" })).toEqual([{ path: ["name"], message: '"p q" has a space' }])
  })
  it("a warning on an absent or null option is never asked (it would see undefined or null)", () => {
    const always = v.pipe(
      v.string(),
      optionWarning(() => "always"),
    )
    const schema = v.object({ a: v.optional(always), b: v.nullable(always), c: v.nullish(always) })
    expect(optionWarnings(schema, v.parse(schema, { b: null }))).toEqual([])
    expect(optionWarnings(schema, v.parse(schema, { b: null, c: null }))).toEqual([])
    expect(optionWarnings(always, undefined)).toEqual([])
    expect(optionWarnings(always, null)).toEqual([])
    expect(optionWarnings(schema, v.parse(schema, { a: "x", b: "y" }))).toEqual([
      { path: ["a"], message: "always" },
      { path: ["b"], message: "always" },
    ])
  })
})
