/**
 * A long-lived client of one ESPHome device's native API: connect (plain text, or Noise with the
 * psk), HelloRequest (+ the empty AuthenticationRequest older firmware wants), ListEntities
 * (sensors and binary sensors), SubscribeStates, then keep the newest state per entity key. It
 * answers the device's PingRequest and GetTimeRequest, pings a quiet device itself and drops a
 * connection that stays silent. When the connection ends (a reboot, Wi-Fi loss) it reconnects
 * with a growing pause (1 s … 60 s); `connected()` starts an attempt at once, so a probe never
 * reports the states of a connection that is gone.
 */
import { connect, type Socket } from "node:net"
import type { Logger } from "../../api.ts"
import { FrameError, type PlainFrame } from "./frames.ts"
import { Link } from "./link.ts"
import {
  decodeAuthenticationResponse,
  decodeEntity,
  decodeHelloResponse,
  decodeState,
  type Entity,
  encodeAuthenticationRequest,
  encodeGetTimeResponse,
  encodeHelloRequest,
  type HelloResponse,
  MSG,
} from "./messages.ts"
import { NNpsk0Handshake } from "./noise.ts"

export interface EspHomeClientOptions {
  host: string
  port: number
  /** The decoded 32-byte Noise key; absent: the plain-text protocol. */
  psk?: Uint8Array
  log: Logger
  clientInfo?: string
  connectTimeoutMs?: number
  /** Each setup step (hello, handshake, listing) must finish within this. */
  stepTimeoutMs?: number
  /** A ping after this much silence; a second silence as long closes the connection. */
  keepaliveMs?: number
  /** Sensors and binary sensors kept at most; a device listing more is refused. */
  maxEntities?: number
  /** After subscribing, how long to wait for every entity's first state. */
  settleMs?: number
  minBackoffMs?: number
  maxBackoffMs?: number
}

/** The error a probe gets, with the device's address in front. */
export class EspHomeError extends Error {}

const DEFAULTS = {
  clientInfo: "pollect",
  connectTimeoutMs: 10_000,
  stepTimeoutMs: 10_000,
  keepaliveMs: 20_000,
  maxEntities: 1024,
  settleMs: 1000,
  minBackoffMs: 1000,
  maxBackoffMs: 60_000,
}

export class EspHomeClient {
  /** Listed sensors and binary sensors of the current connection, by key. */
  entities = new Map<number, Entity>()
  /** The newest state per key (NaN: the device has none yet). */
  readonly states = new Map<number, number>()
  hello?: HelloResponse
  /** Connections that reached the subscribed state (tests, debugging). */
  sessions = 0
  lastError?: Error

  private readonly opts: Required<Omit<EspHomeClientOptions, "psk">> & { psk?: Uint8Array }
  private readonly where: string
  private ready = false
  private attempt?: Promise<void>
  private link?: Link
  private socket?: Socket
  private retryTimer?: ReturnType<typeof setTimeout>
  private failures = 0
  private closed = false

  constructor(options: EspHomeClientOptions) {
    this.opts = { ...DEFAULTS, ...options }
    this.where = `${options.host}:${options.port}`
  }

  isReady(): boolean {
    return this.ready
  }

  /**
   * Resolves once subscribed; starts an attempt now if none runs (a pending retry is brought
   * forward). Rejects with the attempt's error, or when `signal` aborts.
   */
  connected(signal?: AbortSignal): Promise<void> {
    if (this.ready) return Promise.resolve()
    if (this.closed) return Promise.reject(new EspHomeError(`${this.where}: client closed`))
    const attempt = this.startAttempt()
    if (!signal) return attempt
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const last = this.lastError ? `: ${this.lastError.message}` : ""
        reject(new EspHomeError(`${this.where}: not connected before the probe's deadline${last}`))
      }
      if (signal.aborted) return onAbort()
      signal.addEventListener("abort", onAbort, { once: true })
      attempt.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort))
    })
  }

  /** Says goodbye to the device and stops reconnecting; safe to call twice. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.ready = false
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    try {
      if (this.link && !this.link.error) this.link.sendMessage(MSG.DisconnectRequest)
    } catch {
      // the connection is gone already
    }
    this.link?.close(new Error("client closed"))
    this.socket?.destroy()
  }

  private startAttempt(): Promise<void> {
    if (this.attempt) return this.attempt
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = undefined
    const attempt = this.session().then(
      () => {
        this.failures = 0
        this.lastError = undefined
      },
      (error: Error) => {
        this.attempt = undefined
        this.lastError = error
        this.failures++
        this.opts.log.debug(`${error.message}`)
        this.scheduleRetry()
        throw error
      },
    )
    attempt.catch(() => {})
    this.attempt = attempt
    return attempt
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return
    const delay = Math.min(this.opts.maxBackoffMs, this.opts.minBackoffMs * 2 ** Math.max(0, this.failures - 1))
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      if (!this.closed && !this.attempt) this.startAttempt()
    }, delay)
    this.retryTimer.unref?.()
  }

  /** One connection: set up, then read until it ends. Resolves when subscribed and settled. */
  private async session(): Promise<void> {
    const socket = await this.open()
    const link = new Link(socket, this.opts.psk ? "noise" : "plain")
    this.link = link
    let loop: Promise<void> | undefined
    try {
      if (this.opts.psk) await this.handshake(link, this.opts.psk)
      link.sendMessage(MSG.HelloRequest, encodeHelloRequest(this.opts.clientInfo, 1, 10))
      link.sendMessage(MSG.AuthenticationRequest, encodeAuthenticationRequest(""))
      const hello = decodeHelloResponse((await this.expect(link, MSG.HelloResponse, "HelloResponse")).payload)
      if (hello.apiMajor > 1) throw new Error(`the device speaks API version ${hello.apiMajor}.${hello.apiMinor}; pollect knows 1.x`)
      this.hello = hello
      const entities = await this.listEntities(link)
      link.sendMessage(MSG.SubscribeStatesRequest)
      this.entities = entities
      this.states.clear()
      loop = this.readLoop(link)
      await this.settle(loop)
    } catch (error) {
      link.close(error as Error)
      throw this.explain(error as Error, link)
    }
    this.ready = true
    this.sessions++
    loop.then(
      () => this.lost(link, new Error("connection closed")),
      (error: Error) => this.lost(link, error),
    )
  }

  private lost(link: Link, error: Error): void {
    if (this.link !== link) return
    this.ready = false
    this.attempt = undefined
    this.states.clear()
    this.lastError = this.explain(error, link)
    if (this.closed) return
    this.opts.log.debug(`${this.where}: connection lost: ${error.message}; reconnecting`)
    this.scheduleRetry()
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.opts.host, port: this.opts.port })
      this.socket = socket
      const timer = setTimeout(() => {
        socket.destroy()
        reject(new EspHomeError(`${this.where}: connect timed out after ${this.opts.connectTimeoutMs / 1000} s`))
      }, this.opts.connectTimeoutMs)
      // close() destroys the socket: no connect event comes, and the attempt ends at once.
      socket.once("close", () => {
        clearTimeout(timer)
        reject(new EspHomeError(`${this.where}: client closed`))
      })
      socket.once("connect", () => {
        clearTimeout(timer)
        socket.removeAllListeners("error")
        resolve(socket)
      })
      socket.on("error", (error: Error & { code?: string }) => {
        clearTimeout(timer)
        socket.destroy()
        reject(new EspHomeError(`${this.where}: connect failed: ${error.code ?? error.message}`))
      })
    })
  }

  /** The client's side of ESPHome's Noise setup: hello, server hello, NNpsk0's two messages. */
  private async handshake(link: Link, psk: Uint8Array): Promise<void> {
    const noise = new NNpsk0Handshake("initiator", { psk })
    // An empty frame asks for the server hello; then 0x00 (no failure) and message 1.
    link.sendFrame(new Uint8Array(0))
    const first = noise.writeMessage1()
    const framed = new Uint8Array(first.length + 1)
    framed.set(first, 1)
    link.sendFrame(framed)
    const serverHello = await this.rawFrame(link, "server hello")
    if (serverHello.length === 0) throw new Error("empty server hello")
    if (serverHello[0] !== 0x01) throw new Error(`the device chose an unknown encryption protocol (${serverHello[0]})`)
    const reply = await this.rawFrame(link, "handshake reply")
    if (reply.length === 0) throw new Error("empty handshake reply")
    if (reply[0] !== 0x00) {
      const why = new TextDecoder().decode(reply.subarray(1, 200)).replace(/[^\x20-\x7e]/g, "?")
      if (why === "Handshake MAC failure")
        throw new EspHomeError(`${this.where}: wrong psk: the device rejected the handshake (Handshake MAC failure)`)
      throw new EspHomeError(`${this.where}: the device refused the handshake: ${why}`)
    }
    try {
      link.useCiphers(noise.readMessage2(reply.subarray(1)).ciphers)
    } catch (error) {
      throw new EspHomeError(`${this.where}: wrong psk: the device's handshake reply does not decrypt (${(error as Error).message})`)
    }
  }

  private async rawFrame(link: Link, what: string): Promise<Uint8Array> {
    const frame = await link.nextFrame(this.opts.stepTimeoutMs)
    if (frame === undefined) throw new Error(`no ${what} within ${this.opts.stepTimeoutMs / 1000} s`)
    if ("type" in frame) throw new Error(`a plain-text frame instead of the ${what}`)
    return frame
  }

  /** Reads until a message of `type`, answering pings on the way. */
  private async expect(link: Link, type: number, what: string): Promise<PlainFrame> {
    const deadline = Date.now() + this.opts.stepTimeoutMs
    for (;;) {
      const message = await link.nextMessage(Math.max(0, deadline - Date.now()))
      if (message === undefined) throw new Error(`no ${what} within ${this.opts.stepTimeoutMs / 1000} s`)
      if (message.type === type) return message
      this.common(link, message)
    }
  }

  private async listEntities(link: Link): Promise<Map<number, Entity>> {
    link.sendMessage(MSG.ListEntitiesRequest)
    const entities = new Map<number, Entity>()
    const deadline = Date.now() + this.opts.stepTimeoutMs
    for (;;) {
      const message = await link.nextMessage(Math.max(0, deadline - Date.now()))
      if (message === undefined) throw new Error(`the entity list did not end within ${this.opts.stepTimeoutMs / 1000} s`)
      if (message.type === MSG.ListEntitiesDoneResponse) return entities
      if (message.type === MSG.ListEntitiesSensorResponse || message.type === MSG.ListEntitiesBinarySensorResponse) {
        const entity = decodeEntity(message.type, message.payload)
        entities.set(entity.key, entity)
        if (entities.size > this.opts.maxEntities) throw new Error(`the device lists more than ${this.opts.maxEntities} sensors`)
      } else this.common(link, message)
    }
  }

  /** Until every listed entity has a first state, the settle time passes, or the connection ends. */
  private async settle(loop: Promise<void>): Promise<void> {
    const deadline = Date.now() + this.opts.settleMs
    let ended: Error | undefined
    loop.catch((error: Error) => (ended = error))
    while (Date.now() < deadline) {
      if (ended) throw ended
      if (this.states.size >= this.entities.size) return
      await Bun.sleep(10)
    }
    if (ended) throw ended
  }

  private async readLoop(link: Link): Promise<void> {
    let pinged = false
    for (;;) {
      const message = await link.nextMessage(this.opts.keepaliveMs)
      if (message === undefined) {
        if (pinged) throw new Error(`no answer to a ping within ${this.opts.keepaliveMs / 1000} s`)
        link.sendMessage(MSG.PingRequest)
        pinged = true
        continue
      }
      pinged = false
      if (message.type === MSG.SensorStateResponse || message.type === MSG.BinarySensorStateResponse) {
        const state = decodeState(message.type, message.payload)
        // Only listed entities: a device cannot grow the map past the listing's bound.
        if (this.entities.has(state.key)) this.states.set(state.key, state.value)
      } else this.common(link, message)
    }
  }

  /** What any phase answers: pings, the time, a goodbye, a refused password. */
  private common(link: Link, message: PlainFrame): void {
    switch (message.type) {
      case MSG.PingRequest:
        link.sendMessage(MSG.PingResponse)
        break
      case MSG.GetTimeRequest:
        link.sendMessage(MSG.GetTimeResponse, encodeGetTimeResponse(Math.floor(Date.now() / 1000)))
        break
      case MSG.DisconnectRequest:
        link.sendMessage(MSG.DisconnectResponse)
        link.end()
        throw new Error("the device closed the connection (DisconnectRequest)")
      case MSG.AuthenticationResponse:
        if (decodeAuthenticationResponse(message.payload).invalidPassword)
          throw new EspHomeError(
            `${this.where}: the device wants an API password (\`api: password:\`, removed in ESPHome 2026.1); use \`api: encryption: key:\` and psk instead`,
          )
        break
      default:
      // Other entity kinds, logs, services: not for pollect.
    }
  }

  /** One message a user can act on, with the device's address first. */
  private explain(error: Error, link: Link): EspHomeError {
    if (error instanceof EspHomeError) return error
    if (error instanceof FrameError) {
      if (error.kind === "plaintext-peer")
        return new EspHomeError(
          `${this.where}: the device speaks the plain-text API; remove psk from the config (or set \`api: encryption: key:\` on the device)`,
        )
      if (error.kind === "noise-peer")
        return new EspHomeError(`${this.where}: the device requires encryption; set psk to its \`api: encryption: key:\``)
      return new EspHomeError(`${this.where}: protocol error: ${error.message}`)
    }
    if (this.opts.psk && !link.received && /closed/.test(error.message))
      return new EspHomeError(
        `${this.where}: the device closed the connection after the encrypted hello; does it have \`api: encryption:\`?`,
      )
    return new EspHomeError(`${this.where}: ${error.message}`)
  }
}
