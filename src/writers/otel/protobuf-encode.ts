/**
 * ExportMetricsServiceRequest in protobuf, hand-written: the few messages pollect sends (Resource,
 * InstrumentationScope, Metric with Gauge or Sum, NumberDataPoint, KeyValue with a string
 * AnyValue) with three wire types (varint, fixed64, length-delimited). Field numbers are those
 * of opentelemetry-proto's metrics.proto, common.proto, resource.proto and metrics_service.proto.
 *
 * The message is written back to front, so every nested message's length is known when its
 * length prefix is written: one pass, no size computation, no copies. It was measured against
 * protobufjs and @bufbuild/protobuf in bench/otel-encode.ts (README.md has the figures).
 */
import { groupByMetric, type Point } from "./points.ts"

/** What one request carries besides its points. */
export interface RequestHead {
  /** Resource attributes, alternating keys and values. */
  resource: string[]
  scopeName: string
  scopeVersion: string
}

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LEN = 2

const tag = (field: number, wire: number) => (field << 3) | wire

/** A byte buffer filled from its end towards its start. */
export class ReverseWriter {
  buf: Uint8Array
  view: DataView
  /** The first written byte; the message is `buf.subarray(pos)`. */
  pos: number

  constructor(initial = 64 * 1024) {
    this.buf = new Uint8Array(initial)
    this.view = new DataView(this.buf.buffer)
    this.pos = initial
  }

  reset(): void {
    this.pos = this.buf.length
  }

  /** Bytes written so far (measured from the end). */
  get length(): number {
    return this.buf.length - this.pos
  }

  result(): Uint8Array {
    return this.buf.subarray(this.pos)
  }

  ensure(n: number): void {
    if (this.pos >= n) return
    const used = this.buf.length - this.pos
    let size = Math.max(this.buf.length * 2, 16) // an empty first buffer would never double
    while (size - used < n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(this.pos), size - used)
    this.buf = next
    this.view = new DataView(next.buffer)
    this.pos = size - used
  }

  varint(value: number): void {
    // Values here are below 2^32 (tags, lengths, enums); most are one byte.
    if (value < 0x80) {
      if (this.pos < 1) this.ensure(1)
      this.buf[--this.pos] = value
      return
    }
    this.ensure(5)
    let n = 1
    for (let v = value >>> 7; v; v >>>= 7) n++
    let p = (this.pos -= n)
    let v = value >>> 0
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.buf[p] = v
  }

  double(value: number): void {
    this.ensure(8)
    this.pos -= 8
    this.view.setFloat64(this.pos, value, true)
  }

  /** A fixed64 given as its low and high 32 bits. */
  fixed64(lo: number, hi: number): void {
    if (this.pos < 8) this.ensure(8)
    const p = (this.pos -= 8)
    this.view.setUint32(p, lo, true)
    this.view.setUint32(p + 4, hi, true)
  }

  /** Raw bytes. */
  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length)
    this.pos -= bytes.length
    this.buf.set(bytes, this.pos)
  }

  /** UTF-8 of `text`, no prefix. */
  utf8(text: string): void {
    const n = text.length
    // ASCII (names, most label values): one byte per char, copied by hand (faster than a
    // TextEncoder call for short strings); the first other char falls back to TextEncoder.
    this.ensure(n)
    const p = this.pos - n
    const buf = this.buf
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i)
      if (c > 0x7f) return this.bytes(encoder.encode(text))
      buf[p + i] = c
    }
    this.pos = p
  }

  /** A string field (skipped when empty, as proto3 does for plain fields). */
  string(field: number, text: string): void {
    if (text !== "") this.stringAlways(field, text)
  }

  /** A string field even when empty (a member of a oneof is written whenever it is set). */
  stringAlways(field: number, text: string): void {
    const end = this.length
    this.utf8(text)
    this.varint(this.length - end)
    this.varint(tag(field, WIRE_LEN))
  }

  /** Closes a length-delimited field whose content was written since `end` (an earlier `length`). */
  close(field: number, end: number): void {
    this.varint(this.length - end)
    this.varint(tag(field, WIRE_LEN))
  }
}

const encoder = new TextEncoder()

/** Unix seconds → nanoseconds as a fixed64's low and high 32 bits, microsecond precision. */
export function fixed64Nanos(seconds: number): { lo: number; hi: number } {
  const ns = BigInt(Math.round(seconds * 1e6)) * 1000n
  return { lo: Number(ns & 0xffffffffn), hi: Number(ns >> 32n) }
}

/** Unix seconds → nanoseconds as decimal text (OTLP/JSON writes 64-bit integers as strings). */
export function decimalNanos(seconds: number): string {
  return (BigInt(Math.round(seconds * 1e6)) * 1000n).toString()
}

/** KeyValue list (each `{ key, value: { string_value } }`) as repeated field `field`. */
function keyValues(w: ReverseWriter, field: number, kv: string[]): void {
  for (let i = kv.length - 2; i >= 0; i -= 2) {
    const end = w.length
    const anyEnd = w.length
    w.stringAlways(1, kv[i + 1]!) // AnyValue.string_value
    w.close(2, anyEnd) // KeyValue.value (an empty AnyValue is still present)
    w.string(1, kv[i]!) // KeyValue.key
    w.close(field, end)
  }
}

/** Encodes one ExportMetricsServiceRequest into `w` (reset first); returns the bytes (a view of w's buffer). */
export function encodeRequestProto(w: ReverseWriter, head: RequestHead, points: readonly Point[]): Uint8Array {
  w.reset()
  // A request holds few distinct times (one per tick): each is converted once.
  const times = new Map<number, { lo: number; hi: number }>()
  let lastSeconds = Number.NaN
  let last = { lo: 0, hi: 0 }
  const nanos = (seconds: number) => {
    if (seconds === lastSeconds) return last
    let ns = times.get(seconds)
    if (ns === undefined) times.set(seconds, (ns = fixed64Nanos(seconds)))
    lastSeconds = seconds
    return (last = ns)
  }
  const groups = groupByMetric(points)
  const requestEnd = w.length
  // ResourceMetrics (1) { resource (1), scope_metrics (2) { scope (1), metrics (2)... } }
  const scopeMetricsEnd = w.length
  for (let g = groups.length - 1; g >= 0; g--) {
    const { metric, points: pts } = groups[g]!
    const metricEnd = w.length
    const dataEnd = w.length
    if (metric.monotonic) {
      w.varint(1) // Sum.is_monotonic = true
      w.varint(tag(3, WIRE_VARINT))
      w.varint(2) // Sum.aggregation_temporality = CUMULATIVE
      w.varint(tag(2, WIRE_VARINT))
    }
    for (let i = pts.length - 1; i >= 0; i--) {
      const p = pts[i]!
      const pointEnd = w.length
      keyValues(w, 7, p.attributes) // NumberDataPoint.attributes
      w.double(p.value)
      w.varint(tag(4, WIRE_FIXED64)) // as_double
      const time = nanos(p.time)
      w.fixed64(time.lo, time.hi)
      w.varint(tag(3, WIRE_FIXED64)) // time_unix_nano
      if (!Number.isNaN(p.start)) {
        const start = p.start === p.time ? time : nanos(p.start)
        w.fixed64(start.lo, start.hi)
        w.varint(tag(2, WIRE_FIXED64)) // start_time_unix_nano
      }
      w.close(1, pointEnd) // Gauge/Sum.data_points
    }
    w.close(metric.monotonic ? 7 : 5, dataEnd) // Metric.sum / Metric.gauge
    w.string(3, metric.unit)
    w.string(2, metric.description)
    w.string(1, metric.name)
    w.close(2, metricEnd) // ScopeMetrics.metrics
  }
  const scopeEnd = w.length
  w.string(2, head.scopeVersion)
  w.string(1, head.scopeName)
  w.close(1, scopeEnd) // ScopeMetrics.scope
  w.close(2, scopeMetricsEnd) // ResourceMetrics.scope_metrics
  const resourceEnd = w.length
  keyValues(w, 1, head.resource) // Resource.attributes
  w.close(1, resourceEnd) // ResourceMetrics.resource
  w.close(1, requestEnd) // ExportMetricsServiceRequest.resource_metrics
  return w.result()
}
