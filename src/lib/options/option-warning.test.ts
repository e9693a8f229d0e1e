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
  it("other metadata in a pipe (a plain v.metadata, a title) is passed over", () => {
    const tagged = v.pipe(
      v.string(),
      v.metadata({ unit: "seconds" }),
      v.title("Tagged"),
      optionWarning((s: string) => (s === "" ? "empty" : undefined)),
    )
    expect(optionWarnings(tagged, "")).toEqual([{ path: [], message: "empty" }])
    expect(optionWarnings(tagged, "x")).toEqual([])
  })
  it("a transform that changes the value's shape: the schema's entries, items and record values are not looked up in it", () => {
    const always = v.pipe(
      v.string(),
      optionWarning(() => "always"),
    )
    const count = v.pipe(
      v.number(),
      optionWarning(() => "always"),
    )
    // An object turned into a string: the string's own `length` is no option.
    const repeated = v.pipe(
      v.object({ length: count }),
      v.transform((o) => "x".repeat(o.length)),
    )
    expect(v.parse(repeated, { length: 3 })).toBe("xxx")
    expect(optionWarnings(repeated, "xxx")).toEqual([])
    // A list and a record joined into a string: its characters are no items or values.
    const list = v.pipe(
      v.array(always),
      v.transform((a) => a.join(",")),
    )
    expect(optionWarnings(list, v.parse(list, ["a", "b"]))).toEqual([])
    const byKey = v.pipe(
      v.record(v.string(), always),
      v.transform((r) => Object.keys(r).join(",")),
    )
    expect(optionWarnings(byKey, v.parse(byKey, { a: "x", b: "y" }))).toEqual([])
    // Untransformed, the same schemas warn.
    expect(optionWarnings(v.object({ length: count }), { length: 3 })).toEqual([{ path: ["length"], message: "always" }])
    expect(optionWarnings(v.array(always), ["a"])).toEqual([{ path: [0], message: "always" }])
    expect(optionWarnings(v.record(v.string(), always), { a: "x" })).toEqual([{ path: ["a"], message: "always" }])
  })
})
