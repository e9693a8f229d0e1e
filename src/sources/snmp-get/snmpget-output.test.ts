import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { parseSnmpgetOutput, parseValue, snmpgetError } from "./snmpget-output.ts"

const fixtures = join(import.meta.dir, "testdata")
const read = (name: string) => Bun.file(join(fixtures, name)).text()

describe("snmpget -On -Oe output (recorded from Net-SNMP 5.9.3)", () => {
  it("parses each line in request order", async () => {
    const lines = parseSnmpgetOutput(await read("raw/snmpget-v2c.txt"))
    expect(lines.map((line) => line.oid)).toEqual([
      "1.3.6.1.2.1.1.3.0",
      "1.3.6.1.2.1.31.1.1.1.6.1",
      "1.3.6.1.2.1.2.2.1.10.1",
      "1.3.6.1.2.1.2.1.0",
      "1.3.6.1.2.1.25.1.5.0",
      "1.3.6.1.2.1.1.1.0",
      "1.3.6.1.2.1.1.99.0",
      "1.3.6.1.2.1.1.3.1",
      "1.3.6.1.2.1.2.2.1.8.1",
    ])
    const readings = lines.map((line) => line.reading)
    expect(readings[0]).toEqual({ ok: true, type: "TimeTicks", value: 12868n })
    expect(readings[1]).toEqual({ ok: true, type: "Counter64", value: 339200693n })
    expect(readings[2]).toEqual({ ok: true, type: "Counter32", value: 339200693n })
    expect(readings[3]).toEqual({ ok: true, type: "Integer", value: 4n })
    expect(readings[4]).toEqual({ ok: true, type: "Gauge32", value: 0n })
    expect(readings[5]).toMatchObject({ ok: false, error: expect.stringContaining("string") })
    expect(readings[6]).toMatchObject({ ok: false, error: expect.stringContaining("noSuchObject") })
    expect(readings[7]).toMatchObject({ ok: false, error: expect.stringContaining("noSuchInstance") })
    expect(readings[8]).toEqual({ ok: true, type: "Integer", value: 1n })
  })

  it("keeps Counter64 values above 2^53 exact", () => {
    expect(parseValue("Counter64: 18446744073709551615")).toEqual({ ok: true, type: "Counter64", value: 18446744073709551615n })
  })

  it("reads enums, opaque floats and bare numbers", () => {
    expect(parseValue("INTEGER: up(1)")).toEqual({ ok: true, type: "Integer", value: 1n })
    expect(parseValue("Opaque: Float: 0.120000")).toEqual({ ok: true, type: "Opaque", value: 0.12 })
    expect(parseValue("12868")).toEqual({ ok: true, type: "Integer", value: 12868n })
    expect(parseValue('STRING: "17"')).toEqual({ ok: true, type: "OctetString", value: 17, text: "17" })
  })

  it("turns snmpget's stderr into one line", async () => {
    expect(snmpgetError(await read("v1-nosuchname.stderr"), 2)).toBe("(noSuchName) There is no such variable name in this MIB.")
    expect(snmpgetError(await read("timeout.stderr"), 1)).toBe("Timeout: No Response from 127.0.0.1:1.")
    expect(snmpgetError(await read("unknown-mib.stderr"), 1)).toBe("IF-MIB::ifHCInOctets.1: Unknown Object Identifier")
    expect(snmpgetError("", 3)).toBe("snmpget exited with code 3")
  })

  it("reads each type word snmpget prints as the library's type name", () => {
    expect(parseValue("Unsigned32: 7")).toEqual({ ok: true, type: "Gauge32", value: 7n })
    expect(parseValue("UInteger32: 8")).toEqual({ ok: true, type: "Gauge32", value: 8n })
    expect(parseValue("Gauge32: 9")).toEqual({ ok: true, type: "Gauge32", value: 9n })
    expect(parseValue("Hex-STRING: 31 32")).toEqual({ ok: false, error: "value is a string, not a number (31 32)", text: "31 32" })
    expect(parseValue("IpAddress: 10.0.0.1")).toEqual({ ok: false, error: "value of type IpAddress is not a number" })
    expect(parseValue("No more variables left in this MIB View (It is past the end of the MIB tree)")).toEqual({
      ok: false,
      error: "endOfMibView",
    })
  })

  it("integers: the number first, else an enum's number in parentheses", () => {
    expect(parseValue("INTEGER: -5")).toEqual({ ok: true, type: "Integer", value: -5n })
    expect(parseValue("INTEGER: ipv6(2)")).toEqual({ ok: true, type: "Integer", value: 2n })
    expect(parseValue("INTEGER: other(12)")).toEqual({ ok: true, type: "Integer", value: 12n })
    expect(parseValue("INTEGER: unknown")).toEqual({ ok: false, error: "value of type INTEGER is not a number" })
  })

  it("time ticks: (ticks) first, or a bare number; a time of day alone is not a value", () => {
    expect(parseValue("Timeticks: 71873")).toEqual({ ok: true, type: "TimeTicks", value: 71873n })
    for (const text of ["Timeticks: 0:11:58.73", "Timeticks: up (5)"])
      expect(parseValue(text)).toEqual({ ok: false, error: "value of type Timeticks is not a number" })
  })

  it("opaque floats: finite ones only", () => {
    expect(parseValue("Opaque: Float:0.5")).toEqual({ ok: true, type: "Opaque", value: 0.5 })
    expect(parseValue("Opaque: Double: -2.25")).toEqual({ ok: true, type: "Opaque", value: -2.25 })
    for (const text of ["Opaque: Float: nan", "Opaque: 9f 78 04"])
      expect(parseValue(text)).toEqual({ ok: false, error: "value of type Opaque is not a number" })
  })

  it("a value without a type word: an integer exactly, a float as a float, text is no value", () => {
    expect(parseValue(" 42")).toEqual({ ok: true, type: "Integer", value: 42n })
    expect(parseValue("1.5")).toEqual({ ok: true, type: "Integer", value: 1.5 })
    expect(parseValue("hello")).toEqual({ ok: false, error: "value is not a number" })
    // Net-SNMP's note for a type the MIB does not expect: not read as the type after it.
    expect(parseValue("Wrong Type (should be Counter32): Gauge32: 5")).toEqual({ ok: false, error: "value is not a number" })
  })

  it("a string's error quotes 40 characters at most", () => {
    expect(parseValue(`STRING: "${"x".repeat(60)}"`)).toMatchObject({
      ok: false,
      error: `value is a string, not a number ("${"x".repeat(39)})`,
    })
  })

  it("lines: OIDs with or without the leading dot, CRLF, a STRING's continuation lines are not values", () => {
    const out = [
      "1.3.6.1.2.1.1.5.0 = INTEGER: 3",
      '.1.3.6.1.2.1.1.1.0 = STRING: "17"\r',
      '.1.3.6.1.2.1.1.4.0 = STRING: "a',
      'see 1.3.6 = INTEGER: 4"',
      ".1.3.6.1.2.1.1.6.0 = STRING:",
    ]
    expect(parseSnmpgetOutput(out.join("\n"))).toEqual([
      { oid: "1.3.6.1.2.1.1.5.0", reading: { ok: true, type: "Integer", value: 3n } },
      { oid: "1.3.6.1.2.1.1.1.0", reading: { ok: true, type: "OctetString", value: 17, text: "17" } },
      { oid: "1.3.6.1.2.1.1.4.0", reading: { ok: false, error: 'value is a string, not a number ("a)', text: '"a' } },
      { oid: "1.3.6.1.2.1.1.6.0", reading: { ok: false, error: "value is a string, not a number ()", text: "" } },
    ])
  })

  it("the reason after Reason: with its spaces", () => {
    expect(snmpgetError("Error in packet\nReason:  (tooBig) Response message would have been too large.\n", 2)).toBe(
      "(tooBig) Response message would have been too large.",
    )
  })

  it("a STRING's text: the quotes around it go, spaces inside stay; a DisplayString printed bare keeps its own quotes", () => {
    // Without a MIB snmpget quotes a STRING; with the MIB's DisplayString hint it prints the text bare.
    expect(parseValue('STRING: "eth0 uplink"')).toMatchObject({ ok: false, text: "eth0 uplink" })
    expect(parseValue('STRING: say "hi"')).toMatchObject({ ok: false, text: 'say "hi"' })
    expect(parseValue('STRING: "quoted" word')).toMatchObject({ ok: false, text: '"quoted" word' })
    expect(parseValue('STRING: " 42 "')).toEqual({ ok: true, type: "OctetString", value: 42, text: " 42 " })
  })

  it("stderr lines are trimmed: CRLF (snmpget behind ssh -t) and blank lines of spaces", () => {
    expect(snmpgetError("Error in packet\r\nReason: (noSuchName) There is no such variable name in this MIB.\r\n", 2)).toBe(
      "(noSuchName) There is no such variable name in this MIB.",
    )
    expect(snmpgetError("  \r\nTimeout: No Response from 127.0.0.1:1.\r\n", 1)).toBe("Timeout: No Response from 127.0.0.1:1.")
    expect(snmpgetError("   \n\t\n", 1)).toBe("snmpget exited with code 1")
  })
})
