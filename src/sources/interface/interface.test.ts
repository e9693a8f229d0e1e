import { describe, expect, it } from "bun:test"
import type { ValueSet } from "../../core/value-set.ts"
import { netDevFromNetworkStats, parseNetDev } from "./net-dev.ts"
import { InterfaceSource } from "./index.ts"
import { byGraphitePath, byPromSeries, FIXTURES, makeClockedSource, useFixtureRoots } from "../../../test/helpers/proc-fixtures.ts"
import { mkdirSync, readFileSync } from "node:fs"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { validateConfig } from "../../config/schema.ts"
import { builtinRegistry } from "../../registry.ts"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { pointHostAt, replayHostCase, withRoots } from "../../../test/helpers/host-replay.ts"

sourceConformance({
  type: "Interface",
  cls: InterfaceSource,
  dir: import.meta.dir,
  golden: (testCase) => replayHostCase(InterfaceSource, testCase),
  failing: {
    config: { type: "Interface" },
    // A /proc whose net/dev cannot be read (here: a folder, as an I/O error would be).
    setup: () => {
      const proc = join(tempDir(), "proc")
      mkdirSync(join(proc, "net", "dev"), { recursive: true })
      return pointHostAt(proc)
    },
    message: /cannot read .*\/proc\/net\/dev: EISDIR/,
  },
})

const useRoots = useFixtureRoots()

describe("Interface", () => {
  it("first probe: no rates; with includeTotal the raw counters under the original's names (lo left out)", async () => {
    useRoots("proc-host")
    const clock = { now: 0 }
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", includeTotal: true }, clock)
    const series = byPromSeries(await source.probe(), "Interface")
    const recorded = parseNetDev(await Bun.file(join(FIXTURES, "proc-host/net/dev")).text())
    const eth0 = recorded.get("eth0")!
    expect(series.get('pollect_Interface_total_bytes_sent{interface="eth0"}')).toBe(Number(eth0.txBytes))
    expect(series.get('pollect_Interface_total_bytes_recv{interface="eth0"}')).toBe(Number(eth0.rxBytes))
    expect(series.get('pollect_Interface_total_packets_sent{interface="eth0"}')).toBe(Number(eth0.txPackets))
    expect(series.get('pollect_Interface_total_packets_recv{interface="eth0"}')).toBe(Number(eth0.rxPackets))
    expect([...series.keys()].some((k) => k.includes("_sec"))).toBe(false)
    expect([...series.keys()].some((k) => k.includes('"lo"'))).toBe(false)
    expect(series.size).toBe((recorded.size - 1) * 4)
  })

  it("rates = counter delta / elapsed, from two recordings of this machine", async () => {
    const clock = { now: 1000 }
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", include: ["lo"] }, clock)
    useRoots("proc-host")
    expect(byPromSeries(await source.probe(), "Interface").size).toBe(0)
    useRoots("proc-host-later")
    clock.now += 2500
    const series = byPromSeries(await source.probe(), "Interface")
    const [a, b] = [
      parseNetDev(await Bun.file(join(FIXTURES, "proc-host/net/dev")).text()).get("lo")!,
      parseNetDev(await Bun.file(join(FIXTURES, "proc-host-later/net/dev")).text()).get("lo")!,
    ]
    expect(Number(b.txBytes - a.txBytes)).toBeGreaterThan(0)
    expect(series.get('pollect_Interface_sent_bytes_sec{interface="lo"}')).toBeCloseTo(Number(b.txBytes - a.txBytes) / 2.5, 9)
    expect(series.get('pollect_Interface_recv_packets_sec{interface="lo"}')).toBeCloseTo(Number(b.rxPackets! - a.rxPackets!) / 2.5, 9)
    expect(series.size).toBe(4)
  })

  it("64-bit host: 64-bit wrap counted, a reset or a new interface gives no spike, a gone one disappears", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", counterBits: 64 }, clock)
    useRoots("proc-edge-a")
    await source.probe()
    useRoots("proc-edge-b")
    clock.now += 10_000
    const series = byPromSeries(await source.probe(), "Interface")
    // wan0 wrapped past 2^64: 1000 + 1384 bytes received, 616 + 616 sent, in 10 s
    expect(series.get('pollect_Interface_recv_bytes_sec{interface="wan0"}')).toBe(238.4)
    expect(series.get('pollect_Interface_sent_bytes_sec{interface="wan0"}')).toBe(123.2)
    expect(series.get('pollect_Interface_recv_packets_sec{interface="wan0"}')).toBe(1)
    // eth2 was re-created (counters far from the top went down): no value rather than a spike
    expect([...series.keys()].filter((k) => k.includes('"eth2"'))).toEqual([])
    // eth0's 32-bit counters going down on a 64-bit counter are a reset too; its packets still rose
    expect([...series.keys()].filter((k) => k.includes('"eth0"'))).toEqual(['pollect_Interface_sent_packets_sec{interface="eth0"}'])
    // eth1 is gone, wg0 is new (no rate yet), the VLAN's dot became _
    expect([...series.keys()].some((k) => k.includes("eth1") || k.includes("wg0"))).toBe(false)
    expect(series.get('pollect_Interface_sent_bytes_sec{interface="eth0_100"}')).toBe(300)
    expect(Math.min(...series.values())).toBeGreaterThanOrEqual(0)
  })

  it("32-bit counters: the wrap-around is counted", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", counterBits: 32, include: ["eth0"] }, clock)
    useRoots("proc-edge-a")
    await source.probe()
    useRoots("proc-edge-b")
    clock.now += 4000
    const series = byPromSeries(await source.probe(), "Interface")
    expect(Object.fromEntries(series)).toEqual({
      'pollect_Interface_sent_bytes_sec{interface="eth0"}': (1000 + 2704) / 4,
      'pollect_Interface_sent_packets_sec{interface="eth0"}': 10 / 4,
      'pollect_Interface_recv_bytes_sec{interface="eth0"}': (296 + 704) / 4,
      'pollect_Interface_recv_packets_sec{interface="eth0"}': (6 + 6) / 4,
    })
  })

  it("an interface that comes back after disappearing starts without a rate", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", include: ["eth1"] }, clock)
    for (const root of ["proc-edge-a", "proc-edge-b", "proc-edge-a"]) {
      useRoots(root)
      clock.now += 1000
      expect([...byGraphitePath(await source.probe(), "Interface")]).toEqual([])
    }
  })

  it("include/exclude take names and regexes; exclude wins", async () => {
    useRoots("proc-edge-a")
    const source = makeClockedSource<InterfaceSource>(
      InterfaceSource,
      { type: "Interface", includeTotal: true, include: ["eth.*", "lo"], exclude: ["eth2"] },
      { now: 0 },
    )
    const names = new Set([...byPromSeries(await source.probe(), "Interface").keys()].map((k) => /interface="([^"]+)"/.exec(k)![1]))
    expect([...names].sort()).toEqual(["eth0", "eth0_100", "eth1", "lo"])
  })

  it("declares units and counter kinds for conventional names", async () => {
    useRoots("proc-edge-a")
    const sets = (await makeClockedSource<InterfaceSource>(
      InterfaceSource,
      { type: "Interface", includeTotal: true },
      { now: 0 },
    ).probe()) as ValueSet[]
    expect(sets.map((s) => [s.values[0]?.name, s.unit, s.kind])).toEqual([
      ["total_bytes_sent", "bytes", "counter"],
      ["total_packets_sent", undefined, "counter"],
      ["total_bytes_recv", "bytes", "counter"],
      ["total_packets_recv", undefined, "counter"],
      [undefined, "bytes_per_second", undefined],
      [undefined, undefined, undefined],
      [undefined, "bytes_per_second", undefined],
      [undefined, undefined, undefined],
    ])
  })

  it("without /proc (macOS) the byte counters from systeminformation, same names, no packets", async () => {
    useRoots("does-not-exist")
    const source = makeClockedSource<InterfaceSource>(
      InterfaceSource,
      { type: "Interface", includeTotal: true, include: [".*"] },
      { now: 0 },
    )
    const series = byPromSeries(await source.probe(), "Interface")
    const names = [...series.keys()]
    expect(names.length).toBeGreaterThan(0)
    expect(names.every((n) => /^pollect_Interface_total_bytes_(sent|recv)\{interface="[^"]+"\}$/.test(n))).toBe(true)
    // the numbers are this machine's: the same counters /proc/net/dev shows (give or take traffic since)
    const live = parseNetDev(await Bun.file("/proc/net/dev").text())
    expect(series.get('pollect_Interface_total_bytes_recv{interface="lo"}')!).toBeLessThanOrEqual(Number(live.get("lo")!.rxBytes))
  })

  it("netDevFromNetworkStats keeps bytes, skips entries without numbers", () => {
    const parsed = netDevFromNetworkStats([
      { iface: "en0", rx_bytes: 973529626, tx_bytes: 976125 },
      { iface: "utun0", rx_bytes: Number.NaN, tx_bytes: 0 },
    ])
    expect([...parsed]).toEqual([["en0", { rxBytes: 973529626n, txBytes: 976125n }]])
  })

  it("only the interface named exactly lo is left out by default: lowpan0 and bgp-lo (a dummy loopback) are reported", async () => {
    const dir = join(import.meta.dir, "testdata/loopback-names")
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", includeTotal: true }, { now: 0 })
    const probe = await withRoots({ proc: join(dir, "proc"), sys: join(dir, "no-such-sys") }, () => source.probe())
    const names = new Set([...byPromSeries(probe, "Interface").keys()].map((k) => /interface="([^"]+)"/.exec(k)![1]))
    expect([...names].sort()).toEqual(["bgp-lo", "eth0", "lowpan0"])
  })

  it("config validation keeps includeTotal, include, exclude and counterBits (no unknown-key warning)", () => {
    const checked = validateConfig(
      { executors: [{ sources: [{ type: "Interface", includeTotal: true, include: ["eth.*"], exclude: ["eth1"], counterBits: 32 }] }] },
      builtinRegistry(),
    )
    if ("problems" in checked) throw new Error(checked.problems.join("\n"))
    expect(checked.executors[0]!.sources[0]!.config).toMatchObject({
      includeTotal: true,
      include: ["eth.*"],
      exclude: ["eth1"],
      counterBits: 32,
    })
    expect(checked.warnings.filter((w) => w.includes("(Interface)"))).toEqual([])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Interface", aliases: [], cls: InterfaceSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})
