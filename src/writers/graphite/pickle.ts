/**
 * Graphite's pickle protocol, written by hand: a 4-byte big-endian length, then a protocol-2
 * pickle of a list of `(path, (timestamp, value))` tuples. Only plain strings, ints, floats and
 * tuples go out, so carbon's safe unpickler accepts every frame (the Python pollect pickled its
 * own classes, which carbon refuses: "Attempting to unpickle unsafe module").
 *
 * Points are encoded straight into one reused buffer (no per-point objects). A frame never
 * exceeds `maxPayload` bytes: carbon drops the connection on a frame above its
 * PICKLE_RECEIVER_MAX_LENGTH (1 MiB by default), so the caller starts a new frame when `add()`
 * says the point does not fit.
 */

/** carbon's PICKLE_RECEIVER_MAX_LENGTH default: the largest payload it accepts. */
export const CARBON_MAX_PICKLE_BYTES = 1 << 20

// Opcodes, all from protocol 2 or older. SHORT_BINUNICODE (0x8c) would save 3 bytes per path,
// but it is protocol 4: Python 2 carbons (graphite 0.9/1.0) cannot read it.
const PROTO = 0x80
const EMPTY_LIST = 0x5d // ]
const MARK = 0x28 // (
const APPENDS = 0x65 // e
const STOP = 0x2e // .
const BINUNICODE = 0x58 // X, 4-byte little-endian length, UTF-8
const BININT1 = 0x4b // K, unsigned byte
const BININT2 = 0x4d // M, unsigned 16-bit little-endian
const BININT = 0x4a // J, signed 32-bit little-endian
const LONG1 = 0x8a // 1-byte length, little-endian two's complement
const BINFLOAT = 0x47 // G, big-endian IEEE 754 double
const TUPLE2 = 0x86

/** APPENDS + STOP, reserved so a frame can always be closed. */
const TRAILER = 2
/** Length prefix + PROTO 2 + EMPTY_LIST + MARK. */
const HEADER = 4 + 2 + 1 + 1
/** The most bytes two numbers and two TUPLE2 take (LONG1 of a number below 1e21 is ≤ 11 bytes). */
const NUMBERS_MAX = 2 * 11 + 2

/**
 * Numbers JavaScript prints as integers (below 1e21, as `String(n)` does) go out as Python ints,
 * exactly; the rest, and -0, as floats.
 */
export function isPickleInt(n: number): boolean {
  return Number.isInteger(n) && Math.abs(n) < 1e21 && !Object.is(n, -0)
}

/** A point that can be sent: Graphite has no NaN or Infinity. */
export function isFiniteValue(n: number): boolean {
  return n - n === 0
}

export interface FrameEncoder {
  /** Starts a new frame; the previous frame's bytes become invalid. */
  begin(): void
  /** Appends a point; false (and nothing appended) when it does not fit into this frame. */
  add(path: string, time: number, value: number): boolean
  /** Points in the current frame. */
  readonly count: number
  /** Closes the frame. The bytes are a view of the reused buffer, valid until the next `begin()`. */
  finish(): Uint8Array
}

export class PickleFrameEncoder implements FrameEncoder {
  private buf: Uint8Array
  private view: DataView
  private pos = 0
  private points = 0
  private readonly utf8 = new TextEncoder()

  constructor(readonly maxPayload = CARBON_MAX_PICKLE_BYTES) {
    this.buf = new Uint8Array(Math.min(64 * 1024, maxPayload + 4 + TRAILER))
    this.view = new DataView(this.buf.buffer)
  }

  get count(): number {
    return this.points
  }

  begin(): void {
    this.ensure(HEADER)
    const buf = this.buf
    buf[4] = PROTO
    buf[5] = 2
    buf[6] = EMPTY_LIST
    buf[7] = MARK
    this.pos = HEADER
    this.points = 0
  }

  add(path: string, time: number, value: number): boolean {
    const start = this.pos
    // Worst case: 3 UTF-8 bytes per UTF-16 unit.
    this.ensure(start + 5 + path.length * 3 + NUMBERS_MAX + TRAILER)
    this.string(path)
    this.number(time)
    this.number(value)
    const buf = this.buf
    buf[this.pos++] = TUPLE2
    buf[this.pos++] = TUPLE2
    if (this.pos - 4 + TRAILER > this.maxPayload) {
      this.pos = start
      return false
    }
    this.points++
    return true
  }

  finish(): Uint8Array {
    const buf = this.buf
    buf[this.pos++] = APPENDS
    buf[this.pos++] = STOP
    this.view.setUint32(0, this.pos - 4, false)
    return buf.subarray(0, this.pos)
  }

  private ensure(size: number): void {
    if (size <= this.buf.length) return
    let length = this.buf.length * 2
    while (length < size) length *= 2
    const grown = new Uint8Array(length)
    grown.set(this.buf.subarray(0, this.pos))
    this.buf = grown
    this.view = new DataView(grown.buffer)
  }

  private string(text: string): void {
    const buf = this.buf
    const lengthAt = this.pos + 1
    buf[this.pos] = BINUNICODE
    let p = lengthAt + 4
    const n = text.length
    let i = 0
    // ASCII fast path (metric paths nearly always are); the rest through TextEncoder.
    for (; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) break
      buf[p++] = c
    }
    if (i < n) p += this.utf8.encodeInto(text.slice(i), buf.subarray(p)).written
    this.view.setUint32(lengthAt, p - lengthAt - 4, true)
    this.pos = p
  }

  private number(n: number): void {
    const buf = this.buf
    let p = this.pos
    if (!isPickleInt(n)) {
      buf[p] = BINFLOAT
      this.view.setFloat64(p + 1, n, false)
      this.pos = p + 9
    } else if (n >= 0 && n < 0x100) {
      buf[p] = BININT1
      buf[p + 1] = n
      this.pos = p + 2
    } else if (n >= 0 && n < 0x10000) {
      buf[p] = BININT2
      buf[p + 1] = n & 0xff
      buf[p + 2] = n >>> 8
      this.pos = p + 3
    } else if (n >= -0x80000000 && n < 0x80000000) {
      buf[p] = BININT
      this.view.setInt32(p + 1, n, true)
      this.pos = p + 5
    } else {
      buf[p] = LONG1
      p += 2
      const bytes = Number.isSafeInteger(n) ? writeLongSafe(buf, p, n) : writeLongBig(buf, p, BigInt(n))
      buf[p - 1] = bytes
      this.pos = p + bytes
    }
  }
}

/**
 * Little-endian two's complement of a safe integer, in the fewest bytes Python would use. A
 * negative n is written as the bytes of -n-1, inverted (exact, no 2^k + n rounding).
 */
function writeLongSafe(buf: Uint8Array, at: number, n: number): number {
  const negative = n < 0
  let x = negative ? -n - 1 : n
  const flip = negative ? 0xff : 0
  let p = at
  let top = 0
  do {
    top = x % 256
    buf[p++] = top ^ flip
    x = (x - top) / 256
  } while (x > 0)
  if (top >= 0x80) buf[p++] = flip // the sign bit must say what the sign is
  return p - at
}

function writeLongBig(buf: Uint8Array, at: number, n: bigint): number {
  const negative = n < 0n
  let x = negative ? -n - 1n : n
  const flip = negative ? 0xff : 0
  let p = at
  let top = 0
  do {
    top = Number(x & 0xffn)
    buf[p++] = top ^ flip
    x >>= 8n
  } while (x > 0n)
  if (top >= 0x80) buf[p++] = flip
  return p - at
}

export interface PicklePoint {
  path: string
  time: number
  value: number
}

/**
 * Encodes points into as many frames as it takes (each a copy), dropping what Graphite cannot
 * store: non-finite values, and a point too large for a frame on its own.
 */
export function encodePickleFrames(
  points: Iterable<PicklePoint>,
  maxPayload = CARBON_MAX_PICKLE_BYTES,
): { frames: Uint8Array[]; dropped: number } {
  return encodeFrames(new PickleFrameEncoder(maxPayload), points)
}

export function encodeFrames(encoder: FrameEncoder, points: Iterable<PicklePoint>): { frames: Uint8Array[]; dropped: number } {
  const frames: Uint8Array[] = []
  let dropped = 0
  encoder.begin()
  for (const { path, time, value } of points) {
    if (!isFiniteValue(value) || !isFiniteValue(time)) {
      dropped++
      continue
    }
    if (encoder.add(path, time, value)) continue
    if (encoder.count === 0) {
      dropped++ // alone it is too large
      continue
    }
    frames.push(encoder.finish().slice())
    encoder.begin()
    if (!encoder.add(path, time, value)) dropped++
  }
  if (encoder.count > 0) frames.push(encoder.finish().slice())
  return { frames, dropped }
}
