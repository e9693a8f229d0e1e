import { describe, expect, it } from "bun:test"
import { createHash, X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer, type TLSSocket } from "node:tls"
import { tempDir } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { normalizeFingerprint, PinnedWebSocket } from "./pinned-websocket.ts"

const files = selfSignedCert(tempDir("pinned-ws-"))
const tls = { key: readFileSync(files.key), cert: readFileSync(files.cert) }
const fingerprint = normalizeFingerprint(new X509Certificate(tls.cert).fingerprint256)!

/** One server frame (unmasked): FIN unless `more`, the 7/16/64-bit length forms. */
function frame(opcode: number, payload: Buffer | string, more = false): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload
  const head = body.length < 126 ? Buffer.from([0, body.length]) : body.length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  head[0] = (more ? 0 : 0x80) | opcode
  if (body.length >= 126 && body.length < 65536) {
    head[1] = 126
    head.writeUInt16BE(body.length, 2)
  } else if (body.length >= 65536) {
    head[1] = 127
    head.writeBigUInt64BE(BigInt(body.length), 2)
  }
  return Buffer.concat([head, body])
}

/** Unmasks the client's frames (each must be masked). */
function clientFrames(data: Buffer): { opcode: number; payload: Buffer }[] {
  const out: { opcode: number; payload: Buffer }[] = []
  let at = 0
  while (at + 6 <= data.length) {
    expect(data[at + 1]! & 0x80).toBe(0x80)
    const length = data[at + 1]! & 0x7f
    const mask = data.subarray(at + 2, at + 6)
    const payload = Buffer.from(data.subarray(at + 6, at + 6 + length).map((b, i) => b ^ mask[i % 4]!))
    out.push({ opcode: data[at]! & 0x0f, payload })
    at += 6 + length
  }
  return out
}

/** A raw TLS websocket server: answers the upgrade (RFC 6455 accept), then runs `script`. */
async function rawServer(script: (socket: TLSSocket, received: Buffer[]) => void, badAccept = false) {
  const received: Buffer[] = []
  const server = createServer(tls, (socket) => {
    let head = ""
    socket.on("data", (chunk: Buffer) => {
      if (!head.includes("\r\n\r\n")) {
        head += chunk.toString("latin1")
        if (!head.includes("\r\n\r\n")) return
        const key = /sec-websocket-key: (\S+)/i.exec(head)![1]!
        const accept = badAccept ? "AAAA" : createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64")
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        )
        script(socket, received)
        return
      }
      received.push(chunk)
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  return { url: `wss://127.0.0.1:${port}/ws`, received, close: () => server.close() }
}

function events(ws: PinnedWebSocket) {
  const seen: string[] = []
  const done = new Promise<void>((resolve) => {
    ws.addEventListener("open", () => seen.push("open"))
    ws.addEventListener("message", (e) => {
      const data = (e as MessageEvent).data
      seen.push(
        typeof data === "string"
          ? `text:${data.length > 40 ? `${data.length} chars` : data}`
          : `binary:${(data as ArrayBuffer).byteLength}`,
      )
    })
    ws.addEventListener("error", (e) => seen.push(`error:${(e as ErrorEvent).message}`))
    ws.addEventListener("close", (e) => {
      seen.push(`close:${(e as CloseEvent).code}:${(e as CloseEvent).reason}`)
      resolve()
    })
  })
  return { seen, done }
}

describe("PinnedWebSocket", () => {
  it("normalizes fingerprints (colons, case) and refuses anything but 64 hex digits", () => {
    expect(normalizeFingerprint(new X509Certificate(tls.cert).fingerprint256)).toMatch(/^[0-9a-f]{64}$/)
    expect(normalizeFingerprint("AB".repeat(32))).toBe("ab".repeat(32))
    expect(normalizeFingerprint("ab:cd")).toBeUndefined()
    expect(normalizeFingerprint("zz".repeat(32))).toBeUndefined()
  })

  it("reads fragmented text, 16- and 64-bit lengths and binary; answers a ping with a pong; reports the peer's close", async () => {
    const server = await rawServer((socket) => {
      socket.write(Buffer.concat([frame(0x1, "hel", true), frame(0x9, "p1"), frame(0x0, "lo")]))
      socket.write(frame(0x1, "x".repeat(300)))
      socket.write(frame(0x1, "y".repeat(70_000)))
      socket.write(frame(0x2, Buffer.from([1, 2, 3])))
      const close = Buffer.concat([Buffer.from([0x03, 0xe9]), Buffer.from("going away")])
      setTimeout(() => socket.write(frame(0x8, close)), 50)
    })
    try {
      const ws = new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes: 1 << 20 })
      const { seen, done } = events(ws)
      await done
      expect(seen).toEqual(["open", "text:hello", "text:300 chars", "text:70000 chars", "binary:3", "close:1001:going away"])
      await Bun.sleep(50)
      const replies = clientFrames(Buffer.concat(server.received))
      expect(replies.map((r) => `${r.opcode}:${r.payload.toString("latin1")}`)).toEqual(["10:p1", "8:\u0003\u00e9"])
    } finally {
      server.close()
    }
  })

  it("refuses a message over the limit as soon as its header arrives, not after buffering it", async () => {
    let written = 0
    const server = await rawServer((socket) => {
      // Announce 64 MiB, then send only a little: the client must give up on the header alone.
      const head = Buffer.alloc(10)
      head[0] = 0x81
      head[1] = 127
      head.writeBigUInt64BE(BigInt(64 << 20), 2)
      socket.write(head)
      written = socket.write(Buffer.alloc(1000)) ? 1000 : 0
    })
    try {
      const ws = new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes: 1 << 20 })
      const { seen, done } = events(ws)
      await done
      expect(seen).toEqual(["open", `error:a message of more than ${1 << 20} bytes, the most read`, "close:1006:"])
      expect(written).toBe(1000)
    } finally {
      server.close()
    }
  })

  it("a certificate with another fingerprint is refused before anything is sent", async () => {
    const server = await rawServer(() => {})
    try {
      const wrong = "00".repeat(32)
      const ws = new PinnedWebSocket(server.url, { fingerprint: wrong, maxMessageBytes: 1 << 20 })
      const { seen, done } = events(ws)
      await done
      const pretty = (hex: string) => hex.toUpperCase().match(/../g)!.join(":")
      expect(seen).toEqual([`error:certificate SHA-256 ${pretty(fingerprint)} is not the pinned ${pretty(wrong)}`, "close:1006:"])
      expect(server.received).toEqual([])
    } finally {
      server.close()
    }
  })

  it("a wrong Sec-WebSocket-Accept, a refused port and a masked server frame are errors", async () => {
    const bad = await rawServer(() => {}, true)
    const masked = await rawServer((socket) => socket.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 5])))
    try {
      for (const [url, message] of [
        [bad.url, "wrong Sec-WebSocket-Accept"],
        [masked.url, "a masked frame from the server"],
        ["wss://127.0.0.1:1/ws", "Failed to connect"],
      ] as const) {
        const { seen, done } = events(new PinnedWebSocket(url, { fingerprint, maxMessageBytes: 1 << 20 }))
        await done
        expect(seen.filter((s) => s.startsWith("error:"))).toEqual([`error:${message}`])
      }
    } finally {
      bad.close()
      masked.close()
    }
  })
})
