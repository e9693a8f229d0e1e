/**
 * One native-API connection over a socket, either side: bytes in → frames (plain or Noise) →
 * messages, queued for an async reader; messages out → frames. After a Noise handshake the
 * caller installs the transport ciphers and messages are encrypted both ways. Everything is
 * bounded: the decoder's frame limit, and at most MAX_QUEUED_BYTES waiting to be read; anything
 * the peer gets wrong closes the link with an Error that every pending and later read gets.
 */
import type { Socket } from "node:net"
import {
  decodeNoiseMessage,
  encodeNoiseFrame,
  encodeNoiseMessage,
  encodePlainFrame,
  FrameError,
  NoiseFrameDecoder,
  type PlainFrame,
  PlainFrameDecoder,
} from "./frames.ts"
import type { TransportCiphers } from "./noise.ts"

const MAX_QUEUED_BYTES = 1 << 20
const EMPTY = new Uint8Array(0)

export type Framing = "plain" | "noise"

type Waiter = {
  resolve: (frame: PlainFrame | Uint8Array | undefined) => void
  reject: (error: Error) => void
  timer?: ReturnType<typeof setTimeout>
}

export class Link {
  private readonly queue: (PlainFrame | Uint8Array)[] = []
  private queuedBytes = 0
  private readonly waiters: Waiter[] = []
  private readonly plainDecoder?: PlainFrameDecoder
  private readonly noiseDecoder?: NoiseFrameDecoder
  private ciphers?: TransportCiphers
  private failure?: Error
  /** Whether any byte arrived (a peer that closes at once differs from one that answered). */
  received = false

  /**
   * `farewell`: bytes to send before closing on a FrameError from the peer (the fake device
   * answers a client of the other protocol in its own framing, as ESPHome does).
   */
  constructor(
    private readonly socket: Socket,
    readonly framing: Framing,
    private readonly farewell?: (error: FrameError) => Uint8Array | undefined,
  ) {
    if (framing === "plain") this.plainDecoder = new PlainFrameDecoder()
    else this.noiseDecoder = new NoiseFrameDecoder()
    socket.setNoDelay(true)
    socket.on("data", (chunk: Buffer) => this.onData(new Uint8Array(chunk)))
    socket.on("error", (error: Error) => this.fail(error))
    socket.on("close", () => this.fail(new Error("connection closed by the peer")))
  }

  /** Installs the transport keys: from now on messages are encrypted. */
  useCiphers(ciphers: TransportCiphers): void {
    this.ciphers = ciphers
  }

  get error(): Error | undefined {
    return this.failure
  }

  /** The next raw frame (plain: type and payload; Noise: the frame's bytes); undefined after `timeoutMs`. */
  nextFrame(timeoutMs: number): Promise<PlainFrame | Uint8Array | undefined> {
    const queued = this.queue.shift()
    if (queued) {
      this.queuedBytes -= "type" in queued ? queued.payload.length : queued.length
      return Promise.resolve(queued)
    }
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject }
      if (Number.isFinite(timeoutMs)) {
        waiter.timer = setTimeout(() => {
          const index = this.waiters.indexOf(waiter)
          if (index >= 0) this.waiters.splice(index, 1)
          resolve(undefined)
        }, timeoutMs)
      }
      this.waiters.push(waiter)
    })
  }

  /** The next message, decrypted if the link is encrypted; undefined after `timeoutMs`. */
  async nextMessage(timeoutMs: number): Promise<PlainFrame | undefined> {
    const frame = await this.nextFrame(timeoutMs)
    if (frame === undefined) return undefined
    if ("type" in frame) return frame
    if (!this.ciphers) throw this.fail(new Error("encrypted message before the handshake finished"))
    try {
      return decodeNoiseMessage(this.ciphers.receive.decrypt(EMPTY, frame))
    } catch (error) {
      throw this.fail(new Error(`bad encrypted frame: ${(error as Error).message}`))
    }
  }

  sendMessage(type: number, payload: Uint8Array = EMPTY): void {
    if (this.framing === "plain") return this.write(encodePlainFrame(type, payload))
    if (!this.ciphers) throw new Error("the Noise handshake has not finished")
    this.write(encodeNoiseFrame(this.ciphers.send.encrypt(EMPTY, encodeNoiseMessage(type, payload))))
  }

  /** A raw Noise frame (hello, handshake messages). */
  sendFrame(frame: Uint8Array): void {
    this.write(encodeNoiseFrame(frame))
  }

  /** Closes the socket; pending and later reads reject with `error` (default: closed). */
  close(error: Error = new Error("connection closed")): void {
    this.fail(error)
  }

  /** Ends the socket after what was written is sent. */
  end(): void {
    this.socket.end()
    setTimeout(() => this.fail(new Error("connection closed")), 200).unref?.()
  }

  private write(bytes: Uint8Array): void {
    if (this.failure) throw this.failure
    this.socket.write(bytes)
  }

  private onData(chunk: Uint8Array): void {
    if (this.failure) return
    this.received = true
    let frames: (PlainFrame | Uint8Array)[]
    try {
      frames = this.plainDecoder ? this.plainDecoder.push(chunk) : this.noiseDecoder!.push(chunk)
    } catch (error) {
      const goodbye = error instanceof FrameError ? this.farewell?.(error) : undefined
      if (goodbye) this.socket.end(goodbye)
      this.fail(error as Error, !goodbye)
      return
    }
    for (const frame of frames) {
      const waiter = this.waiters.shift()
      if (waiter) {
        if (waiter.timer) clearTimeout(waiter.timer)
        waiter.resolve(frame)
        continue
      }
      this.queuedBytes += "type" in frame ? frame.payload.length : frame.length
      if (this.queuedBytes > MAX_QUEUED_BYTES) {
        this.fail(new Error(`the peer sent more than ${MAX_QUEUED_BYTES} bytes that were not read`))
        return
      }
      this.queue.push(frame)
    }
  }

  private fail(error: Error, destroy = true): Error {
    if (this.failure) return this.failure
    this.failure = error
    if (destroy) this.socket.destroy()
    for (const waiter of this.waiters.splice(0)) {
      if (waiter.timer) clearTimeout(waiter.timer)
      waiter.reject(error)
    }
    return error
  }
}
