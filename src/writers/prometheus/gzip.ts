/**
 * The gzip form of `/metrics`, built so that a scrape compresses only what changed since the
 * last one. The page is pollect's own metrics (small, new every scrape) followed by the
 * sources' series (large, changed only when a result lands). The series are deflated once per
 * SeriesStore version and kept; a scrape puts the head in front as stored (uncompressed)
 * deflate blocks, which end on a byte boundary, and joins the two into one gzip member: a
 * deflate stream may continue with the blocks of another (they refer to nothing before their
 * own start), and the CRC-32 of the whole is combined from the two parts' CRCs. Any gzip
 * decoder reads the result.
 *
 * Bun's own deflate and CRC-32 (Bun.deflateSync, Bun.hash.crc32), not node:zlib: evaluating
 * node:zlib costs a daemon about 6 MB of memory (bench/RESULTS.md, "Footprint"), and Bun's
 * deflate cannot end a part with a sync flush, hence the stored head. The head is a few KB
 * that changes every scrape; storing it costs no CPU, deflating it saved those few KB.
 */
/**
 * zlib level 1: at 10k series (~500 KB) it takes ~0.9 ms and gives ~77 KB, level 6 ~4.9 ms for
 * ~51 KB (measured on the build machine, bench/RESULTS.md). The agent runs on routers and NAS
 * boxes: CPU is the scarcer of the two, and the body is still 6–7 times smaller than identity.
 */
export const GZIP_LEVEL = 1

/** Magic, CM = deflate, no flags, MTIME 0, XFL 0, OS 255 (unknown), as Go's gzip writes it. */
const HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff])

interface Tail {
  version: number
  deflated: Uint8Array
  crc: number
  length: number
}

export class GzipBody {
  private tail?: Tail
  /** Times the series were deflated (a cache miss); tests and benchmarks read it. */
  deflations = 0

  /** gzip of `head + tail`, where `tail` is the text of store version `version`. */
  build(head: string, tail: string, version: number): Uint8Array {
    let cached = this.tail
    if (!cached || cached.version !== version) {
      const bytes = Buffer.from(tail)
      cached = this.tail = {
        version,
        deflated: Bun.deflateSync(bytes, { level: GZIP_LEVEL }),
        crc: Bun.hash.crc32(bytes),
        length: bytes.length,
      }
      this.deflations++
    }
    const headBytes = Buffer.from(head)
    const headDeflated = storedBlocks(headBytes)
    const crc = crc32Combine(Bun.hash.crc32(headBytes), cached.crc, cached.length)
    const size = (headBytes.length + cached.length) >>> 0
    const out = new Uint8Array(HEADER.length + headDeflated.length + cached.deflated.length + 8)
    out.set(HEADER, 0)
    out.set(headDeflated, HEADER.length)
    out.set(cached.deflated, HEADER.length + headDeflated.length)
    const trailer = new DataView(out.buffer, out.length - 8)
    trailer.setUint32(0, crc, true)
    trailer.setUint32(4, size, true)
    return out
  }
}

/** Longest stored block (LEN is 16 bits). */
const STORED_MAX = 0xffff

/**
 * `bytes` as non-final stored deflate blocks (RFC 1951, 3.2.4): per block one byte holding
 * BFINAL 0 and BTYPE 00 (the rest of the byte is padding to the boundary), LEN and its one's
 * complement NLEN (little-endian), then the bytes as they are. Exported for tests.
 */
export function storedBlocks(bytes: Uint8Array): Uint8Array {
  const blocks = Math.ceil(bytes.length / STORED_MAX)
  const out = new Uint8Array(bytes.length + blocks * 5)
  let at = 0
  for (let start = 0; start < bytes.length; start += STORED_MAX) {
    const length = Math.min(STORED_MAX, bytes.length - start)
    out[at] = 0
    out[at + 1] = length & 0xff
    out[at + 2] = length >>> 8
    out[at + 3] = ~length & 0xff
    out[at + 4] = (~length >>> 8) & 0xff
    out.set(bytes.subarray(start, start + length), at + 5)
    at += 5 + length
  }
  return out
}

/**
 * Accept-Encoding negotiation as node_exporter's promhttp does it (gddo's
 * NegotiateContentEncoding): gzip when `gzip` (or `x-gzip`, or `*`) is listed with q > 0 and
 * not below `identity`'s q. `gzip;q=0`, an absent header or only other codings get identity.
 */
export function acceptsGzip(header: string | null): boolean {
  if (!header) return false
  let gzip: number | undefined
  let identity: number | undefined
  let any: number | undefined
  for (const part of header.split(",")) {
    const [token = "", ...params] = part.split(";")
    const coding = token.trim().toLowerCase()
    if (!coding) continue
    let q = 1
    for (const param of params) {
      const [key, value] = param.split("=").map((text) => text.trim())
      if (key?.toLowerCase() !== "q") continue
      q = value !== undefined && /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value) ? Number(value) : 0
    }
    if (coding === "gzip" || coding === "x-gzip") gzip = Math.max(gzip ?? 0, q)
    else if (coding === "identity") identity = q
    else if (coding === "*") any = q
  }
  const gzipQ = gzip ?? any ?? 0
  const identityQ = identity ?? any ?? 0
  return gzipQ > 0 && gzipQ >= identityQ
}

/** CRC-32 of `A + B` from crc(A), crc(B) and B's length (zlib's crc32_combine, GF(2) matrices). */
export function crc32Combine(crc1: number, crc2: number, length2: number): number {
  if (length2 <= 0) return crc1 >>> 0
  const even = new Uint32Array(32)
  const odd = new Uint32Array(32)
  odd[0] = 0xedb88320 // the CRC-32 polynomial, reflected
  for (let n = 1, row = 1; n < 32; n++, row <<= 1) odd[n] = row
  square(even, odd) // two zero bits
  square(odd, even) // four
  let crc = crc1 >>> 0
  let left = length2
  // Apply length2 zero bytes to crc1, one power of two at a time.
  for (;;) {
    square(even, odd)
    if (left % 2) crc = times(even, crc)
    left = Math.floor(left / 2)
    if (!left) break
    square(odd, even)
    if (left % 2) crc = times(odd, crc)
    left = Math.floor(left / 2)
    if (!left) break
  }
  return (crc ^ crc2) >>> 0
}

function times(matrix: Uint32Array, vector: number): number {
  let sum = 0
  for (let i = 0, v = vector >>> 0; v; i++, v >>>= 1) if (v & 1) sum ^= matrix[i]!
  return sum >>> 0
}

function square(target: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) target[n] = times(matrix, matrix[n]!)
}
