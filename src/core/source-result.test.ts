/** core/source-result.ts: how the log names a source, and a result's tick time in milliseconds. */
import { describe, expect, it } from "bun:test"
import { describeSource, resultTimeMs } from "./source-result.ts"

describe("describeSource", () => {
  it("collection, type, the name in quotes when there is one, and the config path", () => {
    expect(describeSource({ id: "executors[0].sources[1]", collection: "pollect", type: "Http", name: "local" })).toBe(
      'pollect Http "local" (executors[0].sources[1])',
    )
    expect(describeSource({ id: "executors[2].sources[0]", collection: "home", type: "LoadAvg" })).toBe(
      "home LoadAvg (executors[2].sources[0])",
    )
    expect(describeSource({ id: "executors[2].sources[0]", collection: "home", type: "LoadAvg", name: "" })).toBe(
      "home LoadAvg (executors[2].sources[0])",
    )
  })
})

describe("resultTimeMs", () => {
  it("the result's timeMs when it has one (a 0.5 s executor's half seconds)", () => {
    expect(resultTimeMs({ time: 1_508_478_781, timeMs: 1_508_478_781_500 })).toBe(1_508_478_781_500)
  })

  it("else its time's whole seconds in milliseconds", () => {
    expect(resultTimeMs({ time: 1_508_478_781 })).toBe(1_508_478_781_000)
    expect(resultTimeMs({ time: 1_508_478_781, timeMs: undefined })).toBe(1_508_478_781_000)
  })
})
