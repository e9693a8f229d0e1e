import { describe, expect, it } from "bun:test"
import { RateTracker } from "../../core/rate.ts"
import { decodeCounter64, isNumericOid, normaliseOid, numberFromText } from "./value.ts"
import { decodeOpaqueFloat, readingFromVarbind } from "./varbind.ts"
import { valueSetOf, valueSetOfRows } from "./index.ts"

/** A Counter64 as net-snmp hands it over: the minimal big-endian bytes of the BER integer. */
function counter64Buffer(value: bigint): Buffer {
  let hex = value.toString(16)
  if (hex.length % 2) hex = "0" + hex
  // BER keeps integers positive with a leading 0x00 when the top bit is set.
  if (/^[89a-f]/.test(hex)) hex = "00" + hex
  return Buffer.from(hex, "hex")
}

describe("OIDs", () => {
  it("accepts numeric OIDs with iso. or a leading dot and normalises them", () => {
    for (const oid of ["iso.3.6.1.2.1.16.1.1.1.4.1", ".1.3.6.1.2.1.16.1.1.1.4.1", "1.3.6.1.2.1.16.1.1.1.4.1"]) {
      expect(isNumericOid(oid)).toBe(true)
      expect(normaliseOid(oid)).toBe("1.3.6.1.2.1.16.1.1.1.4.1")
    }
  })
  it("tells symbolic OIDs apart", () => {
    expect(isNumericOid("IF-MIB::ifHCInOctets.1")).toBe(false)
    expect(isNumericOid("sysUpTime.0")).toBe(false)
    expect(isNumericOid("isotope.1")).toBe(false)
  })
})

describe("Counter64", () => {
  it("decodes big-endian buffers exactly, beyond 2^53", () => {
    expect(decodeCounter64(counter64Buffer(2n ** 64n - 1n))).toBe(18446744073709551615n)
    expect(decodeCounter64(counter64Buffer(2n ** 53n + 1n))).toBe(9007199254740993n)
    expect(decodeCounter64(Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(2n ** 64n - 1n)
    expect(decodeCounter64(Buffer.from([0x05]))).toBe(5n)
    expect(decodeCounter64(Buffer.alloc(0))).toBe(0n)
  })
  it("becomes a reading of type Counter64", () => {
    expect(readingFromVarbind({ oid: "1.3", type: 70, value: counter64Buffer(2n ** 63n) })).toEqual({
      ok: true,
      type: "Counter64",
      value: 2n ** 63n,
    })
  })
})

describe("varbinds", () => {
  it("maps errors and types", () => {
    expect(readingFromVarbind({ oid: "1.3", type: 128, value: null })).toMatchObject({
      ok: false,
      error: expect.stringContaining("noSuchObject"),
    })
    expect(readingFromVarbind({ oid: "1.3", type: 129, value: null })).toMatchObject({
      ok: false,
      error: expect.stringContaining("noSuchInstance"),
    })
    expect(readingFromVarbind({ oid: "1.3", type: 65, value: 4294967295 })).toEqual({ ok: true, type: "Counter32", value: 4294967295n })
    expect(readingFromVarbind({ oid: "1.3", type: 67, value: 12868 })).toEqual({ ok: true, type: "TimeTicks", value: 12868n })
    expect(readingFromVarbind({ oid: "1.3", type: 4, value: Buffer.from("42.5") })).toEqual({
      ok: true,
      type: "OctetString",
      value: 42.5,
      text: "42.5",
    })
    expect(readingFromVarbind({ oid: "1.3", type: 4, value: Buffer.from("pollect test agent") })).toMatchObject({
      ok: false,
      error: expect.stringContaining("string"),
    })
  })
  it("every type the library reports: numbers exactly, the rest named in the error", () => {
    const read = (type: number, value: unknown) =>
      readingFromVarbind({ oid: "1.3", type, value } as Parameters<typeof readingFromVarbind>[0])
    const notNumber = (name: string) => ({ ok: false as const, error: `value of type ${name} is not a number` })
    expect(read(1, true)).toEqual({ ok: true, type: "Boolean", value: 1n })
    expect(read(1, false)).toEqual({ ok: true, type: "Boolean", value: 0n })
    expect(read(2, -3)).toEqual({ ok: true, type: "Integer", value: -3n })
    expect(read(66, 7)).toEqual({ ok: true, type: "Gauge32", value: 7n })
    expect(read(4, "7")).toEqual({ ok: true, type: "OctetString", value: 7, text: "7" })
    expect(read(2, Buffer.from([1]))).toEqual(notNumber("Integer"))
    expect(read(70, 5)).toEqual(notNumber("Counter64"))
    expect(read(5, null)).toEqual(notNumber("Null"))
    expect(read(6, "1.3.6.1")).toEqual(notNumber("OID"))
    expect(read(64, Buffer.from([10, 0, 0, 1]))).toEqual(notNumber("IpAddress"))
    expect(read(68, Buffer.from([1, 2, 3]))).toEqual(notNumber("Opaque"))
    expect(read(68, 0.5)).toEqual(notNumber("Opaque"))
    expect(read(99, 1)).toEqual(notNumber("type 99"))
    expect(read(128, null)).toEqual({ ok: false, error: "noSuchObject (the agent does not implement this OID)" })
    expect(read(129, null)).toEqual({ ok: false, error: "noSuchInstance (no value at this index)" })
    expect(read(130, null)).toEqual({ ok: false, error: "endOfMibView" })
    expect(read(4, Buffer.from("x".repeat(60)))).toMatchObject({
      ok: false,
      error: `value is a string, not a number ("${"x".repeat(40)}")`,
    })
    const float = Buffer.from([0x9f, 0x78, 0x04, 0, 0, 0, 0])
    float.writeFloatBE(1.5, 3)
    expect(read(68, float)).toEqual({ ok: true, type: "Opaque", value: 1.5 })
  })

  it("opaque floats: exactly 9f 78 04 + float32 or 9f 79 08 + float64, nothing else", () => {
    const single = Buffer.from([0x9f, 0x78, 0x04, 0, 0, 0, 0])
    single.writeFloatBE(0.25, 3)
    const double = Buffer.from([0x9f, 0x79, 0x08, 0, 0, 0, 0, 0, 0, 0, 0])
    double.writeDoubleBE(0.1, 3)
    expect([decodeOpaqueFloat(single), decodeOpaqueFloat(double)]).toEqual([0.25, 0.1])
    const changed = (bytes: Buffer, at: number, value: number) => {
      const copy = Buffer.from(bytes)
      copy[at] = value
      return copy
    }
    for (const bytes of [
      changed(single, 0, 0x9e),
      changed(single, 1, 0x79),
      changed(single, 2, 8),
      single.subarray(0, 6),
      Buffer.concat([single, Buffer.from([0])]),
      changed(double, 0, 0x9e),
      changed(double, 1, 0x78),
      changed(double, 2, 4),
      double.subarray(0, 10),
      Buffer.concat([double, Buffer.from([0])]),
    ])
      expect(decodeOpaqueFloat(bytes)).toBeUndefined()
  })

  it("decodes Net-SNMP's opaque floats", () => {
    const bytes = Buffer.from([0x9f, 0x78, 0x04, 0, 0, 0, 0])
    bytes.writeFloatBE(0.25, 3)
    expect(decodeOpaqueFloat(bytes)).toBe(0.25)
    expect(decodeOpaqueFloat(Buffer.from([1, 2, 3]))).toBeUndefined()
  })
  it("reads numbers from text", () => {
    expect(numberFromText(' "17" ')).toBe(17)
    expect(numberFromText("1e3")).toBe(1000)
    expect(numberFromText("up")).toBeUndefined()
  })
  it("numbers in text: a sign, a fraction, an exponent; spaces inside the quotes; nothing else around", () => {
    const read = ["-5", "+5", ".55", "0.5", "1e-3", "2.5E+10", "4e12", '" 17 "']
    expect(read.map(numberFromText)).toEqual([-5, 5, 0.55, 0.5, 0.001, 2.5e10, 4e12, 17])
    for (const text of ["abc5", "5abc", "5 W", '"1"7"', "", "-", "1e", "0x10"]) expect(numberFromText(text)).toBeUndefined()
  })
  it("OIDs with spaces around are numeric and trimmed; a bare iso is 1", () => {
    expect(isNumericOid(" 1.3.6.1.2.1.1.3.0 ")).toBe(true)
    expect(normaliseOid(" .1.3.6.1.2.1.1.3.0 ")).toBe("1.3.6.1.2.1.1.3.0")
    expect(normaliseOid("iso")).toBe("1")
  })
})

describe("rates through core/rate.ts", () => {
  const rateMetric = { name: "throughput", oids: ["1.3.6.1.2.1.31.1.1.1.6.1"], mode: "rate" as const }
  function tracker() {
    let now = 0
    const rates = new RateTracker(() => now)
    const probe = (type: number, value: unknown, atMs: number) => {
      now = atMs
      const reading = readingFromVarbind({ oid: rateMetric.oids[0]!, type, value })
      return valueSetOf(rateMetric, [reading], (oid, r) => rates.rate(oid, r.value, { bits: r.type === "Counter64" ? 64 : 32 }))
    }
    return probe
  }

  it("wraps a Counter64 at 2^64", () => {
    const probe = tracker()
    expect(probe(70, counter64Buffer(2n ** 64n - 1000n), 0)).toBeUndefined()
    const set = probe(70, counter64Buffer(1000n), 10_000)
    expect(set?.values[0]?.value).toBe(200) // 2000 in 10 s
    expect(set?.unit).toBe("per_second")
  })

  it("valueSetOf sums the good readings only", () => {
    const raw = { name: "sum", oids: ["1.3.1", "1.3.2"], mode: "raw" as const }
    const set = valueSetOf(
      raw,
      [
        { ok: true, type: "Integer", value: 5n },
        { ok: false, error: "noSuchObject" },
      ],
      () => undefined,
    )
    expect(set?.values.map((value) => value.value)).toEqual([5])
  })

  it("wraps a Counter32 at 2^32", () => {
    const probe = tracker()
    probe(65, 2 ** 32 - 100, 0)
    expect(probe(65, 400, 5_000)?.values[0]?.value).toBe(100)
  })

  it("takes an agent restart (counter back near zero) as a reset, not a huge rate", () => {
    const probe = tracker()
    probe(70, counter64Buffer(5_000_000n), 0)
    expect(probe(70, counter64Buffer(12n), 10_000)).toBeUndefined()
    expect(probe(70, counter64Buffer(112n), 20_000)?.values[0]?.value).toBe(10)
  })

  it("sums the rates of several OIDs, each with its own wrap-around", () => {
    let now = 0
    const rates = new RateTracker(() => now)
    const m = { name: "sum", oids: ["1.1", "1.2"], mode: "rate" as const }
    const rateOf = (oid: string, r: { type: string; value: bigint | number }) =>
      rates.rate(oid, r.value, { bits: r.type === "Counter64" ? 64 : 32 })
    valueSetOf(
      m,
      [
        readingFromVarbind({ oid: "1.1", type: 65, value: 2 ** 32 - 10 }),
        readingFromVarbind({ oid: "1.2", type: 70, value: counter64Buffer(100n) }),
      ],
      rateOf,
    )
    now = 1000
    const set = valueSetOf(
      m,
      [readingFromVarbind({ oid: "1.1", type: 65, value: 10 }), readingFromVarbind({ oid: "1.2", type: 70, value: counter64Buffer(150n) })],
      rateOf,
    )
    expect(set?.values[0]?.value).toBe(20 + 50)
  })
})

describe("rates of an OID listed twice", () => {
  it("keeps one baseline per position, so the rate is emitted (doubled)", () => {
    let now = 0
    const rates = new RateTracker(() => now)
    const m = { name: "twice", oids: ["1.1", "1.1"], mode: "rate" as const }
    const rateOf = (key: string, r: { type: string; value: bigint | number }) => rates.rate(key, r.value, { bits: 32 })
    const reading = (value: number) => readingFromVarbind({ oid: "1.1", type: 65, value })
    expect(valueSetOf(m, [reading(100), reading(100)], rateOf)).toBeUndefined()
    now = 2000
    expect(valueSetOf(m, [reading(300), reading(300)], rateOf)?.values[0]?.value).toBe(200)
  })
})

describe("rates of labelled rows", () => {
  it("a row's labels and an OID's position never glue into another row's key (labels a at position 10, a1 at 0)", () => {
    let now = 0
    const rates = new RateTracker(() => now)
    const m = { name: "glued", mode: "rate" as const }
    const rateOf = (key: string, r: { type: string; value: bigint | number }) => rates.rate(key, r.value, { bits: 32 })
    const oids = Array.from({ length: 11 }, () => "1.1")
    const rows = (a: number, b: number) =>
      [
        ["a", a],
        ["a1", b],
      ].map(([label, value]) => ({
        labels: [label as string],
        oids,
        readings: oids.map(() => ({ ok: true as const, type: "Counter32", value: BigInt(value as number) })),
      }))
    expect(valueSetOfRows(m, ["if"], rows(1000, 5000), rateOf)).toBeUndefined()
    now = 1000
    const set = valueSetOfRows(m, ["if"], rows(1100, 5050), rateOf)
    expect(set?.values.map((value) => [value.labelValues, value.value])).toEqual([
      [["a"], 11 * 100],
      [["a1"], 11 * 50],
    ])
  })

  it("two label values never glue into another row's (a|bc and ab|c)", () => {
    let now = 0
    const rates = new RateTracker(() => now)
    const m = { name: "glued", mode: "rate" as const }
    const rateOf = (key: string, r: { type: string; value: bigint | number }) => rates.rate(key, r.value, { bits: 32 })
    const rows = (a: number, b: number) =>
      [
        [["a", "bc"], a],
        [["ab", "c"], b],
      ].map(([labels, value]) => ({
        labels: labels as string[],
        oids: ["1.1"],
        readings: [{ ok: true as const, type: "Counter32", value: BigInt(value as number) }],
      }))
    expect(valueSetOfRows(m, ["if", "x"], rows(1000, 5000), rateOf)).toBeUndefined()
    now = 1000
    const set = valueSetOfRows(m, ["if", "x"], rows(1100, 5050), rateOf)
    expect(set?.values.map((value) => [value.labelValues, value.value])).toEqual([
      [["a", "bc"], 100],
      [["ab", "c"], 50],
    ])
  })
})

describe("raw values", () => {
  it("sums OIDs exactly and marks all-counter sums as counters", () => {
    const m = { name: "octets", oids: ["1.1", "1.2"], mode: "raw" as const }
    const set = valueSetOf(
      m,
      [
        readingFromVarbind({ oid: "1.1", type: 70, value: counter64Buffer(2n ** 40n) }),
        readingFromVarbind({ oid: "1.2", type: 65, value: 5 }),
      ],
      () => undefined,
    )
    expect(set?.values[0]).toEqual({ value: 2 ** 40 + 5, labelValues: [], name: "octets" })
    expect(set?.kind).toBe("counter")
    const gauge = valueSetOf(
      m,
      [readingFromVarbind({ oid: "1.1", type: 2, value: 42 }), readingFromVarbind({ oid: "1.2", type: 66, value: 4 })],
      () => undefined,
    )
    expect(gauge?.values[0]?.value).toBe(46)
    expect(gauge?.kind).toBe("gauge")
  })
})
