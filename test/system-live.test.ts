/** The system sources against this machine's real /proc, /sys and statfs: sane ranges only. */
import { afterAll, describe, expect, it } from "bun:test"
import { cpus, totalmem } from "node:os"
import { DiskUsageSource } from "../src/sources/disk-usage/index.ts"
import { InterfaceSource } from "../src/sources/interface/index.ts"
import { IOSource } from "../src/sources/io/index.ts"
import { MemoryUsageSource } from "../src/sources/memory-usage/index.ts"
import { ProcessSource } from "../src/sources/process/index.ts"
import { makeSource } from "./helpers/context.ts"
import { byPromSeries } from "./helpers/proc-fixtures.ts"

const linux = process.platform === "linux"
const tag = `pollect-live-${process.pid}-${Date.now()}`
let burner: ReturnType<typeof Bun.spawn> | undefined
afterAll(() => burner?.kill())

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.if(linux)("system sources on the live /proc", () => {
  it("MemoryUsage: total is the OS's, the parts fit inside it", async () => {
    const s = byPromSeries(await makeSource<MemoryUsageSource>(MemoryUsageSource, { type: "MemoryUsage" }).probe(), "MemoryUsage")
    const total = s.get('pollect_MemoryUsage{type="total"}')!
    expect(total).toBe(totalmem())
    for (const type of ["available", "used", "free", "cached", "buffers"]) {
      expect(s.get(`pollect_MemoryUsage{type="${type}"}`)!).toBeGreaterThanOrEqual(0)
      expect(s.get(`pollect_MemoryUsage{type="${type}"}`)!).toBeLessThanOrEqual(total)
    }
    expect(s.get("pollect_MemoryUsage_percent")!).toBeGreaterThan(0)
    expect(s.get("pollect_MemoryUsage_percent")!).toBeLessThan(100)
  })

  it("DiskUsage: the root filesystem is there, used + free ≤ total", async () => {
    const s = byPromSeries(await makeSource<DiskUsageSource>(DiskUsageSource, { type: "DiskUsage", disks: ["/"] }).probe(), "DiskUsage")
    const [total, used, free] = ["total", "used", "free"].map((t) => s.get(`pollect_DiskUsage{disk="_",type="${t}"}`)!)
    expect(total!).toBeGreaterThan(0)
    expect(used! + free!).toBeLessThanOrEqual(total!)
    const auto = await makeSource<DiskUsageSource>(DiskUsageSource, { type: "DiskUsage" }).probe()
    expect(byPromSeries(auto, "DiskUsage").size).toBeGreaterThan(0)
  })

  it("Interface and IO: second probe gives finite, non-negative rates", async () => {
    const iface = makeSource<InterfaceSource>(InterfaceSource, { type: "Interface", include: [".*"] })
    const io = makeSource<IOSource>(IOSource, { type: "IO" })
    await Promise.all([iface.probe(), io.probe()])
    await sleep(300)
    const rates = [...byPromSeries(await iface.probe(), "Interface"), ...byPromSeries(await io.probe(), "IO")]
    expect(rates.length).toBeGreaterThan(0)
    for (const [series, rate] of rates) {
      expect(Number.isFinite(rate)).toBe(true)
      expect(rate).toBeGreaterThanOrEqual(0)
      // percent busy at most 100; bytes below 100 GB/s, packets and operations below 10^8 per second
      expect(rate).toBeLessThanOrEqual(series.includes("busy_percent") ? 100 : series.includes("bytes") ? 1e11 : 1e8)
    }
  })

  it("Process: finds the burner, its CPU is within one core, its memory small", async () => {
    // A CPU burner with a unique command line, so the source finds exactly it.
    burner = Bun.spawn(["/bin/sh", "-c", `while :; do :; done # ${tag}`], { stdout: "ignore", stderr: "ignore" })
    const source = makeSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: tag })
    await source.probe()
    await sleep(1000)
    const s = byPromSeries(await source.probe(), "Process")
    expect(s.get('pollect_Process_process_count{pidx="all"}')).toBe(1)
    const load = s.get('pollect_Process_load_percent{pidx="0"}')!
    expect(load).toBeGreaterThan(0)
    // one thread: ≤ one core, plus USER_HZ granularity over 1 s
    expect(load).toBeLessThanOrEqual(Math.min(105, 100 * cpus().length))
    expect(s.get('pollect_Process_resident_memory{pidx="0"}')!).toBeGreaterThan(0)
    expect(s.get('pollect_Process_resident_memory{pidx="0"}')!).toBeLessThan(64 * 2 ** 20)
    burner.kill()
  })
})
