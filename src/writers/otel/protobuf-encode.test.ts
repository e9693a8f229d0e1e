import { describe, expect, it } from "bun:test"
import { otlpRoot } from "./fake-collector.ts"
import type { MetricInfo, Point } from "./points.ts"
import { decimalNanos, encodeRequestProto, fixed64Nanos, ReverseWriter, type RequestHead } from "./protobuf-encode.ts"

/** protobufjs' plain-object form (as in fake-collector): int64 as decimal strings, defaults left out. */
const AS_OBJECT = { longs: String, enums: Number, defaults: false, oneofs: false }

async function requestType() {
  return (await otlpRoot()).lookupType("opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest")
}

/**
 * Decodes `bytes` with the official schema and checks that protobufjs, encoding what it decoded,
 * writes the very same bytes: the fields are in field-number order, the varints minimal, no
 * field is doubled or left over.
 */
async function decode(bytes: Uint8Array): Promise<any> {
  const type = await requestType()
  const message = type.decode(bytes)
  expect(Buffer.from(type.encode(message).finish()).toString("hex")).toBe(Buffer.from(bytes).toString("hex"))
  return type.toObject(message, AS_OBJECT)
}

const gauge: MetricInfo = { name: "load.avg.1m", unit: "1", description: "Load average", monotonic: false }
const counter: MetricInfo = { name: "net.rx", unit: "By", description: "Bytes received", monotonic: true }
const bare: MetricInfo = { name: "bare", unit: "", description: "", monotonic: false }
const head: RequestHead = { resource: ["service.name", "pollect", "host.name", "box"], scopeName: "pollect", scopeVersion: "1.2.3" }

const T = 1_764_650_000.123456 // 2025-12-02, microseconds
const nsOf = (s: number) => decimalNanos(s)

describe("fixed64Nanos / decimalNanos", () => {
  it("convert Unix seconds to nanoseconds, rounded to the microsecond", () => {
    expect(decimalNanos(T)).toBe("1764650000123456000")
    expect(decimalNanos(1.0000004)).toBe("1000000000")
    expect(decimalNanos(1.0000006)).toBe("1000001000")
    expect(decimalNanos(0)).toBe("0")
    const { lo, hi } = fixed64Nanos(T)
    expect((BigInt(hi) << 32n) + BigInt(lo)).toBe(1764650000123456000n)
    expect(hi).toBe(Number(1764650000123456000n >> 32n))
    expect(lo).toBe(Number(1764650000123456000n & 0xffffffffn))
    expect(fixed64Nanos(1.0000006)).toEqual({ lo: 1000001000, hi: 0 })
    // a low half with its top bit set stays unsigned
    expect(fixed64Nanos(4.294967295)).toEqual({ lo: 4294967000, hi: 0 })
  })
})

describe("ReverseWriter", () => {
  it("writes varints minimal and little-endian groups first, at every size up to 2^32", () => {
    const cases: [number, string][] = [
      [0, "00"],
      [1, "01"],
      [127, "7f"],
      [128, "8001"],
      [300, "ac02"],
      [16383, "ff7f"],
      [16384, "808001"],
      [2097151, "ffff7f"],
      [2097152, "80808001"],
      [268435455, "ffffff7f"],
      [268435456, "8080808001"],
      [0xffffffff, "ffffffff0f"],
    ]
    for (const [value, hex] of cases) {
      const w = new ReverseWriter(16)
      w.varint(value)
      expect([value, Buffer.from(w.result()).toString("hex")]).toEqual([value, hex])
      expect(w.length).toBe(hex.length / 2)
    }
  })

  it("writes back to front: the last write comes first", () => {
    const w = new ReverseWriter(32)
    w.varint(1)
    w.varint(300)
    w.fixed64(0x04030201, 0x08070605)
    w.double(1.5)
    w.bytes(new Uint8Array([0xaa, 0xbb]))
    expect(Buffer.from(w.result()).toString("hex")).toBe("aabb" + "000000000000f83f" + "0102030405060708" + "ac02" + "01")
    expect(w.length).toBe(21)
    w.reset()
    expect(w.length).toBe(0)
    expect(w.result().length).toBe(0)
  })

  it("grows as needed, keeping what was written (from a one-byte buffer)", () => {
    const w = new ReverseWriter(1)
    w.varint(5)
    w.varint(6) // 1-byte varint into a full buffer
    expect(Buffer.from(w.result()).toString("hex")).toBe("0605")
    w.fixed64(1, 2)
    w.double(-2)
    w.varint(1000)
    w.utf8("abc")
    w.bytes(new Uint8Array(100).fill(7))
    const out = w.result()
    expect(out.length).toBe(100 + 3 + 2 + 8 + 8 + 2)
    expect(Buffer.from(out.subarray(100)).toString("hex")).toBe("616263" + "e807" + "00000000000000c0" + "0100000002000000" + "0605")
    expect(out.subarray(0, 100).every((b) => b === 7)).toBe(true)
    expect(w.buf.length).toBeGreaterThanOrEqual(out.length)
    expect(w.pos).toBe(w.buf.length - out.length)
    // the view follows the grown buffer
    w.double(3)
    expect(w.result().subarray(0, 8)).toEqual(new Uint8Array([0, 0, 0, 0, 0, 0, 8, 0x40]))
  })

  it("grows only when a write does not fit, to the smallest doubling that holds it", () => {
    const fits = new ReverseWriter(8)
    fits.bytes(new Uint8Array(8))
    expect(fits.buf.length).toBe(8)
    fits.reset()
    fits.double(1)
    expect(fits.buf.length).toBe(8)
    const grows = new ReverseWriter(8)
    grows.varint(1)
    grows.bytes(new Uint8Array(15))
    expect(grows.buf.length).toBe(16)
    grows.bytes(new Uint8Array(16))
    expect(grows.buf.length).toBe(32)
    expect(grows.length).toBe(32)
  })

  it("grows by more than double when one write needs it", () => {
    const w = new ReverseWriter(4)
    w.varint(9)
    w.bytes(new Uint8Array(40).fill(1))
    expect(w.length).toBe(41)
    expect(w.result()[40]).toBe(9)
    expect(
      w
        .result()
        .subarray(0, 40)
        .every((b) => b === 1),
    ).toBe(true)
  })

  it("writes UTF-8: ASCII by hand, anything else through TextEncoder", () => {
    for (const text of ["", "a", "plain-ascii_123", "Temp °C", "naïve", "日本", "emoji 🎉 end", "\x7f", "\x80"]) {
      const w = new ReverseWriter(2)
      w.varint(1)
      w.utf8(text)
      const expected = Buffer.concat([Buffer.from(text, "utf8"), Buffer.from([1])])
      expect(Buffer.from(w.result()).toString("hex")).toBe(expected.toString("hex"))
    }
  })

  it("string() skips the empty string, stringAlways() writes it with a zero length", () => {
    const w = new ReverseWriter(8)
    w.string(3, "")
    expect(w.length).toBe(0)
    w.stringAlways(3, "")
    expect(Buffer.from(w.result()).toString("hex")).toBe("1a00")
    w.reset()
    w.string(2, "hi")
    expect(Buffer.from(w.result()).toString("hex")).toBe("12026869")
    w.reset()
    const long = "x".repeat(200)
    w.string(1, long)
    expect(Buffer.from(w.result().subarray(0, 3)).toString("hex")).toBe("0ac801")
    expect(w.length).toBe(203)
    w.reset()
    w.string(1, "é")
    expect(Buffer.from(w.result()).toString("hex")).toBe("0a02c3a9")
  })

  it("close() prefixes what was written since `end` with its length and the field's tag", () => {
    const w = new ReverseWriter(8)
    w.varint(42) // before: not part of the field
    const end = w.length
    w.bytes(new Uint8Array(130))
    w.close(15, end)
    expect(Buffer.from(w.result().subarray(0, 3)).toString("hex")).toBe("7a8201")
    expect(w.length).toBe(3 + 130 + 1)
  })
})

describe("encodeRequestProto", () => {
  it("encodes resource, scope, a gauge and a cumulative monotonic sum as the official schema reads them", async () => {
    const points: Point[] = [
      { metric: gauge, attributes: ["host", "a", "cpu", "0"], time: T, start: Number.NaN, value: 0.5 },
      { metric: counter, attributes: ["if", "eth0"], time: T, start: T - 60, value: 1234 },
      { metric: gauge, attributes: [], time: T + 10, start: Number.NaN, value: -2.25 },
      { metric: counter, attributes: ["if", "lo"], time: T, start: T, value: 7 },
    ]
    const w = new ReverseWriter()
    const decoded = await decode(encodeRequestProto(w, head, points))
    expect(decoded).toEqual({
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: "service.name", value: { stringValue: "pollect" } },
              { key: "host.name", value: { stringValue: "box" } },
            ],
          },
          scopeMetrics: [
            {
              scope: { name: "pollect", version: "1.2.3" },
              metrics: [
                {
                  name: "load.avg.1m",
                  description: "Load average",
                  unit: "1",
                  gauge: {
                    dataPoints: [
                      {
                        attributes: [
                          { key: "host", value: { stringValue: "a" } },
                          { key: "cpu", value: { stringValue: "0" } },
                        ],
                        timeUnixNano: nsOf(T),
                        asDouble: 0.5,
                      },
                      { timeUnixNano: nsOf(T + 10), asDouble: -2.25 },
                    ],
                  },
                },
                {
                  name: "net.rx",
                  description: "Bytes received",
                  unit: "By",
                  sum: {
                    dataPoints: [
                      {
                        attributes: [{ key: "if", value: { stringValue: "eth0" } }],
                        startTimeUnixNano: nsOf(T - 60),
                        timeUnixNano: nsOf(T),
                        asDouble: 1234,
                      },
                      {
                        attributes: [{ key: "if", value: { stringValue: "lo" } }],
                        startTimeUnixNano: nsOf(T),
                        timeUnixNano: nsOf(T),
                        asDouble: 7,
                      },
                    ],
                    aggregationTemporality: 2,
                    isMonotonic: true,
                  },
                },
              ],
            },
          ],
        },
      ],
    })
  })

  it("leaves out empty unit, description, scope version and attribute keys; keeps empty attribute values", async () => {
    const points: Point[] = [{ metric: bare, attributes: ["", "v", "k", ""], time: 1, start: Number.NaN, value: 0 }]
    const bytes = encodeRequestProto(new ReverseWriter(), { resource: [], scopeName: "s", scopeVersion: "" }, points)
    const decoded = await decode(bytes)
    expect(decoded).toEqual({
      resourceMetrics: [
        {
          resource: {},
          scopeMetrics: [
            {
              scope: { name: "s" },
              metrics: [
                {
                  name: "bare",
                  gauge: {
                    dataPoints: [
                      {
                        attributes: [{ value: { stringValue: "v" } }, { key: "k", value: { stringValue: "" } }],
                        timeUnixNano: "1000000000",
                        asDouble: 0,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    })
    // the empty value is still an AnyValue with string_value set (a present oneof member): 0a00
    expect(Buffer.from(bytes).toString("hex")).toContain("3a07" + "0a016b" + "12020a00")
  })

  it("an empty request still carries the resource and the scope", async () => {
    const decoded = await decode(encodeRequestProto(new ReverseWriter(), head, []))
    expect(decoded.resourceMetrics[0].scopeMetrics).toEqual([{ scope: { name: "pollect", version: "1.2.3" } }])
    expect(decoded.resourceMetrics[0].resource.attributes).toHaveLength(2)
  })

  it("converts each point's own times, whatever order they repeat in", async () => {
    const times = [T, T + 1, T, T + 2, T + 1, T + 1, T]
    const points: Point[] = times.map((time, i) => ({
      metric: counter,
      attributes: ["i", String(i)],
      time,
      start: times[(i + 3) % times.length]!,
      value: i,
    }))
    const decoded = await decode(encodeRequestProto(new ReverseWriter(), head, points))
    const dps = decoded.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints
    expect(dps.map((p: any) => [p.asDouble, p.timeUnixNano, p.startTimeUnixNano])).toEqual(
      points.map((p) => [p.value, nsOf(p.time), nsOf(p.start)]),
    )
  })

  it("reuses one writer: each request starts empty; a small writer grows to the same bytes", async () => {
    const many: Point[] = []
    for (let i = 0; i < 300; i++)
      many.push({
        metric: i % 2 ? counter : gauge,
        attributes: ["n", `v${i}`, "x", "ü".repeat(i % 5)],
        time: T + i,
        start: i % 2 ? T : Number.NaN,
        value: i * 1.5,
      })
    const big = new ReverseWriter()
    const first = Buffer.from(encodeRequestProto(big, head, many))
    const tiny = new ReverseWriter(1)
    expect(Buffer.from(encodeRequestProto(tiny, head, many))).toEqual(first)
    const small = Buffer.from(encodeRequestProto(big, head, many.slice(0, 1)))
    expect(Buffer.from(encodeRequestProto(new ReverseWriter(), head, many.slice(0, 1)))).toEqual(small)
    const decoded = await decode(first)
    const metrics = decoded.resourceMetrics[0].scopeMetrics[0].metrics
    expect(metrics.map((m: any) => m.name)).toEqual(["load.avg.1m", "net.rx"])
    expect(metrics[0].gauge.dataPoints).toHaveLength(150)
    expect(metrics[1].sum.dataPoints).toHaveLength(150)
    expect(metrics[1].sum.dataPoints[149].attributes[1].value.stringValue).toBe("ü".repeat(299 % 5))
  })

  it("a writer made with no room at all grows on the first write (it did not: 0 × 2 stayed 0, a loop forever)", () => {
    const w = new ReverseWriter(0)
    w.varint(300)
    expect([...w.result()]).toEqual([0xac, 0x02])
  })
})
