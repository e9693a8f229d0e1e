/**
 * The few protobuf wire rules the ESPHome native API needs: varints, fixed32 (keys and floats)
 * and length-delimited strings. A hand-written reader of a dozen messages is smaller than a
 * runtime .proto parser (protobufjs) or generated code (@bufbuild/protobuf), needs no schema file
 * in the binary, and bounds every read: a truncated or malformed message is a thrown Error.
 */

/** One field as read: varints are numbers (up to 2^53), fixed32 a 4-byte view, bytes a slice. */
export type Field =
  | { no: number; wire: 0; value: number }
  | { no: number; wire: 5; bytes: Uint8Array }
  | { no: number; wire: 1; bytes: Uint8Array }
  | { no: number; wire: 2; bytes: Uint8Array }

/** Reads a varint at `pos`; returns [value, next position]. At most 10 bytes; 53 bits kept exact. */
export function readVarint(buf: Uint8Array, pos: number, maxBytes = 10): [number, number] {
  let value = 0
  let scale = 1
  for (let i = 0; i < maxBytes; i++) {
    if (pos >= buf.length) throw new Error("truncated varint")
    const byte = buf[pos++]!
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) return [value, pos]
    scale *= 128
  }
  throw new Error(`varint longer than ${maxBytes} bytes`)
}

/** Encodes a non-negative integer as a varint. */
export function varint(value: number): number[] {
  if (!Number.isInteger(value) || value < 0) throw new Error(`not a varint: ${value}`)
  const out: number[] = []
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  out.push(value)
  return out
}

/** Every field of one message, in order; throws on a truncated field or an unknown wire type. */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = []
  let pos = 0
  while (pos < buf.length) {
    const [tag, afterTag] = readVarint(buf, pos)
    pos = afterTag
    const no = Math.floor(tag / 8)
    const wire = tag % 8
    if (no === 0) throw new Error("field number 0")
    if (wire === 0) {
      const [value, next] = readVarint(buf, pos)
      fields.push({ no, wire, value })
      pos = next
    } else if (wire === 5 || wire === 1) {
      const size = wire === 5 ? 4 : 8
      if (pos + size > buf.length) throw new Error(`truncated fixed${size * 8} field ${no}`)
      fields.push({ no, wire, bytes: buf.subarray(pos, pos + size) })
      pos += size
    } else if (wire === 2) {
      const [length, next] = readVarint(buf, pos)
      if (next + length > buf.length) throw new Error(`truncated field ${no} (${length} bytes declared)`)
      fields.push({ no, wire, bytes: buf.subarray(next, next + length) })
      pos = next + length
    } else {
      throw new Error(`unsupported wire type ${wire} (field ${no})`)
    }
  }
  return fields
}

const utf8 = new TextDecoder("utf-8", { fatal: false })
const utf8Encoder = new TextEncoder()

/** The field values a message decoder asks for, by number; the last occurrence wins, as in protobuf. */
export class FieldMap {
  private readonly byNo = new Map<number, Field>()
  constructor(buf: Uint8Array) {
    for (const field of readFields(buf)) this.byNo.set(field.no, field)
  }
  /** A string field, at most `max` characters (longer ones are cut: names are capped by the firmware too). */
  string(no: number, max = 256): string {
    const field = this.byNo.get(no)
    if (field?.wire !== 2) return ""
    const text = utf8.decode(field.bytes)
    return text.length > max ? text.slice(0, max) : text
  }
  uint(no: number): number {
    const field = this.byNo.get(no)
    return field?.wire === 0 ? field.value : 0
  }
  bool(no: number): boolean {
    return this.uint(no) !== 0
  }
  fixed32(no: number): number {
    const field = this.byNo.get(no)
    if (field?.wire !== 5) return 0
    return new DataView(field.bytes.buffer, field.bytes.byteOffset, 4).getUint32(0, true)
  }
  float(no: number): number {
    const field = this.byNo.get(no)
    if (field?.wire !== 5) return 0
    return new DataView(field.bytes.buffer, field.bytes.byteOffset, 4).getFloat32(0, true)
  }
}

/** Builds a message field by field (proto3: zero values may be left out by the caller). */
export class MessageWriter {
  private readonly bytes: number[] = []
  uint(no: number, value: number): this {
    this.bytes.push(...varint(no * 8), ...varint(value))
    return this
  }
  bool(no: number, value: boolean): this {
    return value ? this.uint(no, 1) : this
  }
  string(no: number, value: string): this {
    const encoded = utf8Encoder.encode(value)
    this.bytes.push(...varint(no * 8 + 2), ...varint(encoded.length), ...encoded)
    return this
  }
  fixed32(no: number, value: number): this {
    const four = new Uint8Array(4)
    new DataView(four.buffer).setUint32(0, value >>> 0, true)
    this.bytes.push(...varint(no * 8 + 5), ...four)
    return this
  }
  float(no: number, value: number): this {
    const four = new Uint8Array(4)
    new DataView(four.buffer).setFloat32(0, value, true)
    this.bytes.push(...varint(no * 8 + 5), ...four)
    return this
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes)
  }
}
