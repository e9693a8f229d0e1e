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
