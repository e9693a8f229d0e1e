import { describe, expect, it } from "bun:test"
import { join, relative } from "node:path"
import { FIXTURES } from "../../../test/helpers/proc-fixtures.ts"
import { DEBIAN_PYTHON, fixture, psutil } from "../../../test/helpers/psutil.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { memoryFigures, parseMeminfo } from "./meminfo.ts"

describe("parseMeminfo / memoryFigures", () => {
  it("reads kB lines as bytes and counts as counts", () => {
    const m = parseMeminfo("MemTotal:       24684084 kB\nHugePages_Total:       3\nweird line\n")
    expect(m.get("MemTotal")).toBe(24684084 * 1024)
    expect(m.get("HugePages_Total")).toBe(3)
  })

  itWithTools([DEBIAN_PYTHON], "matches psutil.virtual_memory() (the original's numbers) on this machine's recorded meminfo", async () => {
    const ours = memoryFigures(parseMeminfo(await fixture("proc-host/meminfo")))
    const theirs = (await psutil("proc-host", "psutil.virtual_memory()._asdict()")) as Record<string, number>
    expect(ours).toMatchObject({
      total: theirs.total,
      available: theirs.available,
      used: theirs.used,
      free: theirs.free,
      buffers: theirs.buffers,
      cached: theirs.cached,
      percent: theirs.percent,
    })
  })

  it("an old kernel without MemAvailable: free + buffers + cached; a container where used would go negative", () => {
    const old = memoryFigures(
      parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSwapTotal: 400 kB\nSwapFree: 100 kB\n"),
    )
    expect(old).toMatchObject({
      total: 1024000,
      available: 350 * 1024,
      used: 650 * 1024,
      swapTotal: 400 * 1024,
      swapUsed: 300 * 1024,
      percent: 65,
    })
    const container = memoryFigures(parseMeminfo("MemTotal: 1000 kB\nMemFree: 900 kB\nCached: 500 kB\nMemAvailable: 950 kB\n"))
    expect(container.used).toBe(100 * 1024)
  })

  // In an LXC container /proc/meminfo can mix the container's MemTotal with the host's
  // MemAvailable. psutil (`if avail > total: avail = free`) and procps `free` (sysinfo.c,
  // `if (kb_main_available > kb_main_total) kb_main_available = kb_main_free`) then report free
  // as available, so percent stays within 0–100; so do we (not a clamp to total).
  it("MemAvailable above MemTotal (an LXC container): available is MemFree, as psutil and free report", () => {
    const m = memoryFigures(parseMeminfo("MemTotal: 1000 kB\nMemFree: 300 kB\nMemAvailable: 5000 kB\nCached: 100 kB\n"))
    expect(m.available).toBe(300 * 1024)
    expect(m.percent).toBe(70)
    // Equal to total is kept as it is (the guard is strictly "above").
    expect(memoryFigures(parseMeminfo("MemTotal: 1000 kB\nMemFree: 300 kB\nMemAvailable: 1000 kB\n")).available).toBe(1000 * 1024)
  })

  itWithTools([DEBIAN_PYTHON], "MemAvailable above MemTotal: the same figures as psutil on the recorded case", async () => {
    const proc = join(import.meta.dir, "testdata/lxc-available-above-total/proc")
    const ours = memoryFigures(parseMeminfo(await Bun.file(join(proc, "meminfo")).text()))
    const theirs = (await psutil(relative(FIXTURES, proc), "psutil.virtual_memory()._asdict()")) as Record<string, number>
    expect(ours.available).toBe(ours.free)
    expect(ours).toMatchObject({ total: theirs.total, available: theirs.available, used: theirs.used, percent: theirs.percent })
  })

  it("rejects text without MemTotal or without MemFree", () => {
    expect(() => memoryFigures(parseMeminfo("nothing: 1 kB"))).toThrow(/MemTotal/)
    expect(() => memoryFigures(parseMeminfo("MemTotal: 100 kB"))).toThrow("/proc/meminfo has no MemTotal or MemFree line")
    expect(() => memoryFigures(parseMeminfo("MemFree: 100 kB"))).toThrow("/proc/meminfo has no MemTotal or MemFree line")
  })

  it("used exactly 0 stays 0 (only a negative used falls back to total − free)", () => {
    const m = memoryFigures(parseMeminfo("MemTotal: 100 kB\nMemFree: 40 kB\nCached: 60 kB\nMemAvailable: 100 kB"))
    expect(m.used).toBe(0)
    expect(m.percent).toBe(0)
  })

  it("a MemTotal of 0 (a broken container) is 0 percent, not NaN", () => {
    const m = memoryFigures(parseMeminfo("MemTotal: 0 kB\nMemFree: 0 kB"))
    expect(m).toMatchObject({ total: 0, available: 0, used: 0, percent: 0 })
  })
})
