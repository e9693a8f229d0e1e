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
