import { describe, expect, it } from "bun:test"
// @ts-expect-error: snappyjs ships no types
import SnappyJS from "snappyjs"
import { bytes, random } from "./fake-bytes.ts"
import { maxCompressedLength, snappyCompress } from "./snappy.ts"

const rnd = random(42)
const text = new TextEncoder().encode(
  'pollect_load_avg{instance="nas",time="mid"} 0.25\npollect_interface_sent_bytes_total{interface="eth0"} 123456\n'.repeat(2000),
)
const cases: Record<string, Uint8Array> = {
  empty: new Uint8Array(0),
  "one byte": new Uint8Array([0x7f]),
  "16 bytes (below the smallest block that is matched)": bytes(16, (i) => i % 2),
  "17 bytes, all equal": bytes(17, () => 9),
  "random 1 KiB": bytes(1024, () => rnd() * 256),
  "random 200 KiB (incompressible, several blocks)": bytes(200 << 10, () => rnd() * 256),
  "zeros 1 MiB (long copies, > 64 bytes each)": new Uint8Array(1 << 20),
  "repetitive exposition text": text,
  "a block boundary inside a repeat (65536 + 7)": bytes(65543, (i) => i % 251),
  "short-distance repeats (copy-1 offsets < 2048)": bytes(100_000, (i) => (i % 37) + (i % 1000 < 10 ? 1 : 0)),
  "long-distance repeats (copy-2 offsets > 2048)": bytes(150_000, (i) => ((i % 5000) * 7919) % 256),
  "low entropy random (4 symbols)": bytes(300_000, () => Math.floor(rnd() * 4)),
}

describe("snappy block compression", () => {
  for (const [name, input] of Object.entries(cases))
    it(`round-trips through snappyjs' reference decoder: ${name} (${input.length} bytes)`, () => {
      const compressed = snappyCompress(input)
      expect(compressed.length).toBeLessThanOrEqual(maxCompressedLength(input.length))
      const back = new Uint8Array(SnappyJS.uncompress(compressed))
      expect(back.length).toBe(input.length)
      expect(Buffer.compare(Buffer.from(back), Buffer.from(input))).toBe(0)
    })

  it("compresses what repeats about as well as snappyjs, and never grows random data by more than snappy's bound", () => {
    for (const input of [text, cases["zeros 1 MiB (long copies, > 64 bytes each)"]!, cases["low entropy random (4 symbols)"]!]) {
      const ours = snappyCompress(input).length
      const theirs = (SnappyJS.compress(input) as Uint8Array).length
      expect(ours).toBeLessThan(theirs * 1.02 + 16)
    }
    expect(snappyCompress(text).length).toBeLessThan(text.length / 10)
    const randomInput = cases["random 200 KiB (incompressible, several blocks)"]!
    expect(snappyCompress(randomInput).length).toBeLessThan(randomInput.length + 64)
  })

  // The exact-byte cases (preamble, MaxEncodedLen, tag forms, the matcher, long copies) are in
  // snappy-small.test.ts: small inputs, so a mutation run of snappy.ts can leave this file out.

  it("round-trips 200 random inputs of random sizes and alphabets", () => {
    const r = random(7)
    for (let round = 0; round < 200; round++) {
      const size = Math.floor(r() * 5000) * (round % 10 === 0 ? 40 : 1)
      const alphabet = 1 + Math.floor(r() * 255)
      const input = bytes(size, () => Math.floor(r() * alphabet))
      const back = new Uint8Array(SnappyJS.uncompress(snappyCompress(input)))
      expect(Buffer.compare(Buffer.from(back), Buffer.from(input))).toBe(0)
    }
  })
})
