import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import type { ValueSet } from "../../core/value-set.ts"
import { memoryFigures, parseMeminfo } from "./meminfo.ts"
import { MemoryUsageSource, osMemoryFigures } from "./index.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { pointHostAt, replayHostCase } from "../../../test/helpers/host-replay.ts"
import { byGraphitePath, byPromSeries, FIXTURES, makeClockedSource, useFixtureRoots } from "../../../test/helpers/proc-fixtures.ts"

sourceConformance({
  type: "MemoryUsage",
  cls: MemoryUsageSource,
  dir: import.meta.dir,
  golden: (testCase) => replayHostCase(MemoryUsageSource, testCase),
  failing: {
    config: { type: "MemoryUsage" },
    // testdata/broken has a /proc/meminfo that is not one (and no config.json: not a golden case).
    setup: () => pointHostAt(join(import.meta.dir, "testdata/broken/proc")),
    message: /\/proc\/meminfo has no MemTotal/,
  },
})

const useRoots = useFixtureRoots()

describe("MemoryUsage", () => {
  it("the original's series (type=total|available|used|cached) plus the new ones, in bytes", async () => {
    useRoots("proc-host")
    const result = await makeClockedSource<MemoryUsageSource>(MemoryUsageSource, { type: "MemoryUsage" }, { now: 0 }).probe()
    const m = memoryFigures(parseMeminfo(await Bun.file(join(FIXTURES, "proc-host/meminfo")).text()))
    expect(Object.fromEntries(byPromSeries(result, "MemoryUsage"))).toEqual({
      'pollect_MemoryUsage{type="total"}': m.total,
      'pollect_MemoryUsage{type="available"}': m.available,
      'pollect_MemoryUsage{type="used"}': m.used,
      'pollect_MemoryUsage{type="cached"}': m.cached,
      'pollect_MemoryUsage{type="free"}': m.free,
      'pollect_MemoryUsage{type="buffers"}': m.buffers,
      'pollect_MemoryUsage{type="swap_total"}': m.swapTotal,
      'pollect_MemoryUsage{type="swap_used"}': m.swapUsed,
      pollect_MemoryUsage_percent: m.percent,
    })
    const meminfo = parseMeminfo(await Bun.file(join(FIXTURES, "proc-host/meminfo")).text())
    expect(m.total).toBe(meminfo.get("MemTotal")!)
    expect(byGraphitePath(result, "MemoryUsage").get("pollect.memoryusage.total")).toBe(m.total)
    expect((result as ValueSet[]).map((s) => s.unit)).toEqual(["bytes", "percent"])
  })

  it("without /proc (macOS) the OS figures, same names", async () => {
    useRoots("does-not-exist")
    const series = byPromSeries(
      await makeClockedSource<MemoryUsageSource>(MemoryUsageSource, { type: "MemoryUsage" }, { now: 0 }).probe(),
      "MemoryUsage",
    )
    expect([...series.keys()]).toEqual([
      'pollect_MemoryUsage{type="total"}',
      'pollect_MemoryUsage{type="available"}',
      'pollect_MemoryUsage{type="used"}',
      "pollect_MemoryUsage_percent",
    ])
    expect(series.get('pollect_MemoryUsage{type="total"}')).toBe(require("node:os").totalmem())
  })

  it("the OS figures: used is total − free, percent its share with one decimal; a total of 0 is 0 percent", () => {
    expect(osMemoryFigures(8_000, 2_000)).toMatchObject({ total: 8_000, available: 2_000, used: 6_000, free: 2_000, percent: 75 })
    expect(osMemoryFigures(3_000, 1_000).percent).toBe(66.7)
    expect(osMemoryFigures(0, 0).percent).toBe(0)
  })
})
