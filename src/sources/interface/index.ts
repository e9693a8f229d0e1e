/**
 * `Interface`: per network interface, bytes and packets per second sent and received
 * (`sent_bytes_sec{interface="eth0"}` ...) from /proc/net/dev, names as the original. The first
 * probe has no rates; `includeTotal` adds the raw counters (`total_bytes_sent` ...). `lo` is left
 * out unless `include` lists it. Without /proc (macOS) the byte counters come from systeminformation
 * (packets are not available there).
 */
import * as v from "valibot"
import { Source, ValueSet } from "../../api.ts"
import { counterBitsField, kernelCounterBits } from "../../lib/options/counter-bits.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { nameFilter, nameFilterFields } from "../../lib/options/name-filter.ts"
import { probeRates } from "../../lib/util/probe-rates.ts"
import { readProcFile } from "../../lib/proc/proc-read.ts"
import { netDevFromNetworkStats, parseNetDev, type NetDevCounters } from "./net-dev.ts"

const options = v.object({
  includeTotal: v.optional(v.boolean(), false),
  /** Interface names or regexes (`eth.*`). */
  ...nameFilterFields,
  /** Default 64 on 64-bit hosts, else told from the values. */
  counterBits: counterBitsField,
})

/** Original value names: counter → (rate name, total name), in the original's order. */
const COUNTERS: ReadonlyArray<{ field: keyof NetDevCounters; rate: string; total: string; unit?: string }> = [
  { field: "txBytes", rate: "sent_bytes_sec", total: "total_bytes_sent", unit: "bytes" },
  { field: "txPackets", rate: "sent_packets_sec", total: "total_packets_sent" },
  { field: "rxBytes", rate: "recv_bytes_sec", total: "total_bytes_recv", unit: "bytes" },
  { field: "rxPackets", rate: "recv_packets_sec", total: "total_packets_recv" },
]

const LOOPBACK = /^lo$/

export class InterfaceSource extends Source<v.InferOutput<typeof options>> {
  static override readonly options = options
  private readonly accept = nameFilter(this.config)
  private readonly bits = kernelCounterBits(this.config.counterBits)

  override async probe(): Promise<ValueSet[]> {
    const text = readProcFile(procPath("net/dev"))
    const counters = text === undefined ? await osNetDev() : parseNetDev(text)
    const interfaces = [...counters].filter(([name]) => this.accept([name], LOOPBACK.test(name)))
    const sets: ValueSet[] = []
    if (this.config.includeTotal) {
      for (const counter of COUNTERS) {
        const set = new ValueSet(["interface"], {
          unit: counter.unit,
          kind: "counter",
          help: `Interface ${counter.total.replace(/_/g, " ")}`,
        })
        for (const [name, counters] of interfaces) {
          const value = counters[counter.field]
          if (value !== undefined) set.add(Number(value), [labelOf(name)], counter.total)
        }
        sets.push(set)
      }
    }
    const rates = probeRates(this.ctx.rate)
    for (const counter of COUNTERS) {
      const set = new ValueSet(["interface"], {
        unit: counter.unit ? "bytes_per_second" : undefined,
        help: `Interface ${counter.rate.replace(/_sec$/, "").replace(/_/g, " ")} per second`,
      })
      for (const [name, counters] of interfaces) {
        const value = counters[counter.field]
        if (value === undefined) continue
        const rate = rates.rate(`${name}\0${counter.field}`, value, { bits: this.bits })
        if (rate !== undefined) set.add(rate, [labelOf(name)], counter.rate)
      }
      sets.push(set)
    }
    // An interface that went away starts afresh (no rate) if it comes back.
    rates.done()
    return sets
  }
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
