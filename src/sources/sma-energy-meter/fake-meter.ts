/**
 * Builds energy-meter datagrams as SMA's protocol description lays them out (speedwire.ts), for
 * tests and testdata: a whole meter's channels in the order an Energy Meter 2.0 / Home Manager
 * 2.0 sends them, and sends them to a loopback port.
 */
import { createSocket } from "node:dgram"

export interface EntrySpec {
  index: number
  /** 4: current average (u32), 8: counter (u64). */
  type: number
  raw: number
  channel?: number
  tariff?: number
}

export interface DatagramSpec {
  susyId?: number
  serial: number
  ticker?: number
  entries: EntrySpec[]
  protocolId?: number
}

/** The datagram's bytes: header, group tag, SMA Net 2 tag with the entries, end tag. */
export function buildDatagram(spec: DatagramSpec): Buffer {
  const body = spec.entries.reduce((n, e) => n + 4 + (e.type === 8 ? 8 : 4), 12)
  const out = Buffer.alloc(4 + 8 + 4 + body + 4)
  out.write("SMA\0", 0, "latin1")
  out.writeUInt16BE(4, 4)
  out.writeUInt16BE(0x02a0, 6)
  out.writeUInt32BE(1, 8)
  out.writeUInt16BE(body, 12)
  out.writeUInt16BE(0x0010, 14)
  out.writeUInt16BE(spec.protocolId ?? 0x6069, 16)
  out.writeUInt16BE(spec.susyId ?? 0x0174, 18)
  out.writeUInt32BE(spec.serial, 20)
  out.writeUInt32BE(spec.ticker ?? 0, 24)
  let pos = 28
  for (const e of spec.entries) {
    out.writeUInt8(e.channel ?? 0, pos)
    out.writeUInt8(e.index, pos + 1)
    out.writeUInt8(e.type, pos + 2)
    out.writeUInt8(e.tariff ?? 0, pos + 3)
    if (e.type === 8) out.writeBigUInt64BE(BigInt(e.raw), pos + 4)
    else out.writeUInt32BE(e.raw, pos + 4)
    pos += 4 + (e.type === 8 ? 8 : 4)
  }
  // End of data: length 0, tag 0 (already zero).
  return out
}

/** Raw values of one meter reading: per phase (0 = total) power in 0.1 W and energy in Ws, and the rest. */
export interface MeterValues {
  /** [import, export] active power per phase 0–3, in 0.1 W. */
  active: [number, number][]
  /** [import, export] active energy per phase 0–3, in Ws. */
  activeEnergy: [number, number][]
  /** mA and mV per phase 1–3. */
  current: number[]
  voltage: number[]
  /** 0.001 cos φ per phase 0–3. */
  powerFactor: number[]
  /** mHz. */
  frequency: number
}

/**
 * Every channel a Home Manager 2.0 sends, in its order (1–10 then 13, 14 for the total; per phase
 * 1–10, 11–13), reactive and apparent derived from the active values, then the firmware version.
 */
export function meterEntries(values: MeterValues): EntrySpec[] {
  const entries: EntrySpec[] = []
  for (let phase = 0; phase <= 3; phase++) {
    const o = phase * 20
    const [pIn, pOut] = values.active[phase]!
    const [eIn, eOut] = values.activeEnergy[phase]!
    const pairs: [number, number, number][] = [
      [1, pIn, eIn],
      [2, pOut, eOut],
      [3, Math.round(pIn / 10), Math.round(eIn / 10)],
      [4, Math.round(pOut / 10), Math.round(eOut / 10)],
      [9, pIn + 7, eIn + 7000],
      [10, pOut + 7, eOut + 7000],
    ]
    for (const [index, power, energy] of pairs)
      entries.push({ index: index + o, type: 4, raw: power }, { index: index + o, type: 8, raw: energy })
    if (phase === 0) entries.push({ index: 13, type: 4, raw: values.powerFactor[0]! }, { index: 14, type: 4, raw: values.frequency })
    else
      entries.push(
        { index: 11 + o, type: 4, raw: values.current[phase - 1]! },
        { index: 12 + o, type: 4, raw: values.voltage[phase - 1]! },
        { index: 13 + o, type: 4, raw: values.powerFactor[phase]! },
      )
  }
  // Firmware 2.18.14.R, as the recorded Home Manager 2.0 datagram carries it.
  entries.push({ channel: 144, index: 0, type: 0, raw: 0x02120e52 })
  return entries
}

/** Sends each datagram to 127.0.0.1:`port`, in order, one after the other. */
export async function sendDatagrams(port: number, datagrams: Uint8Array[], address = "127.0.0.1"): Promise<void> {
  const socket = createSocket("udp4")
  try {
    for (const datagram of datagrams)
      await new Promise<void>((resolve, reject) => socket.send(datagram, port, address, (error) => (error ? reject(error) : resolve())))
  } finally {
    socket.close()
  }
}

/** Hex lines (a testdata file) → datagrams; `#` lines and blanks skipped. */
export function hexLines(text: string): Buffer[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => Buffer.from(line, "hex"))
}

/** A UDP port free right now on 127.0.0.1 (the OS picks it). */
export async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4")
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()))
  const { port } = socket.address()
  socket.close()
  return port
}

/** Resolves once `ready()` holds, polling every few ms; rejects after `ms`. */
export async function until(ready: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!ready()) {
    if (Date.now() > end) throw new Error("timed out waiting")
    await Bun.sleep(5)
  }
}
