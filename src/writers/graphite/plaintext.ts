/**
 * Graphite's plaintext protocol, `path value timestamp\n` per point, for relays that only speak
 * it. Same interface as the pickle encoder so the writer can send either; frames are just
 * chunks of lines (the protocol has no framing), kept under `maxBytes` for bounded writes.
 */
import { CARBON_MAX_PICKLE_BYTES, type FrameEncoder } from "./pickle.ts"

/** A number as carbon's `float()` reads it back exactly; -0 keeps its sign. */
export function plaintextNumber(n: number): string {
  return Object.is(n, -0) ? "-0" : String(n)
}

export function plaintextLine(path: string, time: number, value: number): string {
  return `${path} ${plaintextNumber(value)} ${plaintextNumber(time)}\n`
}

export class PlaintextFrameEncoder implements FrameEncoder {
  private buf: Uint8Array
  private pos = 0
  private points = 0
  private readonly utf8 = new TextEncoder()

  constructor(readonly maxBytes = CARBON_MAX_PICKLE_BYTES) {
    this.buf = new Uint8Array(Math.min(64 * 1024, maxBytes))
  }

  get count(): number {
    return this.points
  }

  begin(): void {
    this.pos = 0
    this.points = 0
  }

  add(path: string, time: number, value: number): boolean {
    const line = plaintextLine(path, time, value)
    if (this.pos + line.length * 3 > this.buf.length) this.grow(this.pos + line.length * 3)
    const written = this.utf8.encodeInto(line, this.buf.subarray(this.pos)).written
    if (this.pos + written > this.maxBytes) return false
    this.pos += written
    this.points++
    return true
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }

  private grow(size: number): void {
    let length = this.buf.length * 2
    while (length < size) length *= 2
    const grown = new Uint8Array(length)
    grown.set(this.buf.subarray(0, this.pos))
    this.buf = grown
  }
}
