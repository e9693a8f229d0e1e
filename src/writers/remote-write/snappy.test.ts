import { describe, expect, it } from "bun:test"
// @ts-expect-error: snappyjs ships no types
import SnappyJS from "snappyjs"
import { maxCompressedLength, snappyCompress } from "./snappy.ts"

/** A deterministic pseudo-random generator (xorshift32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

function bytes(n: number, fill: (i: number) => number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = fill(i)
  return out
}

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

  it("starts with the uncompressed length as a varint (the block format's preamble)", () => {
    expect([...snappyCompress(new Uint8Array(0))]).toEqual([0])
    expect([...snappyCompress(new Uint8Array(300)).subarray(0, 2)]).toEqual([0xac, 0x02])
    // A 1-byte input is the preamble and one literal: tag (len-1)<<2, then the byte.
    expect([...snappyCompress(new Uint8Array([0x7f]))]).toEqual([1, 0, 0x7f])
  })

  // Exact bytes: a decoder accepts several encodings of the same input, so only these pin the
  // matcher and the element forms (each checked by hand against format_description.txt).
  const hex = (input: Uint8Array) => Buffer.from(snappyCompress(input)).toString("hex")
  const ascii = (s: string) => new TextEncoder().encode(s)

  it("snappy's MaxEncodedLen bound: 32 + n + n/6", () => {
    expect([0, 5, 6, 65536, 1 << 20].map(maxCompressedLength)).toEqual([32, 37, 39, 76490, 1223370])
  })

  it("a literal's length takes the shortest tag: in the tag up to 60, then 1 byte, then 2 bytes", () => {
    // 100 distinct bytes, no 4-byte repeat: one literal, tag 60<<2 and the length − 1 in one byte.
    const hundred = bytes(100, (i) => i)
    expect(hex(hundred)).toBe(`64f063${Buffer.from(hundred).toString("hex")}`)
    // 257 and 1000 random bytes (no 4-byte repeat in them): tag 61<<2 and the length − 1 in two bytes.
    const r = random(3)
    for (const n of [257, 1000]) {
      const input = bytes(n, () => r() * 256)
      const out = snappyCompress(input)
      expect(out.length).toBe(2 + 3 + n)
      expect(Buffer.from(out.subarray(2, 5)).toString("hex")).toBe(
        `f4${((n - 1) & 0xff).toString(16).padStart(2, "0")}${((n - 1) >> 8).toString(16).padStart(2, "0")}`,
      )
    }
    // 61 bytes: the first length that needs the extra byte.
    expect(hex(bytes(61, (i) => i)).slice(0, 6)).toBe("3df03c")
    expect(hex(bytes(60, (i) => i)).slice(0, 4)).toBe("3cec")
  })

  it("the matcher: position 0 is never a candidate, 17 equal bytes stay one literal", () => {
    // The search starts at 1 with an empty table; the one possible match (at 2) is past the
    // 15-byte margin, so nothing is copied.
    expect(hex(ascii("a".repeat(17)))).toBe(`1140${"61".repeat(17)}`)
  })

  it("the matcher: 18 equal bytes are a 2-byte literal and a 16-byte copy at offset 1", () => {
    // The match at 2 is found when the next position is exactly the margin's limit.
    expect(hex(ascii("a".repeat(18)))).toBe("120461613e0100")
  })

  it("the matcher stops where the 15-byte margin starts, even right after a copy", () => {
    // "aab", a copy of 4 ("bbbb") that ends at 22 − 15 = 7, then 15 literal bytes, though
    // "abbb" at 7 repeats 4..7.
    expect(hex(ascii("aabbbbbabbbababaaaabba"))).toBe(`1608616162010138${Buffer.from("abbbababaaaabba").toString("hex")}`)
  })

  it("long copies: 64 bytes is one copy; 68 is 64 + 4; 66 is 60 + 6 (each piece ≥ 4)", () => {
    // zeros: a 2-byte literal, then one copy at offset 1 of the rest.
    expect(hex(new Uint8Array(66))).toBe("42040000fe0100") // 64: copy-2, (64−1)<<2 | 2
    expect(hex(new Uint8Array(70))).toBe("46040000fe01000101") // 68: 64, then a copy-1 of 4
    expect(hex(new Uint8Array(68))).toBe("44040000ee01000901") // 66: 60, then a copy-1 of 6
  })

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
