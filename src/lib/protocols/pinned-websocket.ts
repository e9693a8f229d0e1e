/**
 * A small websocket client (RFC 6455) over a TLS socket of our own, for a device whose
 * self-signed certificate is pinned by its SHA-256 fingerprint: Bun's WebSocket client shows
 * neither the peer certificate nor a `checkServerIdentity` hook, so the check has to happen on
 * the socket the websocket then runs on. It offers the part of the WebSocket interface that
 * KeptWebSocket uses (`addEventListener` for open/message/error/close, `close()`), text and
 * binary messages, fragmentation, ping → pong and the closing handshake. A message is bounded
 * while it arrives (`maxMessageBytes`): a longer one ends the connection before it is buffered.
 */
import { createHash, randomBytes } from "node:crypto"
import { type TLSSocket, connect } from "node:tls"

export { normalizeFingerprint } from "../options/fingerprint.ts"

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
const MAX_HEADER_BYTES = 16 << 10

type Listener = (event: Event) => void

export interface PinnedWebSocketOptions {
  /** SHA-256 of the certificate (DER), as normalizeFingerprint gives it. */
  fingerprint: string
  maxMessageBytes: number
}

/** One connection to a `wss://host[:port]/path` URL whose certificate must have `fingerprint`. */
export class PinnedWebSocket extends EventTarget {
  binaryType = "arraybuffer"
  private socket?: TLSSocket
  private state: "connecting" | "open" | "closed" = "connecting"
  private buffer: Buffer = Buffer.alloc(0)
  private fragments: Buffer[] = []
  private fragmentBytes = 0
  private fragmentOpcode = 0
  private readonly key = randomBytes(16).toString("base64")

  constructor(url: string, options: PinnedWebSocketOptions) {
    super()
    const target = new URL(url)
    if (target.protocol !== "wss:") throw new Error(`${url}: a pinned certificate needs wss://`)
    const port = Number(target.port || 443)
    const socket = connect({
      host: target.hostname,
      port,
      servername: isIp(target.hostname) ? undefined : target.hostname,
      rejectUnauthorized: false,
    })
    this.socket = socket
    socket.once("secureConnect", () => {
      const seen = socket.getPeerCertificate()?.raw
      const actual = seen ? createHash("sha256").update(seen).digest("hex") : "none"
      if (actual !== options.fingerprint)
        return this.fail(`certificate SHA-256 ${colons(actual)} is not the pinned ${colons(options.fingerprint)}`)
      socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${this.key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      )
    })
    socket.on("data", (chunk: Buffer) => this.onData(chunk, options.maxMessageBytes))
    socket.on("error", (error: Error) => this.fail(error.message.includes("ECONNREFUSED") ? "Failed to connect" : error.message))
    socket.on("close", () => this.finish(1006, ""))
  }

  /** Sends a close frame and ends the socket. */
  close(code = 1000, reason = ""): void {
    if (this.state === "open") {
      const body = Buffer.alloc(2 + Buffer.byteLength(reason))
      body.writeUInt16BE(code, 0)
      body.write(reason, 2)
      this.sendFrame(0x8, body)
    }
    this.socket?.end()
    this.finish(code, reason, false)
  }

  private onData(chunk: Buffer, maxMessageBytes: number): void {
    if (this.state === "closed") return
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk
    if (this.state === "connecting") {
      const end = this.buffer.indexOf("\r\n\r\n")
      if (end < 0) {
        if (this.buffer.length > MAX_HEADER_BYTES) this.fail("an over-long HTTP answer to the upgrade")
        return
      }
      const head = this.buffer.subarray(0, end).toString("latin1")
      this.buffer = this.buffer.subarray(end + 4)
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]
      if (status !== "101") return this.fail(`Expected 101 status code: ${status ?? "no HTTP answer"}`)
      const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1]
      if (
        accept !==
        createHash("sha1")
          .update(this.key + GUID)
          .digest("base64")
      )
        return this.fail("wrong Sec-WebSocket-Accept")
      this.state = "open"
      this.dispatchEvent(new Event("open"))
    }
    this.readFrames(maxMessageBytes)
  }

  private readFrames(maxMessageBytes: number): void {
    while (this.state === "open" && this.buffer.length >= 2) {
      const b0 = this.buffer[0]!
      const b1 = this.buffer[1]!
      const fin = (b0 & 0x80) !== 0
      const opcode = b0 & 0x0f
      if (b1 & 0x80) return this.fail("a masked frame from the server")
      let length = b1 & 0x7f
      let offset = 2
      if (length === 126) {
        if (this.buffer.length < 4) return
        length = this.buffer.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (this.buffer.length < 10) return
        const big = this.buffer.readBigUInt64BE(2)
        length = big > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(big)
        offset = 10
      }
      if (opcode < 0x8 && this.fragmentBytes + length > maxMessageBytes)
        return this.fail(`a message of more than ${maxMessageBytes} bytes, the most read`)
      if (this.buffer.length < offset + length) return
      const payload = this.buffer.subarray(offset, offset + length)
      this.buffer = this.buffer.subarray(offset + length)
      if (opcode === 0x8) {
        // The closing handshake: echo the code, end the socket, report the peer's code and reason.
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 1005
        this.sendFrame(0x8, payload.subarray(0, 2))
        this.socket?.end()
        this.finish(code, payload.subarray(2).toString("utf8").slice(0, 200))
        return
      }
      if (opcode === 0x9) {
        this.sendFrame(0xa, payload)
        continue
      }
      if (opcode === 0xa) continue
      if (opcode !== 0x0 && opcode !== 0x1 && opcode !== 0x2) return this.fail(`an unknown frame (opcode ${opcode})`)
      if (opcode !== 0x0) this.fragmentOpcode = opcode
      this.fragments.push(Buffer.from(payload))
      this.fragmentBytes += payload.length
      if (!fin) continue
      const message = Buffer.concat(this.fragments)
      this.fragments = []
      this.fragmentBytes = 0
      const data =
        this.fragmentOpcode === 0x1
          ? message.toString("utf8")
          : message.buffer.slice(message.byteOffset, message.byteOffset + message.length)
      this.dispatchEvent(new MessageEvent("message", { data }))
    }
  }

  /** Client frames are masked (RFC 6455 5.3). */
  private sendFrame(opcode: number, payload: Buffer): void {
    if (!this.socket || payload.length > 125) return
    const mask = randomBytes(4)
    const frame = Buffer.alloc(6 + payload.length)
    frame[0] = 0x80 | opcode
    frame[1] = 0x80 | payload.length
    mask.copy(frame, 2)
    for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!
    this.socket.write(frame)
  }

  private fail(message: string): void {
    if (this.state === "closed") return
    this.dispatchEvent(new ErrorEvent("error", { message }))
    this.socket?.destroy()
    this.finish(1006, "")
  }

  private finish(code: number, reason: string, notify = true): void {
    if (this.state === "closed") return
    this.state = "closed"
    this.buffer = Buffer.alloc(0)
    this.fragments = []
    if (notify) this.dispatchEvent(new CloseEvent("close", { code, reason }))
  }

  override addEventListener(type: string, listener: Listener): void {
    super.addEventListener(type, listener)
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(":")
}

function colons(hex: string): string {
  return hex.length === 64 ? hex.toUpperCase().match(/../g)!.join(":") : hex
}
