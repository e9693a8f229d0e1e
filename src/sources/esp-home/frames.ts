/**
 * The native API's two framings, as ESPHome's api_frame_helper and aioesphomeapi define them:
 * - plain text: `0x00, varint(payload length), varint(message type), payload`;
 * - Noise: `0x01, u16 big-endian length, frame` (the frame: a handshake message, or after the
 *   handshake ChaCha20-Poly1305 ciphertext of `u16 type, u16 length, payload`).
 * Decoders are incremental (bytes in, whole frames out) and bounded: a frame longer than 65535
 * bytes, an over-long varint or a wrong first byte is a FrameError, and the caller closes.
 */
import { concat } from "./noise.ts"
import { readVarint, varint } from "./protobuf.ts"

/** The firmware's limit (uint16 lengths); the same cap holds for plain-text frames. */
export const MAX_FRAME = 65535

export type FrameErrorKind = "plaintext-peer" | "noise-peer" | "garbage" | "oversized"

export class FrameError extends Error {
  constructor(
    readonly kind: FrameErrorKind,
    message: string,
  ) {
    super(message)
  }
}

export interface PlainFrame {
  type: number
  payload: Uint8Array
}

function hex(byte: number): string {
  return "0x" + byte.toString(16).padStart(2, "0")
}

function wrongPreamble(byte: number, expected: 0 | 1): FrameError {
  if (byte === 0x01 && expected === 0) return new FrameError("noise-peer", "the peer speaks the encrypted (Noise) protocol")
  if (byte === 0x00 && expected === 1) return new FrameError("plaintext-peer", "the peer speaks the plain-text protocol")
  return new FrameError("garbage", `not an ESPHome native API frame (first byte ${hex(byte)}, expected ${hex(expected)})`)
}

/** Accumulates bytes; hands back what follows the frames taken so far. */
class Buffered {
  protected buf: Uint8Array = new Uint8Array(0)
  protected append(chunk: Uint8Array): void {
    this.buf = this.buf.length === 0 ? chunk : concat(this.buf, chunk)
  }
}

/** Plain-text frames, one side's incoming stream. */
export class PlainFrameDecoder extends Buffered {
  push(chunk: Uint8Array): PlainFrame[] {
    this.append(chunk)
    const frames: PlainFrame[] = []
    let pos = 0
    while (pos < this.buf.length) {
      const preamble = this.buf[pos]!
      if (preamble !== 0x00) throw wrongPreamble(preamble, 0)
      const header = this.header(pos + 1)
      if (!header) break
      const { length, type, start } = header
      if (start + length > this.buf.length) break
      frames.push({ type, payload: this.buf.slice(start, start + length) })
      pos = start + length
    }
    this.buf = this.buf.subarray(pos)
    return frames
  }

  private header(pos: number): { length: number; type: number; start: number } | undefined {
    try {
      const [length, afterLength] = readVarint(this.buf, pos, 4)
      if (length > MAX_FRAME) throw new FrameError("oversized", `frame of ${length} bytes announced (limit ${MAX_FRAME})`)
      const [type, start] = readVarint(this.buf, afterLength, 4)
      return { length, type, start }
    } catch (error) {
      if (error instanceof FrameError) throw error
      if (error instanceof Error && error.message === "truncated varint") return undefined
      throw new FrameError("garbage", `bad frame header: ${(error as Error).message}`)
    }
  }
}

/** Noise frames (handshake messages or ciphertexts), one side's incoming stream. */
export class NoiseFrameDecoder extends Buffered {
  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk)
    const frames: Uint8Array[] = []
    let pos = 0
    while (pos < this.buf.length) {
      const preamble = this.buf[pos]!
      if (preamble !== 0x01) throw wrongPreamble(preamble, 1)
      if (pos + 3 > this.buf.length) break
      const length = (this.buf[pos + 1]! << 8) | this.buf[pos + 2]!
      if (pos + 3 + length > this.buf.length) break
      frames.push(this.buf.slice(pos + 3, pos + 3 + length))
      pos += 3 + length
    }
    this.buf = this.buf.subarray(pos)
    return frames
  }
}

export function encodePlainFrame(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME) throw new FrameError("oversized", `message of ${payload.length} bytes (limit ${MAX_FRAME})`)
  return concat(Uint8Array.from([0, ...varint(payload.length), ...varint(type)]), payload)
}

export function encodeNoiseFrame(frame: Uint8Array): Uint8Array {
  if (frame.length > MAX_FRAME) throw new FrameError("oversized", `frame of ${frame.length} bytes (limit ${MAX_FRAME})`)
  return concat(Uint8Array.of(1, frame.length >> 8, frame.length & 0xff), frame)
}

/** The plaintext inside an encrypted frame: `u16 type, u16 length, payload`. */
export function encodeNoiseMessage(type: number, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_FRAME - 4 - 16) throw new FrameError("oversized", `message of ${payload.length} bytes`)
  return concat(Uint8Array.of(type >> 8, type & 0xff, payload.length >> 8, payload.length & 0xff), payload)
}

/** Reads `u16 type, u16 length, payload`; the length must match what is there. */
export function decodeNoiseMessage(plain: Uint8Array): PlainFrame {
  if (plain.length < 4) throw new FrameError("garbage", `decrypted message of ${plain.length} bytes (at least 4)`)
  const type = (plain[0]! << 8) | plain[1]!
  const length = (plain[2]! << 8) | plain[3]!
  if (length !== plain.length - 4) throw new FrameError("garbage", `decrypted message announces ${length} bytes, holds ${plain.length - 4}`)
  return { type, payload: plain.slice(4) }
}
