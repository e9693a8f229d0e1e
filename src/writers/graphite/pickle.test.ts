import { describe, expect, it } from "bun:test"
import { CARBON_MAX_PICKLE_BYTES, encodeFrames, encodePickleFrames, isPickleInt, PickleFrameEncoder } from "./pickle.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { concat, decodePickleFrames, unpickleFrames } from "../../../test/helpers/python-pickle.ts"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const T = 1508478781

function points(values: number[], path = (i: number) => `pollect.test.v${i}`) {
  return values.map((value, i) => ({ path: path(i), time: T, value }))
}

describe("pickle encoder, read back by Python's pickle.loads", () => {
  itWithTools(["python3"], "strings: ASCII, Latin-1, BMP and astral UTF-8 paths come back equal", async () => {
    const paths = ["pollect.loadavg.mid", "pollect.disk.Café_ü", "pollect.temp.温度", "pollect.emoji.😀x", "", "a".repeat(300)]
    const { frames } = encodePickleFrames(paths.map((path, i) => ({ path, time: T, value: i })))
    const decoded = await unpickleFrames(concat(frames))
    expect(decoded.points.map((p) => p[0])).toEqual(paths)
  })

  itWithTools(["python3"], "integers are Python ints with the exact value, at every width", async () => {
    const ints = [
      0,
      1,
      255,
      256,
      65535,
      65536,
      -1,
      -128,
      -129,
      -32769,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 32,
      2 ** 53,
      -(2 ** 53),
      2 ** 63,
      -(2 ** 63),
      2 ** 64,
      2 ** 64 + 2 ** 12,
      1e20,
      -1e20,
    ]
    const { frames } = encodePickleFrames(points(ints))
    const decoded = await unpickleFrames(concat(frames))
    const expected = [
      "0",
      "1",
      "255",
      "256",
      "65535",
      "65536",
      "-1",
      "-128",
      "-129",
      "-32769",
      "2147483647",
      "2147483648",
      "-2147483648",
      "-2147483649",
      "4294967296",
      "9007199254740992",
      "-9007199254740992",
      "9223372036854775808",
      "-9223372036854775808",
      "18446744073709551616",
      "18446744073709555712",
      "100000000000000000000",
      "-100000000000000000000",
    ]
    expect(decoded.repr).toEqual(expected.map((v, i) => `('pollect.test.v${i}', (${T}, ${v}))`))
    expect(decoded.points.every((p) => p[3] === "int")).toBe(true)
  })

  itWithTools(["python3"], "floats are Python floats with the same bits: 0.1, 1e300, -0.0, subnormals", async () => {
    const floats = [0.1, 1e300, -0.0, 1.5, -2.5e-300, 5e-324, Number.MAX_VALUE, 1 / 3, 1e21, -1.7976931348623157e308]
    const { frames } = encodePickleFrames(points(floats))
    const decoded = await unpickleFrames(concat(frames))
    const expected = [
      "0.1",
      "1e+300",
      "-0.0",
      "1.5",
      "-2.5e-300",
      "5e-324",
      "1.7976931348623157e+308",
      "0.3333333333333333",
      "1e+21",
      "-1.7976931348623157e+308",
    ]
    expect(decoded.repr).toEqual(expected.map((v, i) => `('pollect.test.v${i}', (${T}, ${v}))`))
    decoded.points.forEach((p, i) => expect(Object.is(p[2], floats[i])).toBe(true))
    expect(decoded.points.every((p) => p[3] === "float")).toBe(true)
  })

  itWithTools(["python3"], "timestamps: ints (also past 2038) and fractional seconds", async () => {
    const times = [0, T, 2 ** 31 + 5, 4102444800, 1508478781.25]
    const { frames } = encodePickleFrames(times.map((time, i) => ({ path: `p${i}`, time, value: 1 })))
    const decoded = await unpickleFrames(concat(frames))
    expect(decoded.repr).toEqual([
      "('p0', (0, 1))",
      `('p1', (${T}, 1))`,
      "('p2', (2147483653, 1))",
      "('p3', (4102444800, 1))",
      "('p4', (1508478781.25, 1))",
    ])
  })

  it("NaN and ±Infinity are dropped and counted, the rest is kept", () => {
    const { frames, dropped } = encodePickleFrames(points([1, NaN, Infinity, -Infinity, 2]))
    expect(dropped).toBe(3)
    expect(frames).toHaveLength(1)
  })

  itWithTools(["python3"], "frames above carbon's 1 MiB limit are split; every point arrives once, in order", async () => {
    const n = 40_000
    const long = (i: number) => `pollect.split.${"x".repeat(60)}.${i}`
    const { frames, dropped } = encodePickleFrames(Array.from({ length: n }, (_, i) => ({ path: long(i), time: T + i, value: i + 0.5 })))
    expect(dropped).toBe(0)
    expect(frames.length).toBeGreaterThan(2)
    const decoded = await unpickleFrames(concat(frames))
    expect(decoded.frames.every((size) => size <= CARBON_MAX_PICKLE_BYTES)).toBe(true)
    // Each frame but the last was filled close to the limit (no needless tiny frames).
    expect(decoded.frames.slice(0, -1).every((size) => size > CARBON_MAX_PICKLE_BYTES - 200)).toBe(true)
    expect(decoded.points).toHaveLength(n)
    decoded.points.forEach((p, i) => {
      expect(p[0]).toBe(long(i))
      expect(p[1]).toBe(T + i)
      expect(p[2]).toBe(i + 0.5)
    })
  })

  itWithTools(["python3"], "a point too large for any frame is dropped, not sent; its neighbours are", async () => {
    const { frames, dropped } = encodePickleFrames(
      [
        { path: "ok", time: T, value: 1 },
        { path: "x".repeat(2000), time: T, value: 1 },
        { path: "ok2", time: T, value: 2 },
      ],
      1000,
    )
    expect(dropped).toBe(1)
    const decoded = await unpickleFrames(concat(frames))
    expect(decoded.repr).toEqual([`('ok', (${T}, 1))`, `('ok2', (${T}, 2))`])
  })

  it("a frame never exceeds its limit, its 2-byte trailer included, whatever the limit and point sizes", () => {
    // One point of an n-character path: BINUNICODE 5 + n, time BININT 5, value BININT1 2, TUPLE2 × 2;
    // a frame is PROTO 2, ], ( (4 bytes), its points, then APPENDS and STOP (2 bytes).
    const point = (n: number) => ({ path: "p".repeat(n), time: T, value: 1 })
    expect(encodePickleFrames([point(10)], 4 + 24 + 2)).toMatchObject({ dropped: 0 })
    expect(encodePickleFrames([point(10)], 4 + 24 + 2).frames[0]).toHaveLength(4 + 30)
    // One or two bytes short: the point no longer fits with the trailer, so it is dropped.
    expect(encodePickleFrames([point(10)], 4 + 24 + 1)).toEqual({ frames: [], dropped: 1 })
    expect(encodePickleFrames([point(10)], 4 + 24)).toEqual({ frames: [], dropped: 1 })
    // Points of mixed sizes under every limit from 40 to 140 bytes: some frames land on the limit exactly.
    const mixed = Array.from({ length: 60 }, (_, i) => ({ path: `m${"x".repeat((i * 7) % 13)}`, time: T + i, value: i }))
    let exact = 0
    for (let limit = 40; limit <= 140; limit++) {
      const { frames, dropped } = encodePickleFrames(mixed, limit)
      expect(dropped).toBe(0)
      for (const frame of frames) {
        const payload = new DataView(frame.buffer, frame.byteOffset).getUint32(0, false)
        expect(payload).toBe(frame.length - 4)
        expect(payload).toBeLessThanOrEqual(limit)
        if (payload === limit) exact++
      }
      expect(decodePickleFrames(concat(frames))).toEqual(mixed.map((p) => [p.path, p.time, p.value]))
    }
    expect(exact).toBeGreaterThan(0)
  })

  it("short paths with 9-byte floats fill the encoder's buffer past its first 64 KiB: every point decodes", () => {
    // A one-letter path with a float time and value is 26 bytes of pickle: the buffer must grow for the numbers too.
    const floats = Array.from({ length: 12_000 }, (_, i) => ({ path: "a", time: T + 0.5, value: i + 0.25 }))
    const { frames, dropped } = encodePickleFrames(floats)
    expect(dropped).toBe(0)
    const decoded = decodePickleFrames(concat(frames))
    expect(decoded).toHaveLength(floats.length)
    expect(decoded.every(([path, time, value], i) => path === "a" && time === T + 0.5 && value === i + 0.25)).toBe(true)
  })

  it("an empty frame is a valid empty list (length, PROTO 2, ], (, e, .)", () => {
    const encoder = new PickleFrameEncoder()
    encoder.begin()
    expect([...encoder.finish()]).toEqual([0, 0, 0, 6, 0x80, 2, 0x5d, 0x28, 0x65, 0x2e])
  })

  it("isPickleInt: integers JavaScript prints without exponent, not -0", () => {
    expect([0, 7, -7, 2 ** 63, 1e20].every(isPickleInt)).toBe(true)
    expect([-0, 0.5, 1e21, 1e300, NaN, Infinity].some(isPickleInt)).toBe(false)
  })
})

describe("pickle encoder: the exact opcodes", () => {
  /** The bytes of `value` in a frame of one point `("p", (0, value))`. */
  const valueBytes = (value: number) => {
    const frame = encodePickleFrames([{ path: "p", time: 0, value }]).frames[0]!
    // 8 header bytes, X + length + "p", K 0 for the time; TUPLE2 TUPLE2 APPENDS STOP at the end.
    expect([...frame.subarray(8, 16)]).toEqual([0x58, 1, 0, 0, 0, 0x70, 0x4b, 0])
    expect([...frame.subarray(-4)]).toEqual([0x86, 0x86, 0x65, 0x2e])
    return [...frame.subarray(16, -4)]
  }

  it("the smallest int opcode that holds the value, as Python's pickle writes it", () => {
    expect(valueBytes(0)).toEqual([0x4b, 0])
    expect(valueBytes(255)).toEqual([0x4b, 0xff])
    expect(valueBytes(256)).toEqual([0x4d, 0, 1])
    expect(valueBytes(0x1234)).toEqual([0x4d, 0x34, 0x12])
    expect(valueBytes(65535)).toEqual([0x4d, 0xff, 0xff])
    expect(valueBytes(65536)).toEqual([0x4a, 0, 0, 1, 0])
    expect(valueBytes(-1)).toEqual([0x4a, 0xff, 0xff, 0xff, 0xff])
    expect(valueBytes(2 ** 31 - 1)).toEqual([0x4a, 0xff, 0xff, 0xff, 0x7f])
    expect(valueBytes(-(2 ** 31))).toEqual([0x4a, 0, 0, 0, 0x80])
    // LONG1: length, then little-endian two's complement in the fewest bytes (a sign byte when the top bit is taken).
    expect(valueBytes(2 ** 31)).toEqual([0x8a, 5, 0, 0, 0, 0x80, 0])
    expect(valueBytes(-(2 ** 31) - 1)).toEqual([0x8a, 5, 0xff, 0xff, 0xff, 0x7f, 0xff])
    expect(valueBytes(2 ** 32)).toEqual([0x8a, 5, 0, 0, 0, 0, 1])
    expect(valueBytes(-(2 ** 32))).toEqual([0x8a, 5, 0, 0, 0, 0, 0xff])
    expect(valueBytes(0x7f_0000_0000)).toEqual([0x8a, 5, 0, 0, 0, 0, 0x7f])
    expect(valueBytes(-0x80_0000_0000)).toEqual([0x8a, 5, 0, 0, 0, 0, 0x80])
    expect(valueBytes(-0x80_0000_0001)).toEqual([0x8a, 6, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff])
    expect(valueBytes(2 ** 63)).toEqual([0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0])
    expect(valueBytes(-(2 ** 63))).toEqual([0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x80])
    expect(valueBytes(2 ** 64 + 2 ** 12)).toEqual([0x8a, 9, 0, 0x10, 0, 0, 0, 0, 0, 0, 1])
    expect(valueBytes(-(2 ** 64))).toEqual([0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0xff])
  })

  it("floats and -0 as BINFLOAT, big-endian", () => {
    expect(valueBytes(0.5)).toEqual([0x47, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0])
    expect(valueBytes(-0)).toEqual([0x47, 0x80, 0, 0, 0, 0, 0, 0, 0])
    expect(valueBytes(1e21)).toEqual([...Buffer.from([0x47]), ...Buffer.from("444b1ae4d6e2ef50", "hex")])
  })

  it("paths: ASCII up to U+007F byte for byte, U+0080 and above as UTF-8; the length counts bytes", () => {
    const path = (text: string) => {
      const frame = encodePickleFrames([{ path: text, time: 0, value: 0 }]).frames[0]!
      expect(frame[8]).toBe(0x58)
      const length = new DataView(frame.buffer, frame.byteOffset).getUint32(9, true)
      return [...frame.subarray(13, 13 + length)]
    }
    expect(path("a\u007f")).toEqual([0x61, 0x7f])
    expect(path("a\u0080b")).toEqual([0x61, 0xc2, 0x80, 0x62])
    expect(path("\u00ffé")).toEqual([0xc3, 0xbf, 0xc3, 0xa9])
    expect(path("x😀")).toEqual([0x78, 0xf0, 0x9f, 0x98, 0x80])
    expect(decodePickleFrames(concat(encodePickleFrames([{ path: "a\u0080b", time: 1, value: 2 }]).frames))).toEqual([
      ["a\u0080b", 1, 2],
    ] as never)
  })

  it("NaN or infinite timestamps are dropped and counted like such values", () => {
    const { frames, dropped } = encodePickleFrames([
      { path: "a", time: NaN, value: 1 },
      { path: "b", time: Infinity, value: 1 },
      { path: "c", time: -Infinity, value: 1 },
      { path: "d", time: T, value: 1 },
    ])
    expect(dropped).toBe(3)
    expect(decodePickleFrames(concat(frames))).toEqual([["d", T, 1]] as never)
  })

  it("count and reuse: begin() starts an empty frame, add() reports whether the point fitted", () => {
    const encoder = new PickleFrameEncoder(4 + 24 + 2)
    encoder.begin()
    expect(encoder.count).toBe(0)
    expect(encoder.add("p".repeat(10), T, 1)).toBe(true)
    expect(encoder.count).toBe(1)
    expect(encoder.add("q", T, 1)).toBe(false)
    expect(encoder.count).toBe(1)
    expect(encoder.finish()).toHaveLength(4 + 30)
    encoder.begin()
    expect(encoder.count).toBe(0)
    expect([...encoder.finish()]).toEqual([0, 0, 0, 6, 0x80, 2, 0x5d, 0x28, 0x65, 0x2e])
    expect(encoder.maxPayload).toBe(30)
    expect(new PickleFrameEncoder().maxPayload).toBe(CARBON_MAX_PICKLE_BYTES)
    expect(CARBON_MAX_PICKLE_BYTES).toBe(1048576)
  })

  it("the buffer grows before the largest point could overrun it: 3-byte paths and 11-byte LONG1 numbers ending at 64 KiB", () => {
    // A point of 260 three-byte characters and two LONG1 numbers of 9 bytes is 5 + 780 + 11 + 11 + 2 = 809 bytes;
    // 8 + 81 × 809 = 65537: the 81st point ends one byte past the first 64 KiB buffer, its trailer three.
    const points = Array.from({ length: 81 }, (_, i) => ({
      path: "温".repeat(259) + String.fromCharCode(0x4e00 + i),
      time: 1e20,
      value: -1e20,
    }))
    const frame = encodePickleFrames(points).frames
    expect(frame).toHaveLength(1)
    expect(frame[0]!.length).toBe(8 + 81 * 809 + 2)
    expect(decodePickleFrames(concat(frame))).toEqual(points.map((p) => [p.path, p.time, p.value]) as never)
  })

  it("frames of one encoder used twice stay valid: each is a copy, the last one too", () => {
    const encoder = new PickleFrameEncoder()
    const first = encodeFrames(encoder, [{ path: "a", time: T, value: 1 }])
    const bytes = [...first.frames[0]!]
    encodeFrames(encoder, [{ path: "b", time: T + 1, value: 2 }])
    expect([...first.frames[0]!]).toEqual(bytes)
    expect(decodePickleFrames(concat(first.frames))).toEqual([["a", T, 1]] as never)
  })

  it("a frame that fills exactly to its limit, then the next point starts a new frame", () => {
    // Each point "p" × 10 is 24 bytes; a limit of 4 + 2 × 24 + 2 holds two.
    const point = { path: "p".repeat(10), time: T, value: 1 }
    const { frames, dropped } = encodePickleFrames([point, point, point], 4 + 48 + 2)
    expect(dropped).toBe(0)
    expect(frames.map((frame) => frame.length)).toEqual([4 + 54, 4 + 30])
  })
})

describe("recorded frames (testdata/pickle-frames)", () => {
  const dir = join(import.meta.dir, "testdata/pickle-frames")
  const input = JSON.parse(readFileSync(join(dir, "points.json"), "utf8")) as { path: string; time: number; value: number }[]
  const ours = () => concat(encodePickleFrames(input).frames)
  const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)))

  it("the encoder writes exactly the recorded frames.bin", () => {
    const recorded = join(dir, "frames.bin")
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(recorded, ours())
    expect(existsSync(recorded)).toBe(true)
    expect(Buffer.from(ours()).toString("hex")).toBe(Buffer.from(file("frames.bin")).toString("hex"))
  })

  itWithTools(["python3"], "Python's pickle.loads reads our frames as it reads its own (expected.txt)", async () => {
    const expected = readFileSync(join(dir, "expected.txt"), "utf8").trimEnd().split("\n")
    expect((await unpickleFrames(file("frames.bin"))).repr).toEqual(expected)
    expect((await unpickleFrames(file("python-dumps.bin"))).repr).toEqual(expected)
  })

  it("the test sink's decoder reads Python's frame and ours as the same points", () => {
    const points = input.map((p) => [p.path, p.time, p.value])
    expect(decodePickleFrames(file("python-dumps.bin"))).toEqual(points as never)
    expect(decodePickleFrames(file("frames.bin"))).toEqual(points as never)
    // A frame not yet received in full is left out.
    const bytes = file("frames.bin")
    expect(decodePickleFrames(bytes.subarray(0, bytes.length - 1))).toEqual([])
  })
})
