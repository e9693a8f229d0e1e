import { describe, expect, it } from "bun:test"
import { loadavg } from "node:os"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { withHostRoot } from "../../../test/helpers/proc-fixtures.ts"
import { LoadAvgSource, parseLoadAvg } from "./index.ts"

sourceConformance({
  type: "LoadAvg",
  cls: LoadAvgSource,
  dir: import.meta.dir,
  golden: (testCase) => withHostRoot(testCase.dir, () => [makeSource<LoadAvgSource>(LoadAvgSource, testCase.config).probe()]),
  failing: {
    config: { type: "LoadAvg" },
    // testdata/unreadable has a /proc/loadavg that is not one (and no config.json: not a golden case).
    setup: () => {
      const saved = process.env.POLLECT_PROCFS
      process.env.POLLECT_PROCFS = `${import.meta.dir}/testdata/unreadable/proc`
      return () => (saved === undefined ? delete process.env.POLLECT_PROCFS : (process.env.POLLECT_PROCFS = saved))
    },
    message: /unexpected \/proc\/loadavg content/,
  },
})

describe("LoadAvg", () => {
  it("parses /proc/loadavg", () => {
    expect(parseLoadAvg("0.01 0.14 0.09 1/123 4567\n")).toEqual([0.01, 0.14, 0.09])
    expect(() => parseLoadAvg("garbage")).toThrow("unexpected /proc/loadavg content")
  })

  it("takes the first three fields whatever whitespace is around and between them", () => {
    expect(parseLoadAvg("  0.50 0.25 0.10 2/300 999\n")).toEqual([0.5, 0.25, 0.1])
    expect(parseLoadAvg("0.50  0.25\t\t0.10 2/300 999\n")).toEqual([0.5, 0.25, 0.1])
  })

  it("rejects fewer than three fields, and any one of them not a number", () => {
    expect(() => parseLoadAvg("0.50 0.25\n")).toThrow('unexpected /proc/loadavg content: "0.50 0.25\\n"')
    expect(() => parseLoadAvg("")).toThrow("unexpected /proc/loadavg content")
    expect(() => parseLoadAvg("0.50 x 0.10 2/300 999\n")).toThrow("unexpected /proc/loadavg content")
  })

  it("quotes at most the first 60 characters of a bad file in the error", () => {
    const text = `x${"y".repeat(59)}TAIL`
    expect(() => parseLoadAvg(text)).toThrow(`unexpected /proc/loadavg content: ${JSON.stringify(text.slice(0, 60))}`)
    expect(() => parseLoadAvg(text)).not.toThrow("TAIL")
  })

  it("without /proc/loadavg (macOS) takes the OS call's averages", () => {
    const saved = process.env.POLLECT_PROCFS
    process.env.POLLECT_PROCFS = `${import.meta.dir}/testdata/no-such-proc`
    try {
      const before = loadavg()
      const set = makeSource<LoadAvgSource>(LoadAvgSource, { type: "LoadAvg" }).probe()
      const after = loadavg()
      expect(set.values.map((v) => v.labelValues[0])).toEqual(["short", "mid", "long"])
      set.values.forEach((value, i) => {
        expect(value.value).toBeGreaterThanOrEqual(Math.min(before[i]!, after[i]!))
        expect(value.value).toBeLessThanOrEqual(Math.max(before[i]!, after[i]!))
      })
    } finally {
      if (saved === undefined) delete process.env.POLLECT_PROCFS
      else process.env.POLLECT_PROCFS = saved
    }
  })

  it("reads the live /proc: three values, each the kernel's own load average (as sysinfo(2) gives it) to the printed 0.01", () => {
    const before = loadavg()
    const set = makeSource<LoadAvgSource>(LoadAvgSource, { type: "LoadAvg" }).probe()
    const after = loadavg()
    expect(set.values.map((v) => v.labelValues[0])).toEqual(["short", "mid", "long"])
    expect(set.values).toHaveLength(3)
    set.values.forEach((value, i) => {
      expect(Number.isFinite(value.value)).toBe(true)
      expect(value.value).toBeGreaterThanOrEqual(0)
      // The kernel recomputes the averages every 5 s: the value lies between the two readings
      // around the probe (/proc/loadavg and os.loadavg() each round the fixed point to two decimals, not always alike).
      expect(value.value).toBeGreaterThanOrEqual(Math.min(before[i]!, after[i]!) - 0.011)
      expect(value.value).toBeLessThanOrEqual(Math.max(before[i]!, after[i]!) + 0.011)
    })
  })
})
