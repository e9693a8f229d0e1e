/**
 * `Interface`: per network interface, bytes and packets per second sent and received
 * (`sent_bytes_sec{interface="eth0"}` ...) from /proc/net/dev, names as the original. The first
 * probe has no rates; `includeTotal` adds the raw counters (`total_bytes_sent` ...). `lo` is left
 * out unless `include` lists it. Without /proc (macOS) the byte counters come from systeminformation
 * (packets are not available there).
 */
import { type MetricSpec, Source, ValueSet } from "../../api.ts"
import { kernelCounterBits } from "../../lib/options/counter-bits.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { nameFilter } from "../../lib/options/name-filter.ts"
import { probeRates } from "../../lib/util/probe-rates.ts"
import { readHostFile } from "../../lib/proc/proc-read.ts"
import { metrics } from "./metrics.ts"
import { netDevFromNetworkStats, parseNetDev, type NetDevCounters } from "./net-dev.ts"
import { options, type InterfaceOptions } from "./options.ts"

/** Counter → its rate and total metrics, in the original's order. */
const COUNTERS: ReadonlyArray<{ field: keyof NetDevCounters; rate: MetricSpec; total: MetricSpec }> = [
  { field: "txBytes", rate: metrics.sentBytesSec, total: metrics.totalBytesSent },
  { field: "txPackets", rate: metrics.sentPacketsSec, total: metrics.totalPacketsSent },
  { field: "rxBytes", rate: metrics.recvBytesSec, total: metrics.totalBytesRecv },
  { field: "rxPackets", rate: metrics.recvPacketsSec, total: metrics.totalPacketsRecv },
]

const LOOPBACK = /^lo$/

export class InterfaceSource extends Source<InterfaceOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  private readonly accept = nameFilter(this.config)
  private readonly bits = kernelCounterBits(this.config.counterBits)

  override async probe(): Promise<ValueSet[]> {
    const text = readHostFile(procPath("net/dev"))
    const counters = text === undefined ? await osNetDev() : parseNetDev(text)
    const interfaces = [...counters].filter(([name]) => this.accept([name], LOOPBACK.test(name)))
    const sets: ValueSet[] = []
    if (this.config.includeTotal) {
      for (const counter of COUNTERS) {
        const set = new ValueSet(counter.total)
        for (const [name, counters] of interfaces) {
          const value = counters[counter.field]
          if (value !== undefined) set.add(Number(value), [labelOf(name)], valueName(counter.total))
        }
        sets.push(set)
      }
    }
    const rates = probeRates(this.ctx.rate)
    for (const counter of COUNTERS) {
      const set = new ValueSet(counter.rate)
      for (const [name, counters] of interfaces) {
        const value = counters[counter.field]
        if (value === undefined) continue
        const rate = rates.rate(`${name}\0${counter.field}`, value, { bits: this.bits })
        if (rate !== undefined) set.add(rate, [labelOf(name)], valueName(counter.rate))
      }
      sets.push(set)
    }
    // An interface that went away starts afresh (no rate) if it comes back.
    rates.done()
    return sets
  }
}

/** The one value name a metric of this source declares (`sent_bytes_sec`). */
function valueName(spec: MetricSpec): string {
  return spec.values![0]!
}

/** The original replaced dots (VLANs: `eth0.100`) so they do not split Graphite paths. */
function labelOf(name: string): string {
  return name.replace(/\./g, "_")
}

/** No /proc (macOS): byte counters as systeminformation reads them (it runs netstat); no packets. */
async function osNetDev(): Promise<Map<string, NetDevCounters>> {
  const si = await import("systeminformation")
  return netDevFromNetworkStats(await si.networkStats("*"))
}
