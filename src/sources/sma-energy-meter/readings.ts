/**
 * What one meter sent since the last probe, in constant space: per channel the sum and count of
 * the raw averages (1.2 averages the instantaneous values between probes; averaging the
 * integers and scaling once keeps `699.7` exact) and the newest counter. Datagrams are folded in
 * as they arrive and never queued.
 */
import { type Channel, channelOf } from "./obis.ts"
import type { MeterDatagram } from "./speedwire.ts"

interface Slot {
  readonly channel: Channel
  sum: number
  count: number
  newest: number
}

/** One value as the probe reports it. */
export interface Reading {
  readonly channel: Channel
  readonly value: number
}

export class MeterReadings {
  private readonly slots = new Map<Channel, Slot>()
  /** Datagrams folded in since the last take(). */
  datagrams = 0

  constructor(
    /** false: report the newest datagram's values instead of the average. */
    private readonly average: boolean,
  ) {}

  add(datagram: MeterDatagram): void {
    this.datagrams++
    for (const entry of datagram.entries) {
      const channel = channelOf(entry)
      if (!channel) continue
      let slot = this.slots.get(channel)
      if (!slot) this.slots.set(channel, (slot = { channel, sum: 0, count: 0, newest: 0 }))
      slot.sum += entry.raw
      slot.count++
      slot.newest = entry.raw
    }
  }

  /** The values since the last take(), in the order the meter sent them first; starts afresh. */
  take(): Reading[] {
    const out: Reading[] = []
    for (const slot of this.slots.values()) {
      const raw = slot.channel.average && this.average ? slot.sum / slot.count : slot.newest
      out.push({ channel: slot.channel, value: slot.channel.scale(raw) })
    }
    this.slots.clear()
    this.datagrams = 0
    return out
  }
}
