import { describe, expect, it } from "bun:test"
import { substituteEnv } from "./env.ts"

describe("${ENV} substitution", () => {
  it("leaves a range's own placeholder in its object, substitutes the rest, reports an unset variable elsewhere", () => {
    const raw = {
      sources: [
        {
          communityString: "${COMMUNITY}",
          metrics: [{ oid: "${BASE}.10.${if}", oidLabels: { descr: "${BASE}.2.${if}" }, range: { from: 1, to: 2, label: "if" } }],
        },
        { host: "${if}" },
      ],
    }
    const { value, problems } = substituteEnv(raw, { BASE: "1.3.6.1.2.1.2.2.1" })
    expect(value).toEqual({
      sources: [
        {
          communityString: "${COMMUNITY}",
          metrics: [
            {
              oid: "1.3.6.1.2.1.2.2.1.10.${if}",
              oidLabels: { descr: "1.3.6.1.2.1.2.2.1.2.${if}" },
              range: { from: 1, to: 2, label: "if" },
            },
          ],
        },
        { host: "${if}" },
      ],
    })
    // Outside the metric with the range, `${if}` is an environment variable again.
    expect(problems).toEqual([
      "sources[0].communityString: environment variable COMMUNITY is not set",
      "sources[1].host: environment variable if is not set",
    ])
  })

  it("substitutes a set variable of the range label's name only outside that range's object", () => {
    const { value } = substituteEnv({ a: { oid: "x.${if}", range: { label: "if" } }, b: "${if}" }, { if: "7" })
    expect(value).toEqual({ a: { oid: "x.${if}", range: { label: "if" } }, b: "7" })
  })

  it("inside `range` itself, even the range label's name is an environment variable", () => {
    const { value } = substituteEnv({ oid: "x.${n}", range: { label: "n", to: "${n}" } }, { n: "9" })
    expect(value).toEqual({ oid: "x.${n}", range: { label: "n", to: "9" } })
  })

  it("$$ is a literal $ also in a string without any ${VAR}", () => {
    expect(substituteEnv({ a: "cost: 5$$", b: "$$$$", c: "a $ b" }, {}).value).toEqual({ a: "cost: 5$", b: "$$", c: "a $ b" })
  })

  it("substitutes inside `range` itself", () => {
    const { value } = substituteEnv({ oid: "x.${n}", range: { label: "n", to: "${LAST}" } }, { LAST: "9" })
    expect(value).toEqual({ oid: "x.${n}", range: { label: "n", to: "9" } })
  })

  it("refuses __proto__, constructor and prototype as keys anywhere, and drops them from the value", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const raw = JSON.parse(`{"executors": [{"sources": [{"type": "LoadAvg", "${key}": {"type": "Http"}}]}], "${key}": 1}`)
      const { value, problems } = substituteEnv(raw, {})
      expect(problems).toEqual([`executors[0].sources[0].${key}: not allowed as a key`, `${key}: not allowed as a key`])
      const source = (value as { executors: { sources: Record<string, unknown>[] }[] }).executors[0]!.sources[0]!
      expect(Object.hasOwn(source, key)).toBe(false)
      expect(source.type).toBe("LoadAvg")
      expect(Object.hasOwn(value as object, key)).toBe(false)
    }
    // Keys that only look like them are kept.
    expect(substituteEnv({ constructors: 1, Prototype: 2, proto: 3 }, {})).toEqual({
      value: { constructors: 1, Prototype: 2, proto: 3 },
      problems: [],
    })
  })

  it('"range": null or a range that is not an object is no placeholder: every ${VAR} is substituted', () => {
    for (const range of [null, 5, "n", true, []]) {
      const { value, problems } = substituteEnv({ oid: "x.${n}", range }, { n: "9" })
      expect(problems).toEqual([])
      expect(value).toEqual({ oid: "x.9", range })
    }
    const unset = substituteEnv({ oid: "x.${n}", range: null }, {})
    expect(unset.problems).toEqual(["oid: environment variable n is not set"])
    // A label that is not a string keeps nothing either.
    expect(substituteEnv({ oid: "x.${n}", range: { label: 5 } }, { n: "9" }).value).toEqual({ oid: "x.9", range: { label: 5 } })
  })
})
