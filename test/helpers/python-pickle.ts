/**
 * Reads Graphite pickle frames with Python's own `pickle.loads`, the way carbon does: the
 * reference our encoder is checked against.
 */

import { rmSync } from "node:fs"
import { dirname, join } from "node:path"
import { tempDir } from "./context.ts"

const SCRIPT = `
import json, pickle, struct, sys
data = open(sys.argv[1], "rb").read()
out = {"frames": [], "points": [], "repr": []}
at = 0
while at < len(data):
    (size,) = struct.unpack(">I", data[at:at + 4])
    frame = data[at + 4:at + 4 + size]
    if len(frame) != size:
        raise SystemExit("truncated frame at byte %d" % at)
    out["frames"].append(size)
    for item in pickle.loads(frame):
        path, (time, value) = item
        out["repr"].append(repr(item))
        out["points"].append([path, time, value, type(value).__name__])
    at += 4 + size
sys.stdout.write(json.dumps(out))
`

export interface Unpickled {
  /** Payload size of each frame. */
  frames: number[]
  /** `[path, time, value, python type name]` */
  points: [string, number, number, string][]
  /** Python's `repr()` of each `(path, (time, value))` tuple. */
  repr: string[]
}

/** Decodes a stream of length-prefixed frames with python3 (through a file: large pipes are slow). */
export async function unpickleFrames(bytes: Uint8Array): Promise<Unpickled> {
  const file = join(tempDir("pollect-pickle-"), "frames.bin")
  await Bun.write(file, bytes)
  try {
    const child = Bun.spawn(["python3", "-c", SCRIPT, file], { stdout: "pipe", stderr: "pipe" })
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    if (code !== 0) throw new Error(`python3 pickle.loads failed (${code}): ${err}`)
    return JSON.parse(out) as Unpickled
  } finally {
    rmSync(dirname(file), { recursive: true, force: true })
  }
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

/**
 * Reads Graphite pickle frames in JavaScript, for a sink that checks what arrived without
 * python3: the protocol-2 opcodes of `(path, (time, value))` lists (ours and what Python's
 * `pickle.dumps(..., protocol=2)` writes, memo included). A trailing frame not yet received in
 * full is left out. Python's `pickle.loads` (unpickleFrames) stays the reference.
 */
export function decodePickleFrames(bytes: Uint8Array): [path: string, time: number, value: number][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const utf8 = new TextDecoder()
  const points: [string, number, number][] = []
  let at = 0
  while (at + 4 <= bytes.length) {
    const size = view.getUint32(at, false)
    if (at + 4 + size > bytes.length) break
    const end = at + 4 + size
    let p = at + 4
    const stack: unknown[] = []
    const marks: number[] = []
    const memo = new Map<number, unknown>()
    let done = false
    while (!done) {
      if (p >= end) throw new Error(`pickle frame at byte ${at} ends without STOP`)
      const op = bytes[p++]!
      switch (op) {
        case 0x80: // PROTO
          p++
          break
        case 0x5d: // EMPTY_LIST
          stack.push([])
          break
        case 0x28: // MARK
          marks.push(stack.length)
          break
        case 0x65: {
          // APPENDS
          const items = stack.splice(marks.pop()!)
          ;(stack[stack.length - 1] as unknown[]).push(...items)
          break
        }
        case 0x61: // APPEND
          ;(stack[stack.length - 2] as unknown[]).push(stack.pop())
          break
        case 0x58: {
          // BINUNICODE
          const n = view.getUint32(p, true)
          stack.push(utf8.decode(bytes.subarray(p + 4, p + 4 + n)))
          p += 4 + n
          break
        }
        case 0x8c: {
          // SHORT_BINUNICODE (protocol 4)
          const n = bytes[p]!
          stack.push(utf8.decode(bytes.subarray(p + 1, p + 1 + n)))
          p += 1 + n
          break
        }
        case 0x4b: // BININT1
          stack.push(bytes[p++])
          break
        case 0x4d: // BININT2
          stack.push(view.getUint16(p, true))
          p += 2
          break
        case 0x4a: // BININT
          stack.push(view.getInt32(p, true))
          p += 4
          break
        case 0x8a: {
          // LONG1: little-endian two's complement
          const n = bytes[p++]!
          let x = 0n
          for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[p + i]!)
          if (n && bytes[p + n - 1]! >= 0x80) x -= 1n << BigInt(8 * n)
          stack.push(Number(x))
          p += n
          break
        }
        case 0x47: // BINFLOAT
          stack.push(view.getFloat64(p, false))
          p += 8
          break
        case 0x86: // TUPLE2
          stack.push(stack.splice(-2))
          break
        case 0x85: // TUPLE1
          stack.push(stack.splice(-1))
          break
        case 0x87: // TUPLE3
          stack.push(stack.splice(-3))
          break
        case 0x74: // TUPLE
          stack.push(stack.splice(marks.pop()!))
          break
        case 0x71: // BINPUT
          memo.set(bytes[p++]!, stack[stack.length - 1])
          break
        case 0x72: // LONG_BINPUT
          memo.set(view.getUint32(p, true), stack[stack.length - 1])
          p += 4
          break
        case 0x68: // BINGET
          stack.push(memo.get(bytes[p++]!))
          break
        case 0x6a: // LONG_BINGET
          stack.push(memo.get(view.getUint32(p, true)))
          p += 4
          break
        case 0x94: // MEMOIZE (protocol 4)
          memo.set(memo.size, stack[stack.length - 1])
          break
        case 0x95: // FRAME (protocol 4)
          p += 8
          break
        case 0x2e: // STOP
          done = true
          break
        default:
          throw new Error(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not one Graphite frames use`)
      }
    }
    for (const item of stack.pop() as [string, [number, number]][]) points.push([item[0], item[1][0], item[1][1]])
    at = end
  }
  return points
}
