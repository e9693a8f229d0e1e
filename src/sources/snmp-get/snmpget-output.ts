/**
 * Parses what `snmpget -On -Oe` prints, one line per requested OID in request order:
 *   .1.3.6.1.2.1.2.2.1.10.1 = Counter32: 4391325
 *   .1.3.6.1.2.1.1.3.0 = Timeticks: (71873) 0:11:58.73
 *   .1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID
 * A STRING may run over several lines; only lines that start with a numeric OID start a value.
 */
import { numberFromText, type SnmpReading } from "./value.ts"

export interface SnmpgetLine {
  oid: string
  reading: SnmpReading
}

/** snmpget's type words → the names net-snmp values get (snmp-varbind.ts), so both paths agree. */
const TYPES: Record<string, string> = {
  INTEGER: "Integer",
  Counter32: "Counter32",
  Counter64: "Counter64",
  Gauge32: "Gauge32",
  Unsigned32: "Gauge32",
  UInteger32: "Gauge32",
  Timeticks: "TimeTicks",
  STRING: "OctetString",
  "Hex-STRING": "OctetString",
  Opaque: "Opaque",
}

const LINE = /^(\.?\d+(?:\.\d+)*) = (.*)$/

export function parseSnmpgetOutput(stdout: string): SnmpgetLine[] {
  const lines: SnmpgetLine[] = []
  for (const line of stdout.split("\n")) {
    const match = LINE.exec(line.trimEnd())
    if (!match) continue
    lines.push({ oid: match[1]!.replace(/^\./, ""), reading: parseValue(match[2]!) })
  }
  return lines
}

export function parseValue(text: string): SnmpReading {
  if (text.startsWith("No Such Object")) return { ok: false, error: "noSuchObject (the agent does not implement this OID)" }
  if (text.startsWith("No Such Instance")) return { ok: false, error: "noSuchInstance (no value at this index)" }
  if (text.startsWith("No more variables")) return { ok: false, error: "endOfMibView" }
  const typed = /^([A-Za-z0-9-]+): ?(.*)$/.exec(text)
  // `-Oq`/`-Ot` drop the type: a bare number.
  if (!typed) {
    const number = numberFromText(text)
    return number === undefined ? { ok: false, error: "value is not a number" } : { ok: true, type: "Integer", value: integerOrFloat(text) }
  }
  const word = typed[1]!
  const rest = typed[2]!
  const type = TYPES[word] ?? word
  switch (type) {
    case "Integer":
    case "Counter32":
    case "Counter64":
    case "Gauge32": {
      // -Oe is asked for, but an enum may still read `up(1)`.
      const digits = /^-?\d+/.exec(rest) ?? /\((-?\d+)\)/.exec(rest)
      const raw = digits?.[1] ?? digits?.[0]
      if (raw !== undefined) return { ok: true, type, value: BigInt(raw) }
      break
    }
    case "TimeTicks": {
      const ticks = /^\((\d+)\)/.exec(rest) ?? /^(\d+)$/.exec(rest)
      if (ticks) return { ok: true, type, value: BigInt(ticks[1]!) }
      break
    }
    case "Opaque": {
      const float = /(?:Float|Double): ?(\S+)/.exec(rest)
      if (float && Number.isFinite(Number(float[1]))) return { ok: true, type, value: Number(float[1]) }
      break
    }
    case "OctetString": {
      const number = numberFromText(rest)
      const text = word === "STRING" ? rest.replace(/^"([\s\S]*)"$/, "$1") : rest
      if (number !== undefined) return { ok: true, type, value: number, text }
      return { ok: false, error: `value is a string, not a number (${rest.slice(0, 40)})`, text }
    }
  }
  return { ok: false, error: `value of type ${word} is not a number` }
}

function integerOrFloat(text: string): bigint | number {
  const trimmed = text.trim()
  return /^-?\d+$/.test(trimmed) ? BigInt(trimmed) : Number(trimmed)
}

/** First meaningful line of snmpget's stderr: `Timeout: No Response from 127.0.0.1:1161.` */
export function snmpgetError(stderr: string, exitCode: number): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("MIB search path") && !line.startsWith("Cannot find module"))
  const reason = lines.find((line) => line.startsWith("Reason:"))
  if (reason) return reason.replace(/^Reason:\s*/, "")
  return lines[0] ?? `snmpget exited with code ${exitCode}`
}
