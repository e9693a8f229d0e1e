/**
 * The OBIS channels pollect 1.2 reports, with its (German) names and units. Measurement value
 * index blocks: 1–20 the total (phase 0), 21–40 L1, 41–60 L2, 61–80 L3; in each, 1/2 active
 * power +/−, 3/4 reactive +/−, 9/10 apparent +/−, and per phase 11 current, 12 voltage, 13 power
 * factor; the total has 13 power factor and 14 the grid frequency. Type 4 is the current
 * average (0.1 W, mA, mV, 0.001 cos φ, mHz), type 8 the counter (Ws, reported in kWh).
 * Channel 0, tariff 0 only (as 1.2); anything else (the firmware version, channel 144) is skipped.
 */
import type { ObisEntry } from "./speedwire.ts"

/** Which declared set a channel belongs to (metrics.ts). */
export type ChannelGroup =
  | "activePower"
  | "reactivePower"
  | "apparentPower"
  | "activeEnergy"
  | "reactiveEnergy"
  | "apparentEnergy"
  | "current"
  | "voltage"
  | "powerFactor"
  | "frequency"

export interface Channel {
  /** 1.2's value name: `wirkleistung_positive`, `..._sum` for a counter, `spannung`, ... */
  readonly name: string
  /** 0: the total, 1–3: L1–L3. */
  readonly phase: number
  readonly group: ChannelGroup
  /** true: averaged over the datagrams between probes (as 1.2); false: the newest counts. */
  readonly average: boolean
  /** raw → reported unit: multiply (1.2's factors) or divide (Ws → kWh). */
  readonly scale: (raw: number) => number
}

const tenth = (raw: number) => raw * 0.1
const milli = (raw: number) => raw * 0.001
const wsToKwh = (raw: number) => raw / 3600000

const POWER: [number, string, ChannelGroup, ChannelGroup][] = [
  [1, "wirkleistung_positive", "activePower", "activeEnergy"],
  [2, "wirkleistung_negative", "activePower", "activeEnergy"],
  [3, "blindleistung_positive", "reactivePower", "reactiveEnergy"],
  [4, "blindleistung_negative", "reactivePower", "reactiveEnergy"],
  [9, "scheinleistung_positive", "apparentPower", "apparentEnergy"],
  [10, "scheinleistung_negative", "apparentPower", "apparentEnergy"],
]

const CHANNELS = new Map<string, Channel>()
for (let phase = 0; phase <= 3; phase++) {
  const offset = phase * 20
  for (const [index, name, power, energy] of POWER) {
    CHANNELS.set(key(index + offset, 4), { name, phase, group: power, average: true, scale: tenth })
    CHANNELS.set(key(index + offset, 8), { name: `${name}_sum`, phase, group: energy, average: false, scale: wsToKwh })
  }
  if (phase > 0) {
    CHANNELS.set(key(11 + offset, 4), { name: "strom", phase, group: "current", average: true, scale: milli })
    CHANNELS.set(key(12 + offset, 4), { name: "spannung", phase, group: "voltage", average: true, scale: milli })
  }
  CHANNELS.set(key(13 + offset, 4), { name: "leistungsfaktor", phase, group: "powerFactor", average: true, scale: milli })
}
CHANNELS.set(key(14, 4), { name: "netzfrequenz", phase: 0, group: "frequency", average: true, scale: milli })

function key(index: number, type: number): string {
  return `${index}.${type}`
}

/** What 1.2 calls the entry, or undefined for one it skips. */
export function channelOf(entry: ObisEntry): Channel | undefined {
  if (entry.channel !== 0 || entry.tariff !== 0) return undefined
  return CHANNELS.get(key(entry.index, entry.type))
}
