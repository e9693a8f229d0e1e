import { describe, expect, it } from "bun:test"
import { mkdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { validateConfig } from "../../config/schema.ts"
import { promName } from "../../core/naming.ts"
import { builtinRegistry } from "../../registry.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { resultOf, tempDir } from "../../../test/helpers/context.ts"
import { pointHostAt, replayHostCase, withRoots } from "../../../test/helpers/host-replay.ts"
import { diskstatsFromOsTotals, parseDiskstats } from "./diskstats.ts"
import { IOSource } from "./index.ts"
import { byGraphitePath, byPromSeries, FIXTURES, makeClockedSource, useFixtureRoots } from "../../../test/helpers/proc-fixtures.ts"

sourceConformance({
  type: "IO",
  cls: IOSource,
  dir: import.meta.dir,
  golden: (testCase) => replayHostCase(IOSource, testCase),
  failing: {
    config: { type: "IO" },
    // A /proc whose diskstats cannot be read (here: a folder, as an I/O error would be).
    setup: () => {
      const proc = join(tempDir(), "proc")
      mkdirSync(join(proc, "diskstats"), { recursive: true })
      return pointHostAt(proc)
    },
    message: /cannot read .*\/proc\/diskstats: EISDIR/,
  },
})

const useRoots = useFixtureRoots()
const disksOf = (series: Map<string, number>) => [...new Set([...series.keys()].map((k) => /disk="([^"]+)"/.exec(k)![1]))].sort()

describe("IO", () => {
  it("rates from two recordings of this machine: delta / elapsed, sectors × 512, busy ms → percent", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, { type: "IO" }, clock)
    useRoots("proc-host", "sys-host")
    expect(byPromSeries(await source.probe(), "IO").size).toBe(0) // first probe: no rates
    useRoots("proc-host-later", "sys-host")
    clock.now += 1250
    const series = byPromSeries(await source.probe(), "IO")
    const a = parseDiskstats(await Bun.file(join(FIXTURES, "proc-host/diskstats")).text()).get("vda")!
    const b = parseDiskstats(await Bun.file(join(FIXTURES, "proc-host-later/diskstats")).text()).get("vda")!
    expect(Number(b.writeSectors - a.writeSectors)).toBeGreaterThan(0)
    expect(series.get('pollect_IO_writes_sec{disk="vda"}')).toBeCloseTo(Number(b.writes - a.writes) / 1.25, 9)
    expect(series.get('pollect_IO_reads_sec{disk="vda"}')).toBeCloseTo(Number(b.reads - a.reads) / 1.25, 9)
    expect(series.get('pollect_IO_write_bytes_sec{disk="vda"}')).toBeCloseTo((Number(b.writeSectors - a.writeSectors) * 512) / 1.25, 6)
    expect(series.get('pollect_IO_read_bytes_sec{disk="vda"}')).toBeCloseTo((Number(b.readSectors - a.readSectors) * 512) / 1.25, 6)
    expect(series.get('pollect_IO_busy_percent{disk="vda"}')).toBeCloseTo(Number(b.ioTicksMs! - a.ioTicksMs!) / 12.5, 9)
    // loop and zram devices are not disks by default
    expect(disksOf(series)).toEqual(["vda"])
  })

  it("partitions (no /sys/block entry), loop and ram left out; a disk added between probes has no rate yet; busy wraps at 32 bit", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, { type: "IO" }, clock)
    useRoots("proc-edge-a", "sys-edge")
    await source.probe()
    useRoots("proc-edge-b", "sys-edge")
    clock.now += 10_000
    const result = await source.probe()
    const series = byPromSeries(result, "IO")
    expect(disksOf(series)).toEqual(["nvme0n1", "sda"])
    expect(series.get('pollect_IO_reads_sec{disk="sda"}')).toBe(10)
    expect(series.get('pollect_IO_writes_sec{disk="sda"}')).toBe(40)
    expect(series.get('pollect_IO_read_bytes_sec{disk="sda"}')).toBe((2000 * 512) / 10)
    expect(series.get('pollect_IO_write_bytes_sec{disk="sda"}')).toBe((8000 * 512) / 10)
    // io_ticks went 2^32 − 1000 → 704: 1704 ms busy in 10 s
    expect(series.get('pollect_IO_busy_percent{disk="sda"}')).toBeCloseTo(17.04, 9)
    expect(series.get('pollect_IO_busy_percent{disk="nvme0n1"}')).toBe(0)
    // Graphite paths as the original: collection.io.valueName.disk
    expect(byGraphitePath(result, "IO").get("pollect.io.reads_sec.sda")).toBe(10)
  })

  it("include lists partitions and loop devices explicitly (names or regexes), exclude wins", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(
      IOSource,
      { type: "IO", include: ["sd[a-z]1?", "loop0", "nvme0n1p1"], exclude: ["sdb"] },
      clock,
    )
    useRoots("proc-edge-a", "sys-edge")
    await source.probe()
    useRoots("proc-edge-b", "sys-edge")
    clock.now += 10_000
    const series = byPromSeries(await source.probe(), "IO")
    expect(disksOf(series)).toEqual(["loop0", "nvme0n1p1", "sda", "sda1"])
    expect(series.get('pollect_IO_reads_sec{disk="loop0"}')).toBe(10)
    expect(series.get('pollect_IO_write_bytes_sec{disk="nvme0n1p1"}')).toBe(0)
  })

  it("without /sys, partitions are told by name", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, { type: "IO" }, clock)
    useRoots("proc-edge-a", "no-such-sys")
    await source.probe()
    useRoots("proc-edge-b", "no-such-sys")
    clock.now += 1000
    expect(disksOf(byPromSeries(await source.probe(), "IO"))).toEqual(["nvme0n1", "sda"])
  })

  it('without /proc (macOS) the OS totals from systeminformation as disk="all", no busy time', async () => {
    useRoots("does-not-exist")
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, { type: "IO" }, clock)
    await source.probe()
    clock.now += 1000
    const series = byPromSeries(await source.probe(), "IO")
    expect([...series.keys()].sort()).toEqual([
      'pollect_IO_read_bytes_sec{disk="all"}',
      'pollect_IO_reads_sec{disk="all"}',
      'pollect_IO_write_bytes_sec{disk="all"}',
      'pollect_IO_writes_sec{disk="all"}',
    ])
    // Live values of this machine's disks through systeminformation: rates, so finite, not
    // negative, and below what any disk does (10 million operations, 100 GB per second).
    for (const [key, rate] of series) {
      expect(Number.isFinite(rate)).toBe(true)
      expect(rate).toBeGreaterThanOrEqual(0)
      expect(rate).toBeLessThan(key.includes("bytes") ? 1e11 : 1e7)
    }
  })

  // testdata/cciss-2.6: an HP Smart Array (cciss) disk on a 2.6 kernel (14-field lines).
  const cciss = join(import.meta.dir, "testdata/cciss-2.6")
  async function ciss(config: Record<string, unknown> = { type: "IO" }) {
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, config, clock)
    await withRoots({ proc: join(cciss, "proc-a"), sys: join(cciss, "sys") }, () => source.probe())
    clock.now += 10_000
    return withRoots({ proc: join(cciss, "proc-b"), sys: join(cciss, "sys") }, () => source.probe())
  }

  it("a cciss disk: /proc/diskstats names it cciss/c0d0, /sys/block cciss!c0d0; its partitions are left out", async () => {
    const result = await ciss()
    const series = byPromSeries(result, "IO")
    // The disk keeps the kernel's (and psutil's, so the original's) name as its label; Graphite gets cciss_c0d0.
    expect(disksOf(series)).toEqual(["cciss/c0d0", "dm-0", "sr0"])
    expect(series.get('pollect_IO_reads_sec{disk="cciss/c0d0"}')).toBe(50)
    expect(series.get('pollect_IO_write_bytes_sec{disk="cciss/c0d0"}')).toBe((80000 * 512) / 10)
    expect(byGraphitePath(result, "IO").get("pollect.io.reads_sec.cciss_c0d0")).toBe(50)
    // include can name a partition the same way
    const partition = byPromSeries(await ciss({ type: "IO", include: ["cciss/c0d0p1"] }), "IO")
    expect(disksOf(partition)).toEqual(["cciss/c0d0p1"])
  })

  it("busy_percent is capped at 100 (10.4 s busy in 10 s); a value below stays as computed", async () => {
    const series = byPromSeries(await ciss(), "IO")
    expect(series.get('pollect_IO_busy_percent{disk="cciss/c0d0"}')).toBe(100)
    expect(series.get('pollect_IO_busy_percent{disk="dm-0"}')).toBe(50)
  })

  it("diskstatsFromOsTotals: operations and bytes (as 512-byte sectors); nothing when a call failed", () => {
    expect(diskstatsFromOsTotals({ disksIO: { rIO: 121866, wIO: 23446 }, fsStats: { rx: 2871247872, wx: 8006074368 } }).get("all")).toEqual(
      {
        major: 0,
        minor: 0,
        reads: 121866n,
        writes: 23446n,
        readSectors: 2871247872n / 512n,
        writeSectors: 8006074368n / 512n,
      },
    )
    expect(diskstatsFromOsTotals({ disksIO: null, fsStats: { rx: 1, wx: 1 } }).size).toBe(0)
  })

  it("diskstatsFromOsTotals: one counter that is not a number (NaN, Infinity) gives nothing, not a half-read device", () => {
    const fine = { disksIO: { rIO: 1, wIO: 2 }, fsStats: { rx: 1024, wx: 2048 } }
    expect(diskstatsFromOsTotals(fine).size).toBe(1)
    expect(diskstatsFromOsTotals({ ...fine, disksIO: { rIO: Number.NaN, wIO: 2 } }).size).toBe(0)
    expect(diskstatsFromOsTotals({ ...fine, fsStats: { rx: 1024, wx: Number.POSITIVE_INFINITY } }).size).toBe(0)
    expect(diskstatsFromOsTotals({ disksIO: { rIO: 1, wIO: 2 }, fsStats: null }).size).toBe(0)
  })

  // testdata/names: hand-made devices named as the kernel names them (and disk.0, a name with a dot).
  const names = join(import.meta.dir, "testdata/names")
  async function namesProbe() {
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, { type: "IO", counterBits: 64 }, clock)
    await withRoots({ proc: join(names, "proc-a"), sys: join(names, "sys") }, () => source.probe())
    clock.now += 10_000
    return withRoots({ proc: join(names, "proc-b"), sys: join(names, "sys") }, () => source.probe())
  }

  it("only loop, ram, zram and fd devices by their whole name are left out: loop12 is, cloop0 (a disk in /sys/block) is not", async () => {
    expect(disksOf(byPromSeries(await namesProbe(), "IO"))).toEqual(["cloop0", "disk_0", "sdaa"])
  })

  it("the disk label has dots replaced by _ (in Prometheus too, where a dot would be allowed)", async () => {
    expect(byPromSeries(await namesProbe(), "IO").get('pollect_IO_reads_sec{disk="disk_0"}')).toBe(2)
  })

  it("64-bit counters: a drop from near 2^32 is a reset (no rate), not a 32-bit wrap; busy time still wraps at 32 bit", async () => {
    const series = byPromSeries(await namesProbe(), "IO")
    expect(series.has('pollect_IO_reads_sec{disk="sdaa"}')).toBe(false)
    expect(series.get('pollect_IO_writes_sec{disk="sdaa"}')).toBe(100)
    expect(series.get('pollect_IO_busy_percent{disk="sdaa"}')).toBe(10)
  })

  it("without /sys, partitions are told by the whole name: sdaa12, nvme10n12p13, mmcblk10p12 are; mmcblk0boot0, sdb1x are not", async () => {
    const dir = join(import.meta.dir, "testdata/names-no-sys")
    const clock = { now: 0 }
    const source = makeClockedSource<IOSource>(IOSource, { type: "IO" }, clock)
    const roots = { proc: join(dir, "proc"), sys: join(dir, "no-such-sys") }
    await withRoots(roots, () => source.probe())
    clock.now += 1000
    expect(disksOf(byPromSeries(await withRoots(roots, () => source.probe()), "IO"))).toEqual([
      "cloop0",
      "hda",
      // a loop device's partition is told by neither pattern: reported (with /sys it is not a disk)
      "loop0p1",
      "mmcblk0boot0",
      "mmcblk10",
      "nvme10n12",
      // the mtip32xx driver's rssda1 (a partition) does not start like one: only /sys tells
      "rssda1",
      "sdaa",
      "sdb1x",
      "vdb",
      "xvda",
    ])
  })

  it("snake_case names carry the declared units (bytes per second, busy percent as busy_ratio)", async () => {
    const result = resultOf(await namesProbe(), { type: "IO" })
    const snake = Object.fromEntries(
      result.sets.flatMap((set) =>
        set.values.map((value) => [`${promName(result, set, value, "snake_case")}/${value.labelValues[0]}`, value.value]),
      ),
    )
    expect(snake["pollect_io_read_bytes_per_second/sdaa"]).toBe((1000 * 512) / 10)
    expect(snake["pollect_io_write_bytes_per_second/sdaa"]).toBe((10000 * 512) / 10)
    expect(snake["pollect_io_busy_ratio/sdaa"]).toBe(10)
    expect(snake["pollect_io_writes_per_second/sdaa"]).toBe(100)
  })

  it("config validation keeps include, exclude and counterBits (no unknown-key warning)", () => {
    const checked = validateConfig(
      { executors: [{ sources: [{ type: "IO", include: ["sd[a-z]"], exclude: ["sdb"], counterBits: 32 }] }] },
      builtinRegistry(),
    )
    if ("problems" in checked) throw new Error(checked.problems.join("\n"))
    expect(checked.executors[0]!.sources[0]!.config).toMatchObject({ include: ["sd[a-z]"], exclude: ["sdb"], counterBits: 32 })
    expect(checked.warnings.filter((w) => w.includes("(IO)"))).toEqual([])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "IO", aliases: [], cls: IOSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})
