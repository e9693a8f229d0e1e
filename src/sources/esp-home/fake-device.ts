/**
 * A fake ESPHome device for tests: the server side of the native API on a loopback port, plain
 * text or Noise (the responder's side of NNpsk0, with ESPHome's server hello and its
 * "Handshake MAC failure" reject), a configurable entity list and states, state pushes to
 * subscribed clients, and a reboot (every connection dropped, the port closed, then opened again).
 */
import { createServer, type Server, type Socket } from "node:net"
import { Link } from "./link.ts"
import { type Entity, encodeEntity, encodeHelloResponse, encodeState, MSG } from "./messages.ts"
import { concat, NNpsk0Handshake } from "./noise.ts"
import { decodePsk } from "./psk.ts"

export interface FakeDeviceOptions {
  /** base64 key: the device speaks Noise; absent: plain text. */
  psk?: string
  name?: string
  mac?: string
  entities: Entity[]
  /** key → state (NaN: no state yet). */
  states?: Record<number, number>
  /** Sent as an AuthenticationResponse to the (empty) AuthenticationRequest: an old firmware with a password. */
  wantsPassword?: boolean
  /** Whether to answer PingRequest (false: a device that stopped answering). */
  answerPings?: boolean
  /** A fixed port (reboots keep theirs). */
  port?: number
}

export interface FakeDevice {
  readonly port: number
  /** Connections accepted so far. */
  readonly connections: number
  /** Handshakes refused for a wrong key. */
  readonly handshakeFailures: number
  /** Message types received from clients, in order. */
  readonly received: number[]
  /** Sets a state and sends it to every subscribed client. */
  setState(key: number, value: number): void
  /** Sends one message to every subscribed client (GetTimeRequest, DisconnectRequest, ...). */
  send(type: number, payload?: Uint8Array): void
  /** The payloads of messages received, by type (the newest of each). */
  readonly lastPayload: Map<number, Uint8Array>
  /** Sends a PingRequest to every subscribed client; resolves with the number of PingResponses within `ms`. */
  ping(ms?: number): Promise<number>
  /** Drops every connection and stops listening for `downMs`, then listens on the same port again. */
  reboot(downMs: number): Promise<void>
  /** Drops every connection and stops listening, for good (or until `start`). */
  stop(): Promise<void>
  start(): Promise<void>
}

export async function startFakeDevice(options: FakeDeviceOptions): Promise<FakeDevice> {
  const states = new Map<number, number>(Object.entries(options.states ?? {}).map(([k, v]) => [Number(k), v]))
  const kinds = new Map(options.entities.map((e) => [e.key, e.kind]))
  const psk = options.psk ? decodePsk(options.psk) : undefined
  const sockets = new Set<Socket>()
  const subscribed = new Set<Link>()
  const pongs: (() => void)[] = []
  let server: Server | undefined
  let port = options.port ?? 0
  let connections = 0
  let handshakeFailures = 0
  const received: number[] = []
  const lastPayload = new Map<number, Uint8Array>()

  function sendState(link: Link, key: number): void {
    const value = states.get(key)
    const kind = kinds.get(key)
    if (value === undefined || kind === undefined) return
    const { type, payload } = encodeState(kind, { key, value })
    link.sendMessage(type, payload)
  }

  async function serve(socket: Socket): Promise<void> {
    connections++
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    // A client of the other protocol: a Noise device answers in Noise framing, then closes; a
    // plain one just closes (the client then says the device has no encryption).
    const link = new Link(socket, psk ? "noise" : "plain", (error) =>
      error.kind === "plaintext-peer" ? concat(Uint8Array.of(1, 0, 19, 1), new TextEncoder().encode("Bad indicator byte")) : undefined,
    )
    try {
      if (psk) {
        const hello = await link.nextFrame(5000)
        if (hello === undefined || "type" in hello) throw new Error("no client hello")
        const enc = new TextEncoder()
        link.sendFrame(
          concat(
            Uint8Array.of(1),
            enc.encode(options.name ?? "fake"),
            Uint8Array.of(0),
            enc.encode(options.mac ?? "AA:BB:CC:DD:EE:FF"),
            Uint8Array.of(0),
          ),
        )
        const first = await link.nextFrame(5000)
        if (first === undefined || "type" in first || first[0] !== 0) throw new Error("no handshake message")
        const noise = new NNpsk0Handshake("responder", { psk })
        try {
          noise.readMessage1(first.subarray(1))
        } catch {
          handshakeFailures++
          link.sendFrame(concat(Uint8Array.of(1), enc.encode("Handshake MAC failure")))
          link.end()
          return
        }
        const { message, ciphers } = noise.writeMessage2()
        link.sendFrame(concat(Uint8Array.of(0), message))
        link.useCiphers(ciphers)
      }
      for (;;) {
        const message = await link.nextMessage(Number.POSITIVE_INFINITY)
        if (!message) continue
        received.push(message.type)
        lastPayload.set(message.type, message.payload)
        switch (message.type) {
          case MSG.HelloRequest:
            link.sendMessage(
              MSG.HelloResponse,
              encodeHelloResponse({ apiMajor: 1, apiMinor: 10, serverInfo: "2025.6.0 (fake)", name: options.name ?? "fake" }),
            )
            break
          case MSG.AuthenticationRequest:
            if (options.wantsPassword) link.sendMessage(MSG.AuthenticationResponse, Uint8Array.of(0x08, 0x01))
            break
          case MSG.ListEntitiesRequest:
            for (const entity of options.entities) {
              const { type, payload } = encodeEntity(entity)
              link.sendMessage(type, payload)
            }
            link.sendMessage(MSG.ListEntitiesDoneResponse)
            break
          case MSG.SubscribeStatesRequest:
            subscribed.add(link)
            for (const entity of options.entities) sendState(link, entity.key)
            break
          case MSG.PingRequest:
            if (options.answerPings !== false) link.sendMessage(MSG.PingResponse)
            break
          case MSG.PingResponse:
            pongs.shift()?.()
            break
          case MSG.DisconnectRequest:
            link.sendMessage(MSG.DisconnectResponse)
            link.end()
            return
        }
      }
    } catch {
      // The link is closed already (with its farewell, if any).
    } finally {
      subscribed.delete(link)
    }
  }

  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const next = createServer((socket) => void serve(socket))
      next.once("error", reject)
      next.listen(port, "127.0.0.1", () => {
        port = (next.address() as { port: number }).port
        server = next
        resolve()
      })
    })
  }

  async function stop(): Promise<void> {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    subscribed.clear()
    const current = server
    server = undefined
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()))
  }

  await listen()
  return {
    get port() {
      return port
    },
    get connections() {
      return connections
    },
    get handshakeFailures() {
      return handshakeFailures
    },
    received,
    lastPayload,
    send(type, payload) {
      for (const link of subscribed) link.sendMessage(type, payload)
    },
    setState(key, value) {
      states.set(key, value)
      for (const link of subscribed) sendState(link, key)
    },
    async ping(ms = 1000) {
      let answered = 0
      const targets = [...subscribed]
      for (const link of targets) {
        pongs.push(() => answered++)
        link.sendMessage(MSG.PingRequest)
      }
      await Bun.sleep(ms)
      pongs.length = 0
      return answered
    },
    async reboot(downMs) {
      await stop()
      await Bun.sleep(downMs)
      await listen()
    },
    stop,
    start: listen,
  }
}
