/** net-snmp varbinds → SnmpReading: numbers exact, errors (noSuchObject, strings) as readable text. */
import type { Varbind } from "net-snmp"
import { decodeCounter64, numberFromText, type SnmpReading } from "./value.ts"

/** ASN.1 / SMI tags as net-snmp reports them in `varbind.type`. */
const TYPE_NAMES: Record<number, string> = {
  1: "Boolean",
  2: "Integer",
  4: "OctetString",
  5: "Null",
  6: "OID",
  64: "IpAddress",
  65: "Counter32",
  66: "Gauge32",
  67: "TimeTicks",
  68: "Opaque",
  70: "Counter64",
  128: "noSuchObject",
  129: "noSuchInstance",
  130: "endOfMibView",
}

const ERRORS: Record<number, string> = {
  128: "noSuchObject (the agent does not implement this OID)",
  129: "noSuchInstance (no value at this index)",
  130: "endOfMibView",
}

export function readingFromVarbind(varbind: Varbind): SnmpReading {
  const type = TYPE_NAMES[varbind.type] ?? `type ${varbind.type}`
  const error = ERRORS[varbind.type]
  if (error) return { ok: false, error }
  const value = varbind.value
  switch (varbind.type) {
    case 2:
    case 65:
    case 66:
    case 67:
      if (typeof value === "number") return { ok: true, type, value: BigInt(value) }
      break
    case 70:
      if (value instanceof Uint8Array) return { ok: true, type, value: decodeCounter64(value) }
      break
    case 1:
      return { ok: true, type, value: value ? 1n : 0n }
    case 4: {
      const text = value instanceof Uint8Array ? Buffer.from(value).toString("utf8") : String(value)
      const number = numberFromText(text)
      if (number !== undefined) return { ok: true, type, value: number, text }
      return { ok: false, error: `value is a string, not a number (${JSON.stringify(text.slice(0, 40))})`, text }
    }
    case 68: {
      const float = value instanceof Uint8Array ? decodeOpaqueFloat(value) : undefined
      if (float !== undefined) return { ok: true, type, value: float }
      break
    }
  }
  return { ok: false, error: `value of type ${type} is not a number` }
}

/** Net-SNMP wraps floats (UCD-SNMP-MIB laLoadFloat) in Opaque: 9f 78 04 <float32> or 9f 79 08 <float64>. */
export function decodeOpaqueFloat(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length === 7 && bytes[0] === 0x9f && bytes[1] === 0x78 && bytes[2] === 4) return view.getFloat32(3)
  if (bytes.length === 11 && bytes[0] === 0x9f && bytes[1] === 0x79 && bytes[2] === 8) return view.getFloat64(3)
  return undefined
}
