/** graphite/plaintext.ts: `path value timestamp` lines, chunked into frames that never exceed their byte limit. */
import { describe, expect, it } from "bun:test"
import { encodeFrames } from "./pickle.ts"
import { plaintextLine, PlaintextFrameEncoder } from "./plaintext.ts"

const T = 1508478781

describe("plaintext frames", () => {
  it("a line is `path value timestamp`; -0 keeps its sign", () => {
    expect(plaintextLine("pollect.loadavg.mid", T, 0.5)).toBe(`pollect.loadavg.mid 0.5 ${T}\n`)
    expect(plaintextLine("a", T, -0)).toBe(`a -0 ${T}\n`)
  })

  it("a frame never exceeds maxBytes, whatever the limit and line lengths; every line arrives once, whole", () => {
    const points = Array.from({ length: 50 }, (_, i) => ({ path: `p${"x".repeat((i * 5) % 11)}.ü`, time: T + i, value: i / 4 }))
    const lines = points.map((p) => plaintextLine(p.path, p.time, p.value))
    const longest = Math.max(...lines.map((line) => Buffer.byteLength(line)))
    let exact = 0
    for (let limit = longest; limit <= longest * 3; limit++) {
      const { frames, dropped } = encodeFrames(new PlaintextFrameEncoder(limit), points)
      expect(dropped).toBe(0)
      for (const frame of frames) {
        expect(frame.length).toBeLessThanOrEqual(limit)
        if (frame.length === limit) exact++
      }
      expect(frames.map((frame) => Buffer.from(frame).toString("utf8")).join("")).toBe(lines.join(""))
      // Frames end on line ends: none splits a line.
      expect(frames.every((frame) => frame.at(-1) === 0x0a)).toBe(true)
    }
    expect(exact).toBeGreaterThan(0)
  })

  it("a line longer than maxBytes is dropped on its own; its neighbours go out", () => {
    const { frames, dropped } = encodeFrames(new PlaintextFrameEncoder(40), [
      { path: "ok", time: T, value: 1 },
      { path: "x".repeat(50), time: T, value: 1 },
      { path: "ok2", time: T, value: 2 },
    ])
    expect(dropped).toBe(1)
    expect(frames.map((frame) => Buffer.from(frame).toString()).join("")).toBe(`ok 1 ${T}\nok2 2 ${T}\n`)
  })

  it("one frame grows past the first 64 KiB up to its limit (1 MiB by default); multi-byte paths fit whole", () => {
    const points = Array.from({ length: 10_000 }, (_, i) => ({ path: `pollect.温度.${i}`, time: T, value: i }))
    const lines = points.map((p) => plaintextLine(p.path, p.time, p.value)).join("")
    const { frames, dropped } = encodeFrames(new PlaintextFrameEncoder(), points)
    expect(dropped).toBe(0)
    expect(Buffer.byteLength(lines)).toBeGreaterThan(64 * 1024)
    expect(frames).toHaveLength(1)
    expect(Buffer.from(frames[0]!).toString("utf8")).toBe(lines)
    // A single line of 3-byte characters longer than the whole first buffer.
    const wide = { path: "温".repeat(30_000), time: T, value: 1 }
    const one = encodeFrames(new PlaintextFrameEncoder(), [wide])
    expect(one.dropped).toBe(0)
    expect(Buffer.from(one.frames[0]!).toString("utf8")).toBe(plaintextLine(wide.path, T, 1))
    // One more than twice that buffer: the buffer grows as often as it takes, not just once.
    const wider = { path: "温".repeat(50_000), time: T, value: 1 }
    const two = encodeFrames(new PlaintextFrameEncoder(), [wider, { path: "after", time: T, value: 2 }])
    expect(two.dropped).toBe(0)
    expect(Buffer.from(two.frames[0]!).toString("utf8")).toBe(plaintextLine(wider.path, T, 1) + plaintextLine("after", T, 2))
  })

  it("a frame that is begun again starts empty; finish() gives the bytes so far; count is the points in it", () => {
    const encoder = new PlaintextFrameEncoder(100)
    encoder.begin()
    expect(encoder.add("a", T, 1)).toBe(true)
    expect(encoder.add("b", T, -0)).toBe(true)
    expect(encoder.count).toBe(2)
    expect(Buffer.from(encoder.finish()).toString()).toBe(`a 1 ${T}\nb -0 ${T}\n`)
    encoder.begin()
    expect(encoder.count).toBe(0)
    expect(encoder.finish()).toHaveLength(0)
    expect(encoder.maxBytes).toBe(100)
    // Exactly at the limit fits; one byte over does not, and leaves the frame as it was.
    const exact = new PlaintextFrameEncoder(`a 1 ${T}\n`.length)
    exact.begin()
    expect(exact.add("a", T, 1)).toBe(true)
    expect(exact.add("b", T, 1)).toBe(false)
    expect(exact.count).toBe(1)
    expect(Buffer.from(exact.finish()).toString()).toBe(`a 1 ${T}\n`)
  })

  it("numbers as carbon's float() reads them back: exponents, fractions, negative zero", () => {
    expect(plaintextLine("p", 1.5, 1e21)).toBe("p 1e+21 1.5\n")
    expect(plaintextLine("p", -0, 5e-324)).toBe("p 5e-324 -0\n")
    expect(plaintextLine("p", 0, 0)).toBe("p 0 0\n")
  })
})
