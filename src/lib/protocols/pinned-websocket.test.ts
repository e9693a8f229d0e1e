import { describe, expect, it } from "bun:test"
import { createHash, X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer as createNetServer } from "node:net"
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

/** A TLS server that hands each connection's upgrade request to `answer` (the raw head), then its later bytes to `received`. */
async function headServer(answer: (socket: TLSSocket, head: string) => void) {
  const received: Buffer[] = []
  const heads: string[] = []
  const servernames: (string | false)[] = []
  const server = createServer(tls, (socket) => {
    servernames.push(socket.servername ?? false)
    let head = ""
    socket.on("data", (chunk: Buffer) => {
      if (!head.includes("\r\n\r\n")) {
        head += chunk.toString("latin1")
        if (head.includes("\r\n\r\n")) {
          heads.push(head)
          answer(socket, head)
        }
        return
      }
      received.push(chunk)
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as { port: number }).port
  return { port, url: `wss://127.0.0.1:${port}/ws`, heads, received, servernames, close: () => server.close() }
}

const acceptOf = (head: string) =>
  createHash("sha1")
    .update(`${/sec-websocket-key: (\S+)/i.exec(head)![1]!}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest("base64")
const upgrade = (head: string) =>
  `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptOf(head)}\r\n\r\n`

describe("PinnedWebSocket, the handshake", () => {
  it("refuses anything but wss://", () => {
    expect(() => new PinnedWebSocket("ws://127.0.0.1/ws", { fingerprint, maxMessageBytes: 100 })).toThrow(
      "ws://127.0.0.1/ws: a pinned certificate needs wss://",
    )
  })

  it("asks for the path and query, with the host and port, a key and version 13; no SNI for an IP address", async () => {
    const server = await headServer((socket, head) => socket.write(upgrade(head)))
    try {
      const ws = new PinnedWebSocket(`${server.url}?a=1&b=2`, { fingerprint, maxMessageBytes: 100 })
      const { seen } = events(ws)
      for (let i = 0; i < 500 && !seen.includes("open"); i++) await Bun.sleep(10)
      expect(seen).toEqual(["open"])
      const lines = server.heads[0]!.split("\r\n")
      expect(lines[0]).toBe("GET /ws?a=1&b=2 HTTP/1.1")
      expect(lines).toContain(`Host: 127.0.0.1:${server.port}`)
      expect(lines).toContain("Upgrade: websocket")
      expect(lines).toContain("Connection: Upgrade")
      expect(lines).toContain("Sec-WebSocket-Version: 13")
      expect(lines.find((l) => l.startsWith("Sec-WebSocket-Key: "))).toMatch(/^Sec-WebSocket-Key: [A-Za-z0-9+/]{22}==$/)
      expect(server.servernames).toEqual([false])
      ws.close()
    } finally {
      server.close()
    }
  })

  it("sends the host name as SNI for a name", async () => {
    const server = await headServer((socket, head) => socket.write(upgrade(head)))
    try {
      const ws = new PinnedWebSocket(`wss://localhost:${server.port}/`, { fingerprint, maxMessageBytes: 100 })
      const { seen } = events(ws)
      for (let i = 0; i < 500 && !seen.includes("open") && !seen.some((s) => s.startsWith("close")); i++) await Bun.sleep(10)
      if (seen.includes("open")) expect(server.servernames).toEqual(["localhost"])
      ws.close()
    } finally {
      server.close()
    }
  })

  it("an answer that is not 101, not HTTP, or a header that never ends is an error", async () => {
    const cases: [(socket: TLSSocket, head: string) => void, string][] = [
      [(socket) => socket.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"), "Expected 101 status code: 404"],
      [(socket) => socket.write("SSH-2.0-OpenSSH\r\n\r\n"), "Expected 101 status code: no HTTP answer"],
      [(socket) => socket.write(`HTTP/1.1 101 OK\r\nX-Filler: ${"f".repeat(17 << 10)}`), "an over-long HTTP answer to the upgrade"],
    ]
    for (const [answer, message] of cases) {
      const server = await headServer(answer)
      try {
        const { seen, done } = events(new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes: 100 }))
        await done
        expect(seen).toEqual([`error:${message}`, "close:1006:"])
      } finally {
        server.close()
      }
    }
  })

  it("a header of up to 16 KiB arriving in pieces is read, and frames in its last piece too", async () => {
    const server = await headServer((socket, head) => {
      const answer = upgrade(head).replace("\r\n\r\n", `\r\nX-Filler: ${"f".repeat(15 << 10)}\r\n\r\n`)
      socket.write(answer.slice(0, 100))
      setTimeout(() => socket.write(Buffer.concat([Buffer.from(answer.slice(100)), frame(0x1, "together")])), 30)
    })
    try {
      const ws = new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes: 100 })
      const { seen } = events(ws)
      for (let i = 0; i < 500 && seen.length < 2; i++) await Bun.sleep(10)
      expect(seen).toEqual(["open", "text:together"])
      ws.close()
    } finally {
      server.close()
    }
  })
})

describe("PinnedWebSocket, frames", () => {
  /** A connection whose server writes `chunks` (one every 10 ms) after the upgrade. */
  async function session(chunks: Buffer[], maxMessageBytes = 1 << 20, wait: (seen: string[]) => boolean = () => false) {
    const server = await headServer((socket, head) => {
      socket.write(upgrade(head))
      chunks.forEach((chunk, i) => setTimeout(() => socket.write(chunk), 10 * (i + 1)))
    })
    const ws = new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes })
    const data: unknown[] = []
    ws.addEventListener("message", (e) => data.push((e as MessageEvent).data))
    const { seen, done } = events(ws)
    await Promise.race([
      done,
      (async () => {
        for (let i = 0; i < 500 && !wait(seen); i++) await Bun.sleep(10)
      })(),
    ])
    return { ws, seen, data, server, done }
  }

  it("frames split anywhere, their 16- and 64-bit lengths too, are put together", async () => {
    const long = frame(0x1, "z".repeat(200)) // 16-bit length
    const huge = frame(0x2, Buffer.alloc(70_000, 7)) // 64-bit length
    const all = Buffer.concat([frame(0x1, "ab"), long, huge])
    const pieces = [all.subarray(0, 1), all.subarray(1, 5), all.subarray(5, 6), all.subarray(6, 7), all.subarray(7, 9)]
    pieces.push(all.subarray(9, 12), all.subarray(12, 2 + 4 + 4 + 200 + 4), all.subarray(214, 218), all.subarray(218))
    const { seen, data, ws, server } = await session(pieces, 1 << 20, (s) => s.length >= 4)
    try {
      expect(seen).toEqual(["open", "text:ab", "text:200 chars", "binary:70000"])
      const bytes = new Uint8Array(data[2] as ArrayBuffer)
      expect(bytes.length).toBe(70_000)
      expect(bytes.every((b) => b === 7)).toBe(true)
      ws.close()
    } finally {
      server.close()
    }
  })

  it("a binary message is exactly its bytes, also when it came in fragments", async () => {
    const { data, ws, server } = await session(
      [Buffer.concat([frame(0x2, Buffer.from([1, 2]), true), frame(0x0, Buffer.from([3]))]), frame(0x1, "after")],
      1 << 20,
      (s) => s.length >= 3,
    )
    try {
      expect([...new Uint8Array(data[0] as ArrayBuffer)]).toEqual([1, 2, 3])
      expect(data[1]).toBe("after")
      ws.close()
    } finally {
      server.close()
    }
  })

  it("a message of exactly maxMessageBytes is read; fragments adding up past it end the connection", async () => {
    const ok = await session([frame(0x1, "x".repeat(10))], 10, (s) => s.length >= 2)
    try {
      expect(ok.seen).toEqual(["open", "text:xxxxxxxxxx"])
      ok.ws.close()
    } finally {
      ok.server.close()
    }
    const over = await session([Buffer.concat([frame(0x1, "x".repeat(6), true), frame(0x0, "y".repeat(5))])], 10)
    try {
      await over.done
      expect(over.seen).toEqual(["open", "error:a message of more than 10 bytes, the most read", "close:1006:"])
    } finally {
      over.server.close()
    }
  })

  it("a ping larger than maxMessageBytes is answered (control frames are not messages); a pong is ignored", async () => {
    const { seen, ws, server } = await session(
      [frame(0x9, "p".repeat(20)), frame(0xa, "ignored"), frame(0x1, "ok")],
      10,
      (s) => s.length >= 2,
    )
    try {
      expect(seen).toEqual(["open", "text:ok"])
      await Bun.sleep(50)
      const replies = clientFrames(Buffer.concat(server.received))
      expect(replies.map((r) => `${r.opcode}:${r.payload.toString()}`)).toEqual([`10:${"p".repeat(20)}`])
      ws.close()
    } finally {
      server.close()
    }
  })

  it("an unknown opcode is an error; a close without a code is 1005; a long reason is cut at 200", async () => {
    const unknown = await session([frame(0x3, "?")])
    try {
      await unknown.done
      expect(unknown.seen).toEqual(["open", "error:an unknown frame (opcode 3)", "close:1006:"])
    } finally {
      unknown.server.close()
    }
    const bare = await session([frame(0x8, Buffer.alloc(0))])
    try {
      await bare.done
      expect(bare.seen).toEqual(["open", "close:1005:"])
    } finally {
      bare.server.close()
    }
    const long = await session([frame(0x8, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from("r".repeat(250))]))])
    try {
      await long.done
      expect(long.seen).toEqual(["open", `close:4000:${"r".repeat(200)}`])
      await Bun.sleep(30)
      expect(clientFrames(Buffer.concat(long.server.received)).map((r) => [...r.payload])).toEqual([[0x0f, 0xa0]])
    } finally {
      long.server.close()
    }
  })

  it("close() after open sends a close frame with the code and reason, and fires no close event", async () => {
    const { seen, ws, server } = await session([], 100, (s) => s.includes("open"))
    try {
      ws.close(4001, "bye")
      await Bun.sleep(100)
      expect(seen).toEqual(["open"])
      const frames = clientFrames(Buffer.concat(server.received))
      expect(frames.map((f) => [f.opcode, [...f.payload]])).toEqual([[8, [0x0f, 0xa1, ...Buffer.from("bye")]]])
      ws.close() // again: nothing more
      await Bun.sleep(30)
      expect(clientFrames(Buffer.concat(server.received))).toHaveLength(1)
    } finally {
      server.close()
    }
  })

  it("close() before the upgrade sends nothing; a server that hangs up mid-session is 1006", async () => {
    const server = await headServer(() => {})
    try {
      const ws = new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes: 100 })
      const { seen } = events(ws)
      await Bun.sleep(50)
      ws.close()
      await Bun.sleep(50)
      expect(seen).toEqual([])
      expect(server.received).toEqual([])
    } finally {
      server.close()
    }
    const hangup = await headServer((socket, head) => {
      socket.write(upgrade(head))
      setTimeout(() => socket.end(), 30)
    })
    try {
      const { seen, done } = events(new PinnedWebSocket(hangup.url, { fingerprint, maxMessageBytes: 100 }))
      await done
      expect(seen).toEqual(["open", "close:1006:"])
    } finally {
      hangup.close()
    }
  })
})

describe("PinnedWebSocket, edges", () => {
  async function run(
    answer: (socket: TLSSocket, head: string) => void,
    maxMessageBytes = 10,
    wait = (s: string[]) => s.some((x) => x.startsWith("close")),
  ) {
    const server = await headServer(answer)
    const ws = new PinnedWebSocket(server.url, { fingerprint, maxMessageBytes })
    const { seen } = events(ws)
    for (let i = 0; i < 300 && !wait(seen); i++) await Bun.sleep(10)
    return { ws, seen, server }
  }

  it("empty frames with a needless 16- or 64-bit length are read as soon as their header is there", async () => {
    const cases: [number[], string][] = [
      [[0x81, 126, 0, 0], "text:"],
      [[0x82, 127, 0, 0, 0, 0, 0, 0, 0, 0], "binary:0"],
    ]
    for (const [bytes, message] of cases) {
      const { ws, seen, server } = await run(
        (socket, head) => {
          socket.write(upgrade(head))
          setTimeout(() => socket.write(Buffer.from(bytes)), 20)
        },
        10,
        (s) => s.length >= 2,
      )
      try {
        expect(seen).toEqual(["open", message])
        ws.close()
      } finally {
        server.close()
      }
    }
  })

  it("a close frame longer than maxMessageBytes is a close, and a bare code is read", async () => {
    const long = await run((socket, head) => {
      socket.write(upgrade(head))
      socket.write(frame(0x8, Buffer.concat([Buffer.from([0x03, 0xe9]), Buffer.from("a reason of 24 bytes....")])))
    })
    try {
      expect(long.seen).toEqual(["open", "close:1001:a reason of 24 bytes...."])
    } finally {
      long.server.close()
    }
    const bare = await run((socket, head) => {
      socket.write(upgrade(head))
      socket.write(frame(0x8, Buffer.from([0x03, 0xe8])))
    })
    try {
      expect(bare.seen).toEqual(["open", "close:1000:"])
    } finally {
      bare.server.close()
    }
  })

  it("a ping of 125 bytes is answered, one of 126 (not allowed, RFC 6455 5.5) is not", async () => {
    const { ws, seen, server } = await run(
      (socket, head) => {
        socket.write(upgrade(head))
        socket.write(Buffer.concat([frame(0x9, "q".repeat(126)), frame(0x9, "p".repeat(125)), frame(0x1, "ok")]))
      },
      1000,
      (s) => s.length >= 2,
    )
    try {
      expect(seen).toEqual(["open", "text:ok"])
      await Bun.sleep(50)
      const bytes = Buffer.concat(server.received)
      expect(bytes.length).toBe(6 + 125)
      expect(clientFrames(bytes).map((r) => `${r.opcode}:${r.payload.toString()}`)).toEqual([`10:${"p".repeat(125)}`])
      ws.close()
    } finally {
      server.close()
    }
  })

  it("close(code) without a reason sends the code alone", async () => {
    const { ws, seen, server } = await run(
      (socket, head) => socket.write(upgrade(head)),
      10,
      (s) => s.includes("open"),
    )
    try {
      expect(ws.binaryType).toBe("arraybuffer")
      ws.close(4002)
      await Bun.sleep(50)
      expect(seen).toEqual(["open"])
      expect(clientFrames(Buffer.concat(server.received)).map((f) => [f.opcode, [...f.payload]])).toEqual([[8, [0x0f, 0xa2]]])
    } finally {
      server.close()
    }
  })

  it("close() while connecting silences the later connection error", async () => {
    const ws = new PinnedWebSocket("wss://127.0.0.1:1/ws", { fingerprint, maxMessageBytes: 10 })
    const { seen } = events(ws)
    ws.close()
    await Bun.sleep(100)
    expect(seen).toEqual([])
  })

  it("a TLS error other than a refused connection keeps its message", async () => {
    const plain = createNetServer((socket) => socket.end("not TLS at all\r\n\r\n"))
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve))
    try {
      const port = (plain.address() as { port: number }).port
      const { seen, done } = events(new PinnedWebSocket(`wss://127.0.0.1:${port}/`, { fingerprint, maxMessageBytes: 10 }))
      await done
      const errors = seen.filter((s) => s.startsWith("error:"))
      expect(errors).toHaveLength(1)
      expect(errors[0]).not.toBe("error:Failed to connect")
    } finally {
      plain.close()
    }
  })

  it("a pinned fingerprint that is not 64 hex digits is shown as given", async () => {
    const server = await headServer(() => {})
    try {
      const { seen, done } = events(new PinnedWebSocket(server.url, { fingerprint: "abc", maxMessageBytes: 10 }))
      await done
      const pretty = fingerprint.toUpperCase().match(/../g)!.join(":")
      expect(seen).toEqual([`error:certificate SHA-256 ${pretty} is not the pinned abc`, "close:1006:"])
    } finally {
      server.close()
    }
  })

  it("an answer that is only a blank line, or has the status line later, is no HTTP answer; a missing accept is wrong", async () => {
    const cases: [string, string][] = [
      ["\r\n\r\n", "Expected 101 status code: no HTTP answer"],
      ["X HTTP/1.1 101 Switching Protocols\r\n\r\n", "Expected 101 status code: no HTTP answer"],
      ["HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "wrong Sec-WebSocket-Accept"],
    ]
    for (const [answer, message] of cases) {
      const { seen, server } = await run((socket) => socket.write(answer))
      try {
        expect(seen).toEqual([`error:${message}`, "close:1006:"])
      } finally {
        server.close()
      }
    }
  })

  it("an accept header without a space after the colon, and a header of exactly 16 KiB before its blank line, are read", async () => {
    const { ws, seen, server } = await run(
      (socket, head) => {
        const answer = upgrade(head).replace("Sec-WebSocket-Accept: ", "Sec-WebSocket-Accept:")
        const start = answer.slice(0, -4)
        const filled = start.replace("\r\nUpgrade:", `\r\nX-Filler: ${"f".repeat((16 << 10) - start.length - 12)}\r\nUpgrade:`)
        expect(filled.length).toBe(16 << 10)
        socket.write(filled)
        setTimeout(() => socket.write("\r\n\r\n"), 50)
      },
      10,
      (s) => s.length >= 1,
    )
    try {
      expect(seen).toEqual(["open"])
      ws.close()
    } finally {
      server.close()
    }
  })
})
