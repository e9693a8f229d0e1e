/**
 * Speedwire energy-meter datagrams (SMA Energy Meter 1.0/2.0, Sunny Home Manager 2.0), as SMA's
 * "SMA Energy Meter Protocol" (EMETER-Protokoll-TI) describes them, big-endian throughout:
 *
 * ```
 * 0   "SMA\0"
 * 4   u16 4, u16 0x02a0 (tag 42, version 0), u32 group (1)
 * 12  u16 length L, u16 0x0010 (SMA Net 2), then L bytes from here on:
 * 16  u16 protocol id 0x6069 (energy meter), u16 SUSy id, u32 serial, u32 ticker (ms)
 * 28  OBIS entries: u8 channel, u8 index, u8 type, u8 tariff, then the value:
 *     type 8: u64 counter, any other type (4: current average; channel 144: the firmware
 *     version) u32
 *     …, then u16 0, u16 0x0000 (end of data)
 * ```
 *
 * Parsing is bounds-checked and never throws: anything else on the port (an inverter's 0x6065
 * traffic, a discovery request, a truncated datagram) is a reason to ignore it.
 */

/** One OBIS entry: `channel:index.type.tariff` and its raw value. */
export interface ObisEntry {
  readonly channel: number
  readonly index: number
  readonly type: number
  readonly tariff: number
  /** The raw integer (0.1 W, Ws, mA, mV, ...); counters fit a double up to 2^53 Ws. */
  readonly raw: number
}

export interface MeterDatagram {
  readonly susyId: number
  readonly serial: number
  /** Milliseconds, wrapping at 2^32. */
  readonly ticker: number
  readonly entries: readonly ObisEntry[]
}

/** Why a datagram was ignored: `foreign` (not an energy meter's) or `truncated` (cut short or inconsistent). */
export type Rejection = { readonly kind: "foreign" | "truncated"; readonly why: string }

export const EMETER_PROTOCOL_ID = 0x6069
/** The largest datagram looked at; a meter's are 600–608 bytes. */
export const MAX_DATAGRAM = 2048
const SIGNATURE = 0x534d4100 // "SMA\0"
const TAG_NET2 = 0x0010
const TAG_END = 0x0000

/** The meter datagram in `data`, or why it is not one. */
export function parseDatagram(data: Uint8Array): MeterDatagram | Rejection {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  if (data.byteLength < 4 || view.getUint32(0) !== SIGNATURE) return { kind: "foreign", why: 'it does not start with "SMA\\0"' }
  if (data.byteLength > MAX_DATAGRAM) return { kind: "foreign", why: `${data.byteLength} bytes is larger than any meter's` }
  // Walk the tags: length, tag, payload; SMA Net 2 carries the meter's data.
  let pos = 4
  while (pos + 4 <= data.byteLength) {
    const length = view.getUint16(pos)
    const tag = view.getUint16(pos + 2)
    const start = pos + 4
    if (tag === TAG_END && length === 0) break
    // An inverter's or charger's SMA Net 2 data is foreign, however long it says it is.
    if (tag === TAG_NET2 && start + 2 <= data.byteLength) {
      const protocol = view.getUint16(start)
      if (protocol !== EMETER_PROTOCOL_ID)
        return { kind: "foreign", why: `protocol 0x${hex(protocol, 4)} is not the energy meter's (0x${hex(EMETER_PROTOCOL_ID, 4)})` }
    }
    if (start + length > data.byteLength)
      return { kind: "truncated", why: `tag 0x${hex(tag, 4)} claims ${length} bytes, ${data.byteLength - start} are left` }
    if (tag === TAG_NET2) return parseNet2(view, start, length)
    pos = start + length
  }
  return { kind: "foreign", why: "it carries no SMA Net 2 data (a discovery or another device's datagram)" }
}

function parseNet2(view: DataView, start: number, length: number): MeterDatagram | Rejection {
  if (length < 12) return { kind: "truncated", why: `the meter header needs 12 bytes, the tag has ${length}` }
  const end = start + length
  const entries: ObisEntry[] = []
  let pos = start + 12
  while (pos < end) {
    if (pos + 4 > end) return { kind: "truncated", why: `an OBIS entry is cut at byte ${pos}` }
    const channel = view.getUint8(pos)
    const index = view.getUint8(pos + 1)
    const type = view.getUint8(pos + 2)
    const tariff = view.getUint8(pos + 3)
    const size = type === 8 ? 8 : 4
    if (pos + 4 + size > end) return { kind: "truncated", why: `OBIS ${channel}:${index}.${type}.${tariff} is cut at byte ${pos}` }
    const raw = size === 8 ? Number(view.getBigUint64(pos + 4)) : view.getUint32(pos + 4)
    entries.push({ channel, index, type, tariff, raw })
    pos += 4 + size
  }
  return { susyId: view.getUint16(start + 2), serial: view.getUint32(start + 4), ticker: view.getUint32(start + 8), entries }
}

export function isRejection(parsed: MeterDatagram | Rejection): parsed is Rejection {
  return "kind" in parsed
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0")
}
