/** gzip.ts on its own: the exact bytes of the joined gzip member, stored blocks, CRC-32 combination, Accept-Encoding. */
import { describe, expect, it } from "bun:test"
import { crc32, gunzipSync, inflateRawSync } from "node:zlib"
import { acceptsGzip, crc32Combine, GZIP_LEVEL, GzipBody, storedBlocks } from "./gzip.ts"

describe("GzipBody", () => {
  it("writes Go's gzip header, the head as stored blocks, the tail deflated, then CRC-32 and length of the whole", () => {
    const head = "# own metrics\n"
    const tail = "pollect_loadavg 1\n".repeat(50)
    const zipped = new GzipBody().build(head, tail, 1)
    expect([...zipped.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])
    // The head, stored: BFINAL 0 and BTYPE 00, LEN 14, NLEN, the bytes as they are.
    expect([...zipped.subarray(10, 15)]).toEqual([0, 14, 0, 0xf1, 0xff])
    expect(Buffer.from(zipped.subarray(15, 29)).toString()).toBe(head)
    // Then Bun's deflate of the tail at level 1, as it is.
    const deflated = Bun.deflateSync(Buffer.from(tail), { level: GZIP_LEVEL })
    expect(GZIP_LEVEL).toBe(1)
    expect(Buffer.from(zipped.subarray(29, zipped.length - 8)).equals(Buffer.from(deflated))).toBe(true)
    const trailer = new DataView(zipped.buffer, zipped.byteOffset + zipped.length - 8)
    expect(trailer.getUint32(0, true)).toBe(crc32(head + tail))
    expect(trailer.getUint32(4, true)).toBe(head.length + tail.length)
    expect(gunzipSync(zipped).toString()).toBe(head + tail)
  })

  it("the tail is deflated once per version; a new version or a new head is honoured", () => {
    const body = new GzipBody()
    expect(body.deflations).toBe(0)
    expect(gunzipSync(body.build("a\n", "tail one\n", 1)).toString()).toBe("a\ntail one\n")
    expect(body.deflations).toBe(1)
    // Same version: the cached tail is used even if the caller passes other text (the version is the key).
    expect(gunzipSync(body.build("b\n", "ignored\n", 1)).toString()).toBe("b\ntail one\n")
    expect(body.deflations).toBe(1)
    expect(gunzipSync(body.build("c\n", "tail two\n", 2)).toString()).toBe("c\ntail two\n")
    expect(body.deflations).toBe(2)
    expect(gunzipSync(body.build("c\n", "tail one\n", 1)).toString()).toBe("c\ntail one\n")
    expect(body.deflations).toBe(3)
  })

  it("multi-byte UTF-8 in head and tail: the length field counts bytes", () => {
    const head = "héad €\n"
    const tail = "täil 😀\n"
    const zipped = new GzipBody().build(head, tail, 0)
    const trailer = new DataView(zipped.buffer, zipped.byteOffset + zipped.length - 8)
    expect(trailer.getUint32(4, true)).toBe(Buffer.byteLength(head + tail))
    expect(trailer.getUint32(0, true)).toBe(crc32(Buffer.from(head + tail)))
    expect(gunzipSync(zipped).toString()).toBe(head + tail)
  })
})

describe("storedBlocks", () => {
  it("LEN and NLEN little-endian, one's complement of each other", () => {
    const bytes = new Uint8Array(0x1234).fill(7)
    const blocks = storedBlocks(bytes)
    expect(blocks.length).toBe(0x1234 + 5)
    expect([...blocks.subarray(0, 5)]).toEqual([0, 0x34, 0x12, 0xcb, 0xed])
    expect(blocks.subarray(5).every((b) => b === 7)).toBe(true)
  })

  it("splits at 65535 bytes; the last block holds the rest; a final empty stored block makes it a whole deflate stream", () => {
    const bytes = new Uint8Array(0xffff + 3)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251
    const blocks = storedBlocks(bytes)
    expect(blocks.length).toBe(bytes.length + 10)
    expect([...blocks.subarray(0, 5)]).toEqual([0, 0xff, 0xff, 0, 0])
    expect([...blocks.subarray(5 + 0xffff, 10 + 0xffff)]).toEqual([0, 3, 0, 0xfc, 0xff])
    expect([...blocks.subarray(10 + 0xffff)]).toEqual([...bytes.subarray(0xffff)])
    const stream = Buffer.concat([blocks, Buffer.from([1, 0, 0, 0xff, 0xff])])
    expect(Buffer.from(inflateRawSync(stream)).equals(Buffer.from(bytes))).toBe(true)
    // Exactly one block's worth: one block, no empty second one.
    expect(storedBlocks(new Uint8Array(0xffff)).length).toBe(0xffff + 5)
    expect(storedBlocks(new Uint8Array(1))).toEqual(new Uint8Array([0, 1, 0, 0xfe, 0xff, 0]))
  })
})

describe("crc32Combine", () => {
  it("equals the CRC-32 of the concatenation, for lengths of every parity and size", () => {
    const a = Buffer.from("The quick brown fox ")
    for (const n of [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 255, 256, 1000, 65536, 100_001]) {
      const b = Buffer.alloc(n)
      for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) & 0xff
      expect(crc32Combine(crc32(a), crc32(b), n)).toBe(crc32(Buffer.concat([a, b])))
    }
  })

  it("an empty second part leaves the first CRC (as an unsigned number)", () => {
    expect(crc32Combine(0xdeadbeef, 0x12345678, 0)).toBe(0xdeadbeef)
    expect(crc32Combine(-1, 0, 0)).toBe(0xffffffff)
    expect(crc32Combine(-1, 0, -5)).toBe(0xffffffff)
  })

  it("an empty first part (CRC 0) gives the second CRC", () => {
    const b = Buffer.from("abc")
    expect(crc32Combine(0, crc32(b), 3)).toBe(crc32(b))
  })
})

describe("acceptsGzip", () => {
  it("q values: only 0 to 1 with up to three decimals, anything else is 0", () => {
    expect(acceptsGzip("gzip;q=0.001")).toBe(true)
    expect(acceptsGzip("gzip;q=0.")).toBe(false)
    expect(acceptsGzip("gzip;q=1.")).toBe(true)
    expect(acceptsGzip("gzip;q=1")).toBe(true)
    expect(acceptsGzip("gzip;q=0.0001")).toBe(false)
    expect(acceptsGzip("gzip;q=1.5")).toBe(false)
    expect(acceptsGzip("gzip;q=1.0001")).toBe(false)
    expect(acceptsGzip("gzip;q=.5")).toBe(false)
    expect(acceptsGzip("gzip;q=2")).toBe(false)
    expect(acceptsGzip("gzip;q=0.5x")).toBe(false)
    expect(acceptsGzip("gzip;q")).toBe(false)
    expect(acceptsGzip("gzip;q=")).toBe(false)
    expect(acceptsGzip("gzip; q = 0.5 ")).toBe(true)
  })

  it("other parameters are ignored; the last q of a coding counts", () => {
    expect(acceptsGzip("gzip;level=0")).toBe(true)
    expect(acceptsGzip("gzip;level=0;q=0")).toBe(false)
    expect(acceptsGzip("gzip;q=0;q=0.5")).toBe(true)
    expect(acceptsGzip("gzip;q=0.5;q=0")).toBe(false)
  })

  it("empty parts and white space are skipped; codings are case-insensitive", () => {
    expect(acceptsGzip(" , ,GZip ")).toBe(true)
    expect(acceptsGzip("")).toBe(false)
    expect(acceptsGzip(",")).toBe(false)
    expect(acceptsGzip("X-GZIP")).toBe(true)
    expect(acceptsGzip("gzipx, xgzip, gzip2")).toBe(false)
  })

  it("identity and * decide against a lower gzip q; * stands in for gzip too", () => {
    expect(acceptsGzip("identity;q=0, gzip;q=0.001")).toBe(true)
    expect(acceptsGzip("*;q=0.5, identity;q=0.4")).toBe(true)
    expect(acceptsGzip("*;q=0.5, identity;q=0.6")).toBe(false)
    expect(acceptsGzip("*;q=0.5, gzip;q=0")).toBe(false)
    expect(acceptsGzip("identity;q=0.5, *;q=0")).toBe(false)
    // An unreadable identity q is 0 too: gzip wins.
    expect(acceptsGzip("gzip;q=0.5, identity;q=0.5001")).toBe(true)
    expect(acceptsGzip("gzip;q=0.5, identity;q=0.501")).toBe(false)
    expect(acceptsGzip("gzip;q=0.5, identity")).toBe(false)
    expect(acceptsGzip("identity;q=1, gzip;q=1")).toBe(true)
    // The best gzip q of several, x-gzip included.
    expect(acceptsGzip("x-gzip;q=0.8, gzip;q=0.1, identity;q=0.5")).toBe(true)
    expect(acceptsGzip("gzip;q=0.8, x-gzip;q=0.1, identity;q=0.5")).toBe(true)
  })
})
