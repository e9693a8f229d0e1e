/**
 * Snappy compression, block format (not the framed format): what remote_write requires
 * (`Content-Encoding: snappy`). The format is Google's `format_description.txt`: a varint of the
 * uncompressed length, then literals and back-references (copies) of at most 64 KiB distance.
 *
 * The matcher is the reference one (Go's `encodeBlock`): 64 KiB blocks, a 16 K-entry hash table of
 * 4-byte sequences, a skip that grows while nothing matches (incompressible input goes fast).
 * Written here because it is ~100 lines, has no dependency, and measured faster than snappyjs
 * on remote_write bodies (bench/remote-write.ts).
 */

const BLOCK = 1 << 16
const TABLE_BITS = 14
const TABLE_SIZE = 1 << TABLE_BITS
/** The last bytes of a block are always literal: a 4-byte load never reads past its end. */
const INPUT_MARGIN = 15

/** The most bytes `snappyCompress` can produce for `n` input bytes (snappy's MaxEncodedLen). */
export function maxCompressedLength(n: number): number {
  return 32 + n + Math.floor(n / 6)
}

/** Compresses `input` into one snappy block-format buffer. */
export function snappyCompress(input: Uint8Array, table = new Int32Array(TABLE_SIZE)): Uint8Array {
  const out = new Uint8Array(maxCompressedLength(input.length))
  let op = 0
  // The preamble: the uncompressed length as a varint.
  for (let n = input.length; ; ) {
    if (n < 0x80) {
      out[op++] = n
      break
    }
    out[op++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  for (let start = 0; start < input.length; start += BLOCK) {
    const end = Math.min(start + BLOCK, input.length)
    // A block too short for a match (under 17 bytes) finds none and comes out as one literal.
    op = compressBlock(input, start, end, out, op, table)
  }
  return out.subarray(0, op)
}

function load32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
}

function hash(u: number): number {
  return Math.imul(u, 0x1e35a7bd) >>> (32 - TABLE_BITS)
}

function compressBlock(src: Uint8Array, start: number, end: number, out: Uint8Array, op: number, table: Int32Array): number {
  table.fill(-1)
  const sLimit = end - INPUT_MARGIN
  let nextEmit = start
  let s = start + 1
  let nextHash = hash(load32(src, s))
  outer: for (;;) {
    // Look for a 4-byte match; skip faster the longer nothing matches.
    let skip = 32
    let nextS = s
    let candidate = 0
    do {
      s = nextS
      const step = skip >> 5
      skip++
      nextS = s + step
      if (nextS > sLimit) break outer
      candidate = table[nextHash]!
      table[nextHash] = s
      nextHash = hash(load32(src, nextS))
    } while (candidate < 0 || load32(src, s) !== load32(src, candidate))
    op = emitLiteral(out, op, src, nextEmit, s)
    // Copies, as long as the next position matches too.
    for (;;) {
      const base = s
      s += 4
      let i = candidate + 4
      // Four bytes at a time while they match, then byte by byte.
      while (s + 4 <= end && load32(src, i) === load32(src, s)) {
        i += 4
        s += 4
      }
      while (s < end && src[i] === src[s]) {
        i++
        s++
      }
      op = emitCopy(out, op, base - candidate, s - base)
      nextEmit = s
      if (s >= sLimit) break outer
      table[hash(load32(src, s - 1))] = s - 1
      const h = hash(load32(src, s))
      candidate = table[h]!
      table[h] = s
      if (candidate < 0 || load32(src, s) !== load32(src, candidate)) {
        s++
        nextHash = hash(load32(src, s))
        break // on to the next literal run (the inner loop is the outer loop's last statement)
      }
    }
  }
  return emitLiteral(out, op, src, nextEmit, end)
}

/**
 * The bytes `from`..`to` as they are (nothing when the range is empty). A literal lies within one
 * 64 KiB block, so its length − 1 fits in 2 bytes.
 */
function emitLiteral(out: Uint8Array, op: number, src: Uint8Array, from: number, to: number): number {
  const n = to - from - 1
  if (n < 0) return op
  if (n < 60) out[op++] = n << 2
  else if (n < 0x100) {
    out[op++] = 60 << 2
    out[op++] = n
  } else {
    out[op++] = 61 << 2
    out[op++] = n & 0xff
    out[op++] = n >>> 8
  }
  if (to - from < 16) for (let i = from; i < to; i++) out[op++] = src[i]!
  else {
    out.set(src.subarray(from, to), op)
    op += to - from
  }
  return op
}

/** A back-reference of `length` (≥ 4) bytes at `offset` (< 64 KiB), as copies of 1 or 2 offset bytes. */
function emitCopy(out: Uint8Array, op: number, offset: number, length: number): number {
  while (length >= 68) {
    op = copy2(out, op, offset, 64)
    length -= 64
  }
  if (length > 64) {
    op = copy2(out, op, offset, 60)
    length -= 60
  }
  if (length >= 12 || offset >= 2048) return copy2(out, op, offset, length)
  out[op++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5)
  out[op++] = offset & 0xff
  return op
}

function copy2(out: Uint8Array, op: number, offset: number, length: number): number {
  out[op++] = 2 | ((length - 1) << 2)
  out[op++] = offset & 0xff
  out[op++] = offset >>> 8
  return op
}
