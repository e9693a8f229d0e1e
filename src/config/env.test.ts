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
})
