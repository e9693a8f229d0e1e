/**
 * Snappy on small inputs (under 140 KB in all, so a mutation run stays fast): each output
 * round-trips through snappyjs' decoder, stays within MaxEncodedLen, and is the exact stream
 * recorded from this encoder (Go's encodeBlock matcher), pinned by its SHA-256 and length: a
 * change of the matcher, the element forms or the block split changes these bytes.
 */
import { describe, expect, it } from "bun:test"
import { createHash } from "node:crypto"
// @ts-expect-error: snappyjs ships no types
import SnappyJS from "snappyjs"
import { bytes, random } from "./fake-bytes.ts"
import { maxCompressedLength, snappyCompress } from "./snappy.ts"

/** Random bytes with short repeats (5–11 bytes) from 2100–2900 bytes back: copy-2 offsets with short lengths. */
function farRepeats(n: number, seed: number): Uint8Array {
  const r = random(seed)
  const out = new Uint8Array(n)
  let i = 0
  while (i < n) {
    if (i > 3000 && r() < 0.3) {
      const from = i - 2100 - Math.floor(r() * 800)
      const length = 5 + Math.floor(r() * 7)
      for (let k = 0; k < length && i < n; k++) out[i++] = out[from + k]!
    } else out[i++] = r() * 256
  }
  return out
}

const r4 = random(11)
const lines = new TextEncoder().encode(
  Array.from({ length: 1500 }, (_, i) => `pollect_if_bytes_total{if="eth${i % 7}",n="${(i * 7919) % 1000}"} ${i * 31}\n`).join(""),
)
const cases: [string, Uint8Array][] = [
  ["exposition lines over a block boundary", lines],
  ["one full block (65536)", bytes(65536, (i) => (i % 1000 < 500 ? i % 97 : (i * 13) % 256))],
  ["a block and 16 bytes (the last block one literal)", bytes(65552, (i) => i % 251)],
  ["a block and 17 bytes (the last block matched)", bytes(65553, (i) => (i < 65536 ? i % 256 : 5))],
  ["far short repeats (copy-2, length < 12)", farRepeats(9000, 5)],
  ["4 symbols (short copies, offsets < 2048)", bytes(12000, () => Math.floor(r4() * 4))],
  [
    "random 3000 (no match: the skip grows)",
    (() => {
      const r = random(9)
      return bytes(3000, () => r() * 256)
    })(),
  ],
  [
    "random then a repeat of it (a match after many misses)",
    (() => {
      const a = bytes(1200, random(21))
      const out = new Uint8Array(2600)
      out.set(a, 0)
      out.set(a, 1200)
      out.set(a.subarray(0, 200), 2400)
      return out
    })(),
  ],
  ["zeros 300 (long copies)", new Uint8Array(300)],
  [
    "offsets 256–2047 with length 4–11 (copy-1's high offset bits)",
    (() => {
      const r = random(33)
      const out = bytes(4000, () => r() * 256)
      for (let i = 600; i + 12 < 4000; i += 97) out.copyWithin(i, i - 256 - ((i * 7) % 1700), i - 256 - ((i * 7) % 1700) + 4 + (i % 8))
      return out
    })(),
  ],
]

const recorded: Record<string, [number, string]> = {
  "exposition lines over a block boundary": [19499, "cf9c74208e657c137cce6ad8c10507cf794ea786eaf2fde88412ca80960d0e97"],
  "one full block (65536)": [3915, "636d6cbc873d6275badd62d0aa910ec2490ed7d16f9e4644d28889f54bf8c6c2"],
  "a block and 16 bytes (the last block one literal)": [3337, "2fb97a4e69b8b59d478b706a38f94c99ed6a18bee238f5a77e940899f14e1b4b"],
  "a block and 17 bytes (the last block matched)": [3341, "b347b9254f964ab9bf918ee68714954b6ab088a14f22e04b7b2b112354a38bcf"],
  "far short repeats (copy-2, length < 12)": [7547, "f0a2c056a71c4d8a41e326a6077d0312e905427117a4a4aa03540439e4c7493a"],
  "4 symbols (short copies, offsets < 2048)": [6146, "145d0d930ea0ab06000c02874c1f669dafe3d9055fc766dd3def849826d9c702"],
  "random 3000 (no match: the skip grows)": [3005, "08960918b57eee26cca1026e6eb5449adb63da53fa0bd01e5f0bde0789caf418"],
  "random then a repeat of it (a match after many misses)": [128, "e2c8edf4aa700b697357aa121eed195809e194d59810da1de63ac8e107c5ee0b"],
  "zeros 300 (long copies)": [20, "b068b2333901d701eaf67252620a0bb1063b77b19624273f73ab6a3728c23f2b"],
  "offsets 256\u20132047 with length 4\u201311 (copy-1's high offset bits)": [
    3991,
    "1e983ce4984d26b6397b36253ad675b5f53fa4069603426a97cb41b891a639f3",
  ],
}

describe("snappy on small inputs: exact recorded streams", () => {
  for (const [name, input] of cases)
    it(`${name} (${input.length} bytes)`, () => {
      const out = snappyCompress(input)
      expect(out.length).toBeLessThanOrEqual(maxCompressedLength(input.length))
      const back = new Uint8Array(SnappyJS.uncompress(out))
      expect(Buffer.compare(Buffer.from(back), Buffer.from(input))).toBe(0)
      expect([out.length, createHash("sha256").update(out).digest("hex")]).toEqual(recorded[name]!)
    })
})

describe("snappy block compression: exact bytes (each derived by hand from format_description.txt)", () => {
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

  it("a literal of a whole random block (65536 bytes): tag 61<<2 and 65535 in two bytes, after a 3-byte preamble", () => {
    const r = random(17)
    const input = bytes(65536, () => r() * 256)
    const out = snappyCompress(input)
    expect(out.length).toBe(3 + 3 + 65536)
    expect(Buffer.from(out.subarray(0, 6)).toString("hex")).toBe("808004f4ffff")
    expect(Buffer.compare(Buffer.from(out.subarray(6)), Buffer.from(input))).toBe(0)
  })

  it("a second block starts a fresh literal: 65536 random bytes and 1 more", () => {
    const r = random(17)
    const input = bytes(65537, () => r() * 256)
    const out = snappyCompress(input)
    expect(out.length).toBe(3 + 3 + 65536 + 2)
    expect(Buffer.from(out.subarray(0, 6)).toString("hex")).toBe("818004f4ffff")
    expect(Buffer.from(out.subarray(-2)).toString("hex")).toBe(`00${input[65536]!.toString(16).padStart(2, "0")}`)
  })

  it("the preamble's varint: 128 is two bytes (0x80 0x01)", () => {
    expect(hex(new Uint8Array(128)).slice(0, 4)).toBe("8001")
  })

  it("a copy of exactly 12 bytes takes the 2-byte-offset form (copy-1 holds lengths 4–11 only)", () => {
    // "ABCDEFGHIJKLM" then its last 12 bytes again: a 13-byte literal, a copy of 12 at offset 12, 16 literal bytes.
    const input = ascii("ABCDEFGHIJKLMBCDEFGHIJKLMabcdefghijklmnop")
    expect(hex(input)).toBe(`2930${Buffer.from("ABCDEFGHIJKLM").toString("hex")}2e0c003c${Buffer.from("abcdefghijklmnop").toString("hex")}`)
  })

  it("after a copy, an empty table slot is no candidate, even when the bytes there look like position −1's", () => {
    // 01 02 03 09 | 05 06 07 08 | 05 06 07 08 (a copy of 4 at offset 4) | 00 01 02 03: its hash slot is empty
    // (−1); reading "position −1" would give 00 01 02 03 too. Then 16 literal bytes.
    const tail = bytes(16, (i) => 0x10 + i)
    const input = Uint8Array.from([1, 2, 3, 9, 5, 6, 7, 8, 5, 6, 7, 8, 0, 1, 2, 3, ...tail])
    expect(hex(input)).toBe(`201c01020309050607080104${"4c"}00010203${Buffer.from(tail).toString("hex")}`)
  })
})
