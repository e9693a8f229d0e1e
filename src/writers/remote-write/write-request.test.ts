import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import protobuf from "protobufjs"
import { encodeLabels, varintLength, WriteRequestEncoder } from "./write-request.ts"

/** Prometheus' own definitions (testdata/proto, gogoproto options stripped) decode what we encode. */
const WriteRequest = protobuf.loadSync(join(import.meta.dir, "testdata/proto/remote.proto")).lookupType("prometheus.WriteRequest")

const decode = (bytes: Uint8Array) =>
  (
    WriteRequest.toObject(WriteRequest.decode(bytes), { longs: Number, defaults: true }) as {
      timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[]
    }
  ).timeseries.map(({ labels, samples }) => ({ labels, samples }))

describe("WriteRequest encoding", () => {
  it("decodes with protobufjs and Prometheus' remote.proto as written: labels, values, ms timestamps", () => {
    const request = new WriteRequestEncoder()
    request.add(
      encodeLabels([
        ["__name__", "up"],
        ["job", "pollect"],
      ]),
      1,
      1_700_000_000_123,
    )
    request.add(
      encodeLabels([
        ["__name__", "temp"],
        ["room", "Küche"],
      ]),
      -21.5,
      0,
    )
    request.add(encodeLabels([["__name__", "x"]]), Number.POSITIVE_INFINITY, 1)
    expect(request.samples).toBe(3)
    expect(decode(request.bytes())).toEqual([
      {
        labels: [
          { name: "__name__", value: "up" },
          { name: "job", value: "pollect" },
        ],
        samples: [{ value: 1, timestamp: 1_700_000_000_123 }],
      },
      {
        labels: [
          { name: "__name__", value: "temp" },
          { name: "room", value: "Küche" },
        ],
        samples: [{ value: -21.5, timestamp: 0 }],
      },
      { labels: [{ name: "__name__", value: "x" }], samples: [{ value: Number.POSITIVE_INFINITY, timestamp: 1 }] },
    ])
  })

  it("encodes the same bytes as protobufjs does for the same message (one canonical encoding)", () => {
    const request = new WriteRequestEncoder()
    const labels = [
      ["__name__", "a_b"],
      ["z", "v".repeat(200)],
    ] as const
    request.add(encodeLabels(labels), 0.1, 1_234_567_890_123)
    const theirs = WriteRequest.encode(
      WriteRequest.create({
        timeseries: [{ labels: labels.map(([name, value]) => ({ name, value })), samples: [{ value: 0.1, timestamp: 1_234_567_890_123 }] }],
      }),
    ).finish()
    expect(Buffer.from(request.bytes()).toString("hex")).toBe(Buffer.from(theirs).toString("hex"))
  })

  const theirs = (series: { labels: (readonly [string, string])[]; value: number; timestamp: number }[]) =>
    Buffer.from(
      WriteRequest.encode(
        WriteRequest.create({
          timeseries: series.map(({ labels, value, timestamp }) => ({
            labels: labels.map(([name, value]) => ({ name, value })),
            samples: [{ value, timestamp }],
          })),
        }),
      ).finish(),
    ).toString("hex")

  /** The two encodings as hex, compared from the first byte that differs (not megabytes of hex). */
  const sameBytes = (ours: Uint8Array, theirsHex: string) => {
    const oursHex = Buffer.from(ours).toString("hex")
    let i = 0
    while (i < oursHex.length && oursHex[i] === theirsHex[i]) i++
    expect({ at: i / 2, ours: oursHex.slice(i, i + 40) }).toEqual({ at: i / 2, ours: theirsHex.slice(i, i + 40) })
    expect(oursHex.length).toBe(theirsHex.length)
  }

  it("the same bytes as protobufjs around every varint boundary: label and series lengths 1–300, timestamps 1 to 2^53", () => {
    // Lengths of exactly 127/128 (one or two varint bytes) for a label name, its Label and the
    // TimeSeries. (protobufjs leaves out zero values, so none are used here.)
    for (const timestamp of [1, 127, 128, 16_383, 16_384, 1_700_000_000_123, 2 ** 53 - 1]) {
      const request = new WriteRequestEncoder()
      const series = []
      for (let k = 1; k <= 300; k++) {
        const labels = [["n".repeat(k), "v"] as const]
        series.push({ labels: [...labels], value: k, timestamp })
        request.add(encodeLabels(labels), k, timestamp)
      }
      sameBytes(request.bytes(), theirs(series))
    }
  })

  it("timestamp 0 is the one-byte varint 0 (not a 10-byte negative int64)", () => {
    const request = new WriteRequestEncoder()
    request.add(encodeLabels([["__name__", "z"]]), 1, 0)
    // timeseries (len 28): label (len 13) { name "__name__", value "z" }, sample (len 11) { 1.0, ts 0 }
    expect(Buffer.from(request.bytes()).toString("hex")).toBe(
      `0a1c0a0d0a08${Buffer.from("__name__").toString("hex")}12017a120b09000000000000f03f1000`,
    )
  })

  it("timestamps before 1970 are int64 two's complement: 10 bytes, as protobufjs writes them", () => {
    const request = new WriteRequestEncoder()
    const labels = [["__name__", "old"]] as const
    request.add(encodeLabels(labels), 1, -1)
    request.add(encodeLabels(labels), 2, -86_400_000)
    sameBytes(
      request.bytes(),
      theirs([
        { labels: [...labels], value: 1, timestamp: -1 },
        { labels: [...labels], value: 2, timestamp: -86_400_000 },
      ]),
    )
  })

  it("a series that fills the buffer to its last byte, or a few bytes more, grows it without losing a byte", () => {
    // The buffer starts at 64 KiB: fill it to within a few hundred bytes, then add a series whose
    // encoding ends exactly at its end, or 1, 2, 7 bytes past it.
    const size = (k: number) => {
      const one = new WriteRequestEncoder()
      one.add(encodeLabels([["__name__", "l".repeat(k)]]), 42, 1000)
      return one.bytes().length
    }
    for (const over of [0, 1, 2, 7]) {
      const request = new WriteRequestEncoder()
      const series = []
      const filler = [["__name__", "f".repeat(90)]] as const
      for (let i = 1; request.bytes().length < 65536 - 400; i++) {
        request.add(encodeLabels(filler), i, 1000)
        series.push({ labels: [...filler], value: i, timestamp: 1000 })
      }
      const room = 65536 - request.bytes().length + over
      let k = 1
      while (size(k) < room) k++
      expect(size(k)).toBe(room)
      const last = [["__name__", "l".repeat(k)]] as const
      request.add(encodeLabels(last), 42, 1000)
      series.push({ labels: [...last], value: 42, timestamp: 1000 })
      expect(request.bytes().length).toBe(65536 + over)
      sameBytes(request.bytes(), theirs(series))
    }
  })

  it("one series larger than twice the buffer (a 300 KB label value)", () => {
    const request = new WriteRequestEncoder()
    const labels = [
      ["__name__", "big"],
      ["v", "x".repeat(300_000)],
    ] as const
    request.add(encodeLabels(labels), 1, 2)
    request.add(encodeLabels(labels), 3, 4)
    sameBytes(
      request.bytes(),
      theirs([
        { labels: [...labels], value: 1, timestamp: 2 },
        { labels: [...labels], value: 3, timestamp: 4 },
      ]),
    )
  })

  it("the staleness marker's 8 bytes are 0x7ff0000000000002, little-endian", () => {
    const request = new WriteRequestEncoder()
    request.addStale(encodeLabels([["__name__", "gone"]]), 5)
    const hex = Buffer.from(request.bytes()).toString("hex")
    expect(hex).toContain("09020000000000f07f1005")
  })

  it("grows its buffer for large requests, and reset() starts a new one", () => {
    const request = new WriteRequestEncoder()
    const labels = encodeLabels([["__name__", "n".repeat(1000)]])
    for (let i = 0; i < 200; i++) request.add(labels, i, i)
    expect(decode(request.bytes())).toHaveLength(200)
    request.reset()
    expect(request.bytes().length).toBe(0)
    request.add(labels, 7, 7)
    expect(decode(request.bytes()).map((t) => t.samples[0]!.value)).toEqual([7])
  })

  it("varint lengths", () => {
    expect([0, 127, 128, 16383, 16384, 2 ** 35].map(varintLength)).toEqual([1, 1, 2, 2, 3, 6])
  })
})
