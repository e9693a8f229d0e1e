/**
 * The protobuf encoding of a remote_write 1.0 `WriteRequest` (prompb/remote.proto and types.proto
 * of Prometheus), written by hand: only four tiny messages are needed, and a series' labels are
 * encoded once and reused every tick (see series.ts), so a sample costs a few stores.
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1 }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2 }
 *   Label        { string name = 1; string value = 2 }
 *   Sample       { double value = 1; int64 timestamp = 2 }   // timestamp: Unix ms
 */

const utf8 = new TextEncoder()

/** The bits of Prometheus' staleness marker (model/value.StaleNaN): a NaN no source produces. */
export const STALE_NAN_HIGH = 0x7ff00000
export const STALE_NAN_LOW = 0x00000002

/** Bytes of `n` (≥ 0, < 2^53) as a varint. */
export function varintLength(n: number): number {
  let len = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/**
 * The labels of one series as the repeated `labels` field of a TimeSeries (tag, length, Label),
 * in the order given: the caller sorts them by name, as remote_write requires.
 */
export function encodeLabels(pairs: readonly (readonly [string, string])[]): Uint8Array {
  const parts = pairs.map(([name, value]) => [utf8.encode(name), utf8.encode(value)] as const)
  let size = 0
  for (const [name, value] of parts) {
    const inner = 1 + varintLength(name.length) + name.length + 1 + varintLength(value.length) + value.length
    size += 1 + varintLength(inner) + inner
  }
  const out = new Uint8Array(size)
  let pos = 0
  const varint = (n: number) => {
    while (n >= 0x80) {
      out[pos++] = (n & 0x7f) | 0x80
      n = Math.floor(n / 128)
    }
    out[pos++] = n
  }
  for (const [name, value] of parts) {
    out[pos++] = 0x0a // TimeSeries.labels, length-delimited
    varint(1 + varintLength(name.length) + name.length + 1 + varintLength(value.length) + value.length)
    out[pos++] = 0x0a // Label.name
    varint(name.length)
    out.set(name, pos)
    pos += name.length
    out[pos++] = 0x12 // Label.value
    varint(value.length)
    out.set(value, pos)
    pos += value.length
  }
  return out
}

/**
 * Builds one WriteRequest, one TimeSeries per sample (pollect sends one sample per series per
 * tick), into a buffer that grows and is reused from request to request.
 *
 * @example
 * const request = new WriteRequestEncoder()
 * request.add(encodeLabels([["__name__", "up"]]), 1, Date.now())
 * const body = snappyCompress(request.bytes())
 */
export class WriteRequestEncoder {
  private buf = new Uint8Array(64 << 10)
  private view = new DataView(this.buf.buffer)
  private pos = 0
  /** Samples added since the last reset. */
  samples = 0
  /** The last timestamp's varint: a tick's samples share one. */
  private tsValue = Number.NaN
  private tsBytes = new Uint8Array(10)
  private tsLength = 0

  /** Starts a new request (keeps the buffer). */
  reset(): void {
    this.pos = 0
    this.samples = 0
  }

  /** The encoded request so far: a view into the reused buffer, valid until the next add or reset. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }

  /** One series (its encoded labels) with one sample. */
  add(labels: Uint8Array, value: number, timestampMs: number): void {
    this.sample(labels, timestampMs, false, value)
  }

  /** One series with the staleness marker: the series ended at `timestampMs`. */
  addStale(labels: Uint8Array, timestampMs: number): void {
    this.sample(labels, timestampMs, true, 0)
  }

  private sample(labels: Uint8Array, timestampMs: number, stale: boolean, value: number): void {
    if (timestampMs !== this.tsValue) this.timestamp(timestampMs)
    const tsLength = this.tsLength
    const sampleLength = 1 + 8 + 1 + tsLength
    const seriesLength = labels.length + 2 + sampleLength
    this.reserve(1 + 5 + seriesLength)
    const buf = this.buf
    let pos = this.pos
    buf[pos++] = 0x0a // WriteRequest.timeseries
    for (let n = seriesLength; ; ) {
      if (n < 0x80) {
        buf[pos++] = n
        break
      }
      buf[pos++] = (n & 0x7f) | 0x80
      n >>>= 7
    }
    const n = labels.length
    // A loop beats the native call for the usual ~100 bytes.
    if (n <= 256) for (let i = 0; i < n; i++) buf[pos++] = labels[i]!
    else {
      buf.set(labels, pos)
      pos += n
    }
    buf[pos++] = 0x12 // TimeSeries.samples
    buf[pos++] = sampleLength
    buf[pos++] = 0x09 // Sample.value, fixed64
    if (stale) {
      this.view.setUint32(pos, STALE_NAN_LOW, true)
      this.view.setUint32(pos + 4, STALE_NAN_HIGH, true)
    } else this.view.setFloat64(pos, value, true)
    pos += 8
    buf[pos++] = 0x10 // Sample.timestamp, varint
    const tsBytes = this.tsBytes
    for (let i = 0; i < tsLength; i++) buf[pos++] = tsBytes[i]!
    this.pos = pos
    this.samples++
  }

  /** Encodes a timestamp (int64 ms) as a varint into tsBytes. */
  private timestamp(timestampMs: number): void {
    this.tsValue = timestampMs
    const ts = Math.trunc(timestampMs)
    const out = this.tsBytes
    let pos = 0
    if (ts >= 0) {
      let n = ts
      while (n >= 0x80) {
        out[pos++] = (n % 128) | 0x80
        n = Math.floor(n / 128)
      }
      out[pos++] = n
    } else {
      // Before 1970: int64 two's complement, always 10 bytes.
      let n = BigInt.asUintN(64, BigInt(ts))
      for (let i = 0; i < 9; i++, n >>= 7n) out[pos++] = Number(n & 0x7fn) | 0x80
      out[pos++] = Number(n)
    }
    this.tsLength = pos
  }

  private reserve(extra: number): void {
    if (this.pos + extra <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
}
