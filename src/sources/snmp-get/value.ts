/**
 * SNMP values as pollect sees them, whichever way they were read (the net-snmp library or the
 * snmpget binary): a type name, and the number exactly (bigint for integers, so a Counter64
 * above 2^53 keeps every bit until it is turned into a rate).
 */

/** `text`: an OctetString's text (the value of a label read from an OID), whether or not it holds a number. */
export type SnmpReading = { ok: true; type: string; value: bigint | number; text?: string } | { ok: false; error: string; text?: string }

/** Types that count up and wrap around: rates over them go through core/rate.ts. */
const COUNTER_TYPES = new Set(["Counter32", "Counter", "Counter64"])

export function isCounterType(type: string): boolean {
  return COUNTER_TYPES.has(type)
}

/** Width for the wrap-around of a counter type; other types wrap at 32 bits too (TimeTicks, Gauge32 never decrease by wrapping). */
export function counterBits(type: string): 32 | 64 {
  return type === "Counter64" ? 64 : 32
}

const NUMERIC_OID = /^(?:\.?(?:iso|\d+))(?:\.\d+)*$/

/** True for `1.3.6.1...`, `.1.3.6...` and `iso.3.6...`; false for `IF-MIB::ifHCInOctets.1` and the like. */
export function isNumericOid(oid: string): boolean {
  return NUMERIC_OID.test(oid.trim())
}

/** `iso.3.6.1` → `1.3.6.1`, `.1.3.6.1` → `1.3.6.1` (net-snmp takes plain numeric OIDs only). */
export function normaliseOid(oid: string): string {
  return oid
    .trim()
    .replace(/^\./, "")
    .replace(/^iso(?=\.|$)/, "1")
}

/** A Counter64 arrives as a big-endian Buffer of up to 9 bytes (BER may add a leading 0x00). */
export function decodeCounter64(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

/** Parses an OctetString that holds a number (some agents report values as text); undefined otherwise. */
export function numberFromText(text: string): number | undefined {
  const trimmed = text.trim().replace(/^"|"$/g, "").trim()
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return undefined
  return Number(trimmed)
}

/** The value as a float for output (a Counter64 above 2^53 loses its lowest bits here, not earlier). */
export function toNumber(value: bigint | number): number {
  return typeof value === "bigint" ? Number(value) : value
}

/**
 * A number as Python's `str(float)` writes it (`24.0`, `0.5`, `1e+16`, `1.5e-05`): the Python
 * pollect 1.2 turned every non-string SNMP value into a float, so a label read from a numeric
 * OID reads `24.0` there. In Python 3, str(float) is repr(float).
 */
export { pyFloat as pythonFloatText } from "../../lib/util/py-repr.ts"
