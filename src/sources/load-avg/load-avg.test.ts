import { afterEach, describe, expect, it } from "bun:test"
import { join } from "node:path"
import { LoadAvgSource, parseLoadAvg } from "./index.ts"
import { makeSource } from "../../../test/helpers/context.ts"

const fixture = join(import.meta.dir, "../../../test/fixtures/proc-host")
const saved = process.env.POLLECT_PROCFS
afterEach(() => {
  if (saved === undefined) delete process.env.POLLECT_PROCFS
  else process.env.POLLECT_PROCFS = saved
})

describe("LoadAvg", () => {
  it("parses /proc/loadavg", () => {
    expect(parseLoadAvg("0.01 0.14 0.09 1/123 4567\n")).toEqual([0.01, 0.14, 0.09])
    expect(() => parseLoadAvg("garbage")).toThrow("unexpected /proc/loadavg content")
  })

  it("reports short, mid, long under the label time, from the recorded file", async () => {
    process.env.POLLECT_PROCFS = fixture
    const [short, mid, long] = parseLoadAvg(await Bun.file(join(fixture, "loadavg")).text())
    const set = makeSource<LoadAvgSource>(LoadAvgSource, { type: "LoadAvg" }).probe()
    expect(set.labels).toEqual(["time"])
    expect(set.values.map((v) => [v.labelValues[0], v.value])).toEqual([["short", short], ["mid", mid], ["long", long]])
  })

  it("reads the live /proc with sane values", () => {
    const set = makeSource<LoadAvgSource>(LoadAvgSource, { type: "LoadAvg" }).probe()
    for (const value of set.values) {
      expect(value.value).toBeGreaterThanOrEqual(0)
      expect(value.value).toBeLessThan(1000)
    }
  })
})
