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
})
