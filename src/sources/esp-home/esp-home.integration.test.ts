/** EspHome over real loopback sockets: the fake device (fake-device.ts) and raw hostile servers. */
import { afterEach, describe, expect, it, spyOn } from "bun:test"
import { connect, createServer, type Server, type Socket } from "node:net"
import { silentLogger } from "../../core/log.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { hangingPort } from "../../../test/helpers/stuck-listener.ts"
import { EspHomeClient } from "./client.ts"
import { type FakeDevice, startFakeDevice } from "./fake-device.ts"
import { EspHomeSource } from "./index.ts"
import { Link } from "./link.ts"
import { encodeNoiseFrame, encodePlainFrame } from "./frames.ts"
import { type Entity, encodeEntity, encodeHelloRequest, encodeHelloResponse, encodeState, MSG } from "./messages.ts"
import { CipherState } from "./noise.ts"
import { MessageWriter } from "./protobuf.ts"
import { decodePsk } from "./psk.ts"

const PSK = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
const OTHER_PSK = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
const ENTITIES: Entity[] = [
  { kind: "sensor", key: 1, objectId: "temp", name: "Temp", deviceClass: "temperature", unit: "°C" },
  { kind: "binary_sensor", key: 2, objectId: "door", name: "Door", deviceClass: "door", unit: "" },
]

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function device(options: Partial<Parameters<typeof startFakeDevice>[0]> = {}): Promise<FakeDevice> {
  const fake = await startFakeDevice({ entities: ENTITIES, states: { 1: 20, 2: 1 }, ...options })
  cleanups.push(() => fake.stop())
  return fake
}

function source(port: number, extra: Record<string, unknown> = {}, log?: string[]): EspHomeSource {
  const s = makeSource<EspHomeSource>(EspHomeSource, { type: "EspHome", host: "127.0.0.1", port, ...extra }, { log })
  cleanups.push(() => s.close())
  return s
}

function client(port: number, options: Partial<ConstructorParameters<typeof EspHomeClient>[0]> = {}): EspHomeClient {
  const c = new EspHomeClient({
    host: "127.0.0.1",
    port,
    log: silentLogger,
    minBackoffMs: 50,
    maxBackoffMs: 200,
    stepTimeoutMs: 2000,
    ...options,
  })
  cleanups.push(() => c.close())
  return c
}

const flat = (sets: Awaited<ReturnType<EspHomeSource["probe"]>>) =>
  sets.flatMap((s) => s.values.map((v) => `${v.name}/${v.labelValues.join(",")}=${v.value}`))

/** A raw TCP server that does `onSocket` with every connection. */
async function rawServer(onSocket: (socket: Socket) => void): Promise<number> {
  const server: Server = createServer(onSocket)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const sockets = new Set<Socket>()
  server.on("connection", (s) => sockets.add(s))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return (server.address() as { port: number }).port
}

async function until(what: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!what()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await Bun.sleep(10)
  }
}

describe("EspHome against the fake device", () => {
  it("Noise with the right psk: connected, listed, subscribed, states as pushed", async () => {
    const fake = await device({ psk: PSK })
    const s = source(fake.port, { psk: PSK })
    expect(flat(await s.probe())).toEqual(["temperature/Temp=20", "binary_door/Door=1"])
    fake.setState(1, 22.4)
    await Bun.sleep(50)
    expect(flat(await s.probe())).toEqual(["temperature/Temp=22.4", "binary_door/Door=1"])
    expect(fake.connections).toBe(1)
    expect(fake.received).toEqual([MSG.HelloRequest, MSG.AuthenticationRequest, MSG.ListEntitiesRequest, MSG.SubscribeStatesRequest])
  })

  it("a wrong psk: the device refuses the handshake, one clear error per probe, identical each time", async () => {
    const fake = await device({ psk: PSK })
    const lines: string[] = []
    const s = source(fake.port, { psk: OTHER_PSK }, lines)
    const messages: string[] = []
    for (let i = 0; i < 3; i++)
      messages.push(
        await s.probe().then(
          () => "ok",
          (e: Error) => e.message,
        ),
      )
    expect(messages).toEqual(Array(3).fill(`127.0.0.1:${fake.port}: wrong psk: the device rejected the handshake (Handshake MAC failure)`))
    expect(fake.handshakeFailures).toBe(3)
    // The client logs nothing above debug: the executor's latch logs the failure once.
    expect(lines.filter((l) => !/DEBUG|debug/.test(l))).toEqual([])
  })

  it("a device reboot mid-run: failed while down (no stale values), then reconnected with current states", async () => {
    const fake = await device({ psk: PSK })
    const c = client(fake.port, { psk: decodePsk(PSK) })
    const s = source(fake.port, { psk: PSK })
    await c.connected()
    expect(flat(await s.probe())).toEqual(["temperature/Temp=20", "binary_door/Door=1"])
    await fake.stop()
    await until(() => !c.isReady())
    await expect(s.probe()).rejects.toThrow(`127.0.0.1:${fake.port}: connect failed: ECONNREFUSED`)
    fake.setState(1, 25.5)
    await fake.start()
    // The background client reconnects by itself; the source reconnects at its next probe.
    await until(() => c.isReady())
    expect(c.states.get(1)).toBe(25.5)
    expect(c.sessions).toBe(2)
    expect(flat(await s.probe())).toEqual(["temperature/Temp=25.5", "binary_door/Door=1"])
  })

  it("after a reboot the next probe reconnects and reports the new connection's states", async () => {
    const fake = await device()
    const s = source(fake.port)
    expect(flat(await s.probe())).toEqual(["temperature/Temp=20", "binary_door/Door=1"])
    const rebooting = fake.reboot(100)
    fake.setState(2, 0)
    await rebooting
    expect(flat(await s.probe())).toEqual(["temperature/Temp=20", "binary_door/Door=0"])
    expect(fake.connections).toBe(2)
  })

  it("the device down from the start: one clear failure, and it works once the device comes up", async () => {
    const port = freePort()
    const s = source(port)
    await expect(s.probe()).rejects.toThrow(`127.0.0.1:${port}: connect failed: ECONNREFUSED`)
    await device({ port })
    expect(flat(await s.probe())).toEqual(["temperature/Temp=20", "binary_door/Door=1"])
  })

  it("plain client against a Noise device, and Noise client against a plain device: says which side to change", async () => {
    const noisy = await device({ psk: PSK })
    await expect(source(noisy.port).probe()).rejects.toThrow("the device requires encryption; set psk to its `api: encryption: key:`")
    const plain = await device()
    await expect(source(plain.port, { psk: PSK }).probe()).rejects.toThrow(
      "closed the connection after the encrypted hello; does it have `api: encryption:`?",
    )
  })

  it("answers the device's pings, and drops a connection whose pings go unanswered", async () => {
    const fake = await device()
    const c = client(fake.port)
    await c.connected()
    expect(await fake.ping(200)).toBe(1)
    const mute = await device({ answerPings: false })
    const quiet = client(mute.port, { keepaliveMs: 100 })
    await quiet.connected()
    await until(() => !quiet.isReady(), 2000)
    expect(quiet.lastError?.message).toContain("no answer to a ping within 0.1 s")
    expect(mute.received.filter((t) => t === MSG.PingRequest).length).toBeGreaterThanOrEqual(1)
  })

  it("answers GetTimeRequest with the time, and a DisconnectRequest from the device ends in a reconnect", async () => {
    const fake = await device()
    const c = client(fake.port)
    await c.connected()
    fake.send(MSG.GetTimeRequest)
    await until(() => fake.lastPayload.has(MSG.GetTimeResponse))
    const epoch = new DataView(fake.lastPayload.get(MSG.GetTimeResponse)!.buffer).getUint32(1, true)
    expect(Math.abs(epoch - Date.now() / 1000)).toBeLessThan(5)
    fake.send(MSG.DisconnectRequest)
    await until(() => fake.received.includes(MSG.DisconnectResponse))
    await until(() => c.sessions === 2)
    expect(c.isReady()).toBe(true)
  })

  it("a plain-text device that answers the encrypted hello in plain text: says to remove psk", async () => {
    const port = await rawServer((socket) => {
      socket.on("error", () => {})
      socket.once("data", () => socket.end(Uint8Array.of(0x00, 0x00, 0x06)))
    })
    await expect(source(port, { psk: PSK }).probe()).rejects.toThrow("the device speaks the plain-text API; remove psk from the config")
  })

  it("a device that wants an API password (old firmware) is a clear error", async () => {
    const fake = await device({ wantsPassword: true })
    await expect(source(fake.port).probe()).rejects.toThrow("the device wants an API password")
  })

  it("a device listing more sensors than the bound is refused", async () => {
    const many: Entity[] = Array.from({ length: 30 }, (_, i) => ({
      kind: "sensor",
      key: i + 1,
      objectId: `s${i}`,
      name: `S${i}`,
      deviceClass: "",
      unit: "",
    }))
    const fake = await device({ entities: many })
    await expect(client(fake.port, { maxEntities: 20 }).connected()).rejects.toThrow("the device lists more than 20 sensors")
  })

  it("close() stops reconnecting and says goodbye", async () => {
    const fake = await device()
    const c = client(fake.port)
    await c.connected()
    c.close()
    c.close()
    await until(() => fake.received.includes(MSG.DisconnectRequest))
    await fake.reboot(10)
    await Bun.sleep(300)
    expect(fake.connections).toBe(1)
    await expect(c.connected()).rejects.toThrow("client closed")
  })
})

describe("EspHome against hostile peers", () => {
  it("garbage (an HTTP server on the port) is a protocol error and a closed connection", async () => {
    let closed = false
    const port = await rawServer((socket) => {
      socket.on("close", () => (closed = true))
      socket.on("error", () => {})
      socket.resume()
      socket.write("HTTP/1.1 400 Bad Request\r\n\r\n")
    })
    await expect(source(port).probe()).rejects.toThrow(
      `127.0.0.1:${port}: protocol error: not an ESPHome native API frame (first byte 0x48, expected 0x00)`,
    )
    await until(() => closed)
  })

  it("an oversized frame announced: refused before it is read", async () => {
    const port = await rawServer((socket) => {
      socket.on("error", () => {})
      socket.write(Uint8Array.of(0x00, 0xff, 0xff, 0xff, 0x07, 0x02))
    })
    await expect(source(port).probe()).rejects.toThrow("protocol error: frame of 16777215 bytes announced (limit 65535)")
  })

  it("a Noise peer that sends a reply that does not decrypt: wrong psk, not a crash", async () => {
    const port = await rawServer((socket) => {
      socket.on("error", () => {})
      socket.once("data", () => {
        socket.write(Uint8Array.of(0x01, 0x00, 0x02, 0x01, 0x00)) // server hello, protocol 1
        socket.write(Uint8Array.of(0x01, 0x00, 49, 0x00, ...new Uint8Array(48).fill(9))) // a reply of noise
      })
    })
    await expect(source(port, { psk: PSK }).probe()).rejects.toThrow("wrong psk: the device's handshake reply does not decrypt")
  })

  it("a peer that accepts and says nothing: the step timeout, not a hang", async () => {
    const port = await rawServer((socket) => socket.on("error", () => {}))
    const started = Date.now()
    await expect(client(port, { stepTimeoutMs: 300 }).connected()).rejects.toThrow("no HelloResponse within 0.3 s")
    expect(Date.now() - started).toBeLessThan(2000)
  })

  it("a probe's deadline ends the wait with the last error", async () => {
    const port = await rawServer((socket) => socket.on("error", () => {}))
    const c = client(port, { stepTimeoutMs: 10_000 })
    await expect(c.connected(AbortSignal.timeout(200))).rejects.toThrow(`127.0.0.1:${port}: not connected before the probe's deadline`)
  })

  it("a stream of unknown (well-formed) messages is read and dropped: still connected, memory bounded", async () => {
    const port = await rawServer((socket) => {
      socket.on("error", () => {})
      socket.once("data", () => {
        // HelloResponse, an empty entity list, then a stream of unknown but well-formed frames.
        socket.write(Uint8Array.of(0x00, 0x02, 0x02, 0x08, 0x01))
        socket.write(Uint8Array.of(0x00, 0x00, 0x13))
        const junk = new Uint8Array(60_005)
        junk.set([0x00, 0xe0, 0xd4, 0x03, 0x63])
        const timer = setInterval(() => {
          if (socket.destroyed) return clearInterval(timer)
          socket.write(junk)
        }, 1)
        socket.on("close", () => clearInterval(timer))
      })
    })
    const c = client(port)
    await c.connected()
    const before = process.memoryUsage().rss
    await Bun.sleep(500)
    expect(c.isReady()).toBe(true)
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024)
  })

  it("frames nobody reads beyond 1 MiB close the link", async () => {
    const port = await rawServer((socket) => {
      socket.on("error", () => {})
      const frame = new Uint8Array(60_005)
      frame.set([0x00, 0xe0, 0xd4, 0x03, 0x63])
      for (let i = 0; i < 40; i++) socket.write(frame)
    })
    const socket = connect({ host: "127.0.0.1", port })
    const link = new Link(socket, "plain")
    await until(() => link.error !== undefined)
    expect(link.error?.message).toBe("the peer sent more than 1048576 bytes that were not read")
  })
})

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")

/** A loopback connection: the client side as a Link, the server side as a raw socket (`peer`). */
async function linkPair(framing: "plain" | "noise", options: { halfOpen?: boolean; farewell?: boolean } = {}) {
  let peer!: Socket
  const server = createServer({ allowHalfOpen: options.halfOpen ?? false })
  const accepted = new Promise<void>((resolve) => {
    server.once("connection", (socket: Socket) => {
      peer = socket
      resolve()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const socket = connect({ host: "127.0.0.1", port: (server.address() as { port: number }).port })
  await accepted
  peer.on("error", () => {})
  const peerClosed = new Promise<void>((resolve) => peer.once("close", () => resolve()))
  const farewell = options.farewell ? () => Uint8Array.of(0x01, 0x00, 0x01, 0x09) : undefined
  const link = new Link(socket, framing, farewell)
  const received: number[] = []
  peer.on("data", (chunk: Buffer) => received.push(...chunk))
  return {
    link,
    peer,
    received,
    peerClosed,
    close: () => {
      link.close()
      peer.destroy()
      server.close()
    },
  }
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: Error) => error.message,
  )

describe("EspHome: Link over a loopback socket", () => {
  it("a read that timed out leaves no waiter behind: the next frame is for the next read; Infinity waits", async () => {
    const pair = await linkPair("plain")
    try {
      expect(await pair.link.nextFrame(20)).toBeUndefined()
      pair.peer.write(encodePlainFrame(7, Uint8Array.of(1)))
      expect(await pair.link.nextMessage(2000)).toEqual({ type: 7, payload: Uint8Array.of(1) })
      setTimeout(() => pair.peer.write(encodePlainFrame(8, new Uint8Array(0))), 50)
      expect((await pair.link.nextMessage(Number.POSITIVE_INFINITY))?.type).toBe(8)
      expect(pair.link.received).toBe(true)
    } finally {
      pair.close()
    }
  })

  it("frames read from the queue free their bytes: 1 MiB may wait unread, again and again; one byte more closes", async () => {
    const pair = await linkPair("plain")
    try {
      // 16 frames of 65535 bytes and one of 16: exactly 1 MiB of payload.
      const batch = () => {
        for (let i = 0; i < 16; i++) pair.peer.write(encodePlainFrame(9, new Uint8Array(65535)))
        pair.peer.write(encodePlainFrame(9, new Uint8Array(16)))
      }
      const readAll = async () => {
        let bytes = 0
        while (bytes < 1 << 20) bytes += (await pair.link.nextMessage(2000))!.payload.length
        return bytes
      }
      for (let round = 0; round < 2; round++) {
        batch()
        await Bun.sleep(200)
        expect(pair.link.error).toBeUndefined()
        expect(await readAll()).toBe(1 << 20)
      }
      batch()
      pair.peer.write(encodePlainFrame(9, new Uint8Array(1)))
      await Bun.sleep(200)
      expect(pair.link.error?.message).toBe("the peer sent more than 1048576 bytes that were not read")
    } finally {
      pair.close()
    }
  })

  it("after close() every read and write fails with its error, and the peer sees the socket closed", async () => {
    const pair = await linkPair("plain")
    try {
      const pending = rejection(pair.link.nextFrame(5000))
      pair.link.close()
      expect(await pending).toBe("connection closed")
      expect(await rejection(pair.link.nextFrame(20))).toBe("connection closed")
      expect(() => pair.link.sendMessage(7)).toThrow("connection closed")
      await pair.peerClosed
    } finally {
      pair.close()
    }
  })

  it("a socket error fails the reads with that error", async () => {
    const pair = await linkPair("plain")
    try {
      const pending = rejection(pair.link.nextFrame(5000))
      ;(pair.link as unknown as { socket: Socket }).socket.emit("error", new Error("read ECONNRESET"))
      expect(await pending).toBe("read ECONNRESET")
    } finally {
      pair.close()
    }
  })

  it("end(): the reads fail once it is sent, even when the peer keeps its side open", async () => {
    const pair = await linkPair("plain", { halfOpen: true })
    try {
      const pending = rejection(pair.link.nextFrame(3000))
      pair.link.end()
      expect(await pending).toBe("connection closed")
    } finally {
      pair.close()
    }
  })

  it("Noise: nothing can be sent, and nothing read, before the handshake; a frame that does not decrypt closes", async () => {
    const pair = await linkPair("noise")
    try {
      expect(() => pair.link.sendMessage(7)).toThrow("the Noise handshake has not finished")
      pair.peer.write(encodeNoiseFrame(Uint8Array.of(1, 2, 3)))
      expect(await rejection(pair.link.nextMessage(2000))).toBe("encrypted message before the handshake finished")
    } finally {
      pair.close()
    }
    const keyed = await linkPair("noise")
    try {
      const key = new Uint8Array(32).fill(3)
      keyed.link.useCiphers({ send: new CipherState(key), receive: new CipherState(key) })
      keyed.peer.write(encodeNoiseFrame(new Uint8Array(20)))
      expect(await rejection(keyed.link.nextMessage(2000))).toBe("bad encrypted frame: decryption failed")
    } finally {
      keyed.close()
    }
  })

  it("a peer of the other protocol: without a farewell the socket is destroyed; with one, the farewell is sent first", async () => {
    const plain = await linkPair("plain")
    try {
      plain.peer.write(Uint8Array.of(0x01, 0x00, 0x05))
      await plain.peerClosed
      expect(plain.link.error?.message).toBe("the peer speaks the encrypted (Noise) protocol")
    } finally {
      plain.close()
    }
    const polite = await linkPair("plain", { farewell: true })
    try {
      polite.peer.write(Uint8Array.of(0x01, 0x00, 0x05))
      await polite.peerClosed
      expect(polite.received).toEqual([0x01, 0x00, 0x01, 0x09])
    } finally {
      polite.close()
    }
  })

  it("a farewell to a peer that reads slowly goes out after everything still buffered, and then the link closes", async () => {
    const slow = await linkPair("plain", { farewell: true })
    try {
      // The peer stops reading: messages pile up in the kernel's buffers, then in the socket's own.
      slow.peer.pause()
      slow.peer.removeAllListeners("data")
      const socket = (slow.link as unknown as { socket: Socket }).socket
      let sent = 0
      while (sent < 256 << 20) {
        for (let i = 0; i < 16; i++) slow.link.sendMessage(9, new Uint8Array(65535))
        sent += 16 * encodePlainFrame(9, new Uint8Array(65535)).length
        await Bun.sleep(5)
        if (socket.writableLength > 0) break
      }
      expect(socket.writableLength).toBeGreaterThan(0)
      slow.peer.write(Uint8Array.of(0x01, 0x00, 0x05))
      await until(() => slow.link.error !== undefined)
      expect(slow.link.error?.message).toBe("the peer speaks the encrypted (Noise) protocol")
      let got = 0
      let tail = new Uint8Array(0)
      slow.peer.on("data", (chunk: Buffer) => {
        got += chunk.length
        tail = Uint8Array.from([...tail, ...chunk.subarray(-4)].slice(-4))
      })
      slow.peer.resume()
      await slow.peerClosed
      expect([got, hex(tail)]).toEqual([sent + 4, "01000109"])
    } finally {
      slow.close()
    }
  })
})

/**
 * A TCP server on loopback that answers each connection's first bytes with `reply` (frames as the
 * device would send them), then ends the connection if `end` is set.
 */
async function answeringServer(reply: Uint8Array[], end?: "end" | "destroy") {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on("error", () => {})
    socket.once("data", () => {
      for (const bytes of reply) socket.write(bytes)
      if (end === "end") socket.end()
      if (end === "destroy") socket.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  return {
    port: (server.address() as { port: number }).port,
    stop: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    },
  }
}

describe("EspHome: the client's setup errors", () => {
  const PSK = decodePsk("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=")
  const attempt = async (reply: Uint8Array[], psk?: Uint8Array, end?: "end" | "destroy") => {
    const server = await answeringServer(reply, end)
    const client = new EspHomeClient({ host: "127.0.0.1", port: server.port, psk, log: silentLogger, stepTimeoutMs: 1000 })
    try {
      return [server.port, await rejection(client.connected())] as const
    } finally {
      client.close()
      server.stop()
    }
  }
  const plain = (type: number, payload: Uint8Array = new Uint8Array(0)) => encodePlainFrame(type, payload)
  const hello = plain(MSG.HelloResponse, encodeHelloResponse({ apiMajor: 1, apiMinor: 10, serverInfo: "fake 1.0", name: "dev" }))
  const sensor = encodeEntity({ kind: "sensor", key: 1, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" })

  it("a device that hangs up at once: a Noise client asks whether it has encryption; a plain client says it closed", async () => {
    const [port, noise] = await attempt([], PSK, "destroy")
    expect(noise).toBe(`127.0.0.1:${port}: the device closed the connection after the encrypted hello; does it have \`api: encryption:\`?`)
    const [plainPort, closed] = await attempt([], undefined, "destroy")
    expect(closed).toBe(`127.0.0.1:${plainPort}: connection closed by the peer`)
  })

  it("a ping before the HelloResponse is answered and skipped; a listed text sensor is no entity; no first state: connected after the settle time", async () => {
    const textSensor = plain(
      MSG.ListEntitiesTextSensorResponse,
      encodeEntity({ kind: "binary_sensor", key: 7, objectId: "x", name: "X", deviceClass: "", unit: "" }).payload,
    )
    const server = await answeringServer([
      plain(MSG.PingRequest),
      hello,
      plain(sensor.type, sensor.payload),
      textSensor,
      plain(MSG.ListEntitiesDoneResponse),
    ])
    const client = new EspHomeClient({ host: "127.0.0.1", port: server.port, log: silentLogger, settleMs: 50 })
    try {
      await client.connected()
      expect(client.hello).toEqual({ apiMajor: 1, apiMinor: 10, serverInfo: "fake 1.0", name: "dev" })
      expect([...client.entities.keys()]).toEqual([1])
      expect(client.states.size).toBe(0)
      expect(client.isReady()).toBe(true)
    } finally {
      client.close()
      server.stop()
    }
  })

  it("a device that never ends its entity list: the step timeout names the list", async () => {
    const [port, message] = await attempt([hello, plain(sensor.type, sensor.payload)])
    expect(message).toBe(`127.0.0.1:${port}: the entity list did not end within 1 s`)
  })

  it("an AuthenticationResponse without invalid_password is no error", async () => {
    const server = await answeringServer([plain(MSG.AuthenticationResponse), hello, plain(MSG.ListEntitiesDoneResponse)])
    const client = new EspHomeClient({ host: "127.0.0.1", port: server.port, log: silentLogger })
    try {
      await client.connected()
      expect(client.isReady()).toBe(true)
    } finally {
      client.close()
      server.stop()
    }
  })

  it("a device that hangs up while the first states settle: the attempt fails", async () => {
    const [port, message] = await attempt(
      [hello, plain(sensor.type, sensor.payload), plain(MSG.ListEntitiesDoneResponse)],
      undefined,
      "end",
    )
    expect(message).toMatch(new RegExp(`^127\\.0\\.0\\.1:${port}: connection closed`))
  })

  it("a device of API version 2 is refused", async () => {
    const hello = encodeHelloResponse({ apiMajor: 2, apiMinor: 0, serverInfo: "x", name: "x" })
    const [port, message] = await attempt([encodePlainFrame(MSG.HelloResponse, hello)])
    expect(message).toBe(`127.0.0.1:${port}: the device speaks API version 2.0; pollect knows 1.x`)
  })

  it("the Noise server hello and handshake reply: empty, another protocol, a refusal with its reason", async () => {
    const frame = (...bytes: number[]) => encodeNoiseFrame(Uint8Array.from(bytes))
    const reason = [...new TextEncoder().encode("Bad\u0001")]
    const cases: [Uint8Array[], string][] = [
      [[frame()], "empty server hello"],
      [[frame(0x02)], "the device chose an unknown encryption protocol (2)"],
      [[frame(0x01), frame()], "empty handshake reply"],
      [[frame(0x01), frame(0x01, ...reason)], "the device refused the handshake: Bad?"],
      // A device that accepts and says nothing (the step timeout is 1 s here).
      [[], "no server hello within 1 s"],
      [[frame(0x01)], "no handshake reply within 1 s"],
    ]
    for (const [reply, expected] of cases) {
      const [port, message] = await attempt(reply, PSK)
      expect(message).toBe(`127.0.0.1:${port}: ${expected}`)
    }
  })

  it("says hello as pollect (API 1.10) with an empty AuthenticationRequest; keeps exactly maxEntities; ignores unlisted keys", async () => {
    const listed: Entity[] = [
      { kind: "sensor", key: 1, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" },
      { kind: "binary_sensor", key: 2, objectId: "d", name: "Door", deviceClass: "door", unit: "" },
    ]
    const device = await startFakeDevice({ entities: listed, states: { 1: 20, 2: 1 } })
    const client = new EspHomeClient({ host: "127.0.0.1", port: device.port, log: silentLogger, maxEntities: 2 })
    try {
      await client.connected()
      expect(client.sessions).toBe(1)
      expect(hex(device.lastPayload.get(MSG.HelloRequest)!)).toBe(hex(encodeHelloRequest("pollect", 1, 10)))
      expect(hex(device.lastPayload.get(MSG.AuthenticationRequest) ?? new Uint8Array(0))).toBe("")
      device.send(MSG.SensorStateResponse, encodeState("sensor", { key: 99, value: 5 }).payload)
      // A text sensor's state (TextSensorStateResponse, 27: key, then a string) for a listed key: not a sensor state.
      device.send(27, new MessageWriter().fixed32(1, 2).string(2, "on").finish())
      device.setState(1, 21)
      const deadline = Date.now() + 3000
      while (client.states.get(1) !== 21 && Date.now() < deadline) await Bun.sleep(10)
      expect([...client.states.keys()].sort()).toEqual([1, 2])
      expect(client.states.get(2)).toBe(1)
    } finally {
      client.close()
      await device.stop()
    }
  })

  it("retries after 1x, 2x, 4x … the shortest pause, at most the longest; a failure is logged at debug", async () => {
    const port = freePort()
    const lines: string[] = []
    const log = { ...silentLogger, debug: (line: string) => void lines.push(line) }
    const client = new EspHomeClient({ host: "127.0.0.1", port, log, minBackoffMs: 1000, maxBackoffMs: 2500, connectTimeoutMs: 7000 })
    const delays: number[] = []
    const real = globalThis.setTimeout
    const spy = spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
      if (ms !== 7000) delays.push(ms ?? 0)
      return real(fn, ms)
    }) as typeof setTimeout)
    try {
      for (let i = 0; i < 4; i++) await rejection(client.connected())
      expect(delays).toEqual([1000, 2000, 2500, 2500])
      expect(lines).toEqual(Array(4).fill(`127.0.0.1:${port}: connect failed: ECONNREFUSED`))
    } finally {
      spy.mockRestore()
      client.close()
    }
  })

  it("connected(signal): an aborted or aborting signal ends the wait with the deadline's message; no listener is left", async () => {
    const server = await answeringServer([])
    const client = new EspHomeClient({ host: "127.0.0.1", port: server.port, log: silentLogger, stepTimeoutMs: 5000 })
    const signal = AbortSignal.timeout(50)
    const added: unknown[] = []
    const removed: unknown[] = []
    const add = spyOn(signal, "addEventListener").mockImplementation(((type: string, listener: unknown, options?: unknown) => {
      added.push(type)
      AbortSignal.prototype.addEventListener.call(signal, type, listener as EventListener, options as AddEventListenerOptions)
    }) as typeof signal.addEventListener)
    const remove = spyOn(signal, "removeEventListener").mockImplementation(((type: string, listener: unknown) => {
      removed.push(type)
      AbortSignal.prototype.removeEventListener.call(signal, type, listener as EventListener)
    }) as typeof signal.removeEventListener)
    try {
      expect(await rejection(client.connected(AbortSignal.abort()))).toBe(
        `127.0.0.1:${server.port}: not connected before the probe's deadline`,
      )
      expect(await rejection(client.connected(signal))).toBe(`127.0.0.1:${server.port}: not connected before the probe's deadline`)
      client.close()
      await Bun.sleep(20)
      expect([added, removed]).toEqual([["abort"], ["abort"]])
    } finally {
      add.mockRestore()
      remove.mockRestore()
      client.close()
      server.stop()
    }
  })

  it("connections: two waits share one attempt; success clears the last error; a loss is logged; close() ends quietly", async () => {
    const temp: Entity = { kind: "sensor", key: 1, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" }
    const device = await startFakeDevice({ entities: [temp], states: { 1: 20 } })
    await device.stop()
    const lines: string[] = []
    const log = { ...silentLogger, debug: (line: string) => void lines.push(line) }
    const client = new EspHomeClient({ host: "127.0.0.1", port: device.port, log, minBackoffMs: 60_000 })
    try {
      await rejection(client.connected())
      expect(client.lastError?.message).toBe(`127.0.0.1:${device.port}: connect failed: ECONNREFUSED`)
      await device.start()
      await Promise.all([client.connected(), client.connected()])
      expect([device.connections, client.lastError]).toEqual([1, undefined])
      await device.stop()
      const deadline = Date.now() + 3000
      while (client.isReady() && Date.now() < deadline) await Bun.sleep(10)
      expect(lines.at(-1)).toBe(`127.0.0.1:${device.port}: connection lost: connection closed by the peer; reconnecting`)
      await device.start()
      await client.connected()
      lines.length = 0
      client.close()
      await Bun.sleep(50)
      expect([client.isReady(), client.lastError?.message, lines]).toEqual([false, `127.0.0.1:${device.port}: client closed`, []])
    } finally {
      client.close()
      await device.stop()
    }
  })

  it("the deadline's message carries the last error; a quiet device is pinged, not dropped; a DisconnectRequest is the reason", async () => {
    const port = freePort()
    const down = new EspHomeClient({ host: "127.0.0.1", port, log: silentLogger, minBackoffMs: 60_000 })
    try {
      await rejection(down.connected())
      expect(await rejection(down.connected(AbortSignal.abort()))).toBe(
        `127.0.0.1:${port}: not connected before the probe's deadline: 127.0.0.1:${port}: connect failed: ECONNREFUSED`,
      )
    } finally {
      down.close()
    }
    const temp: Entity = { kind: "sensor", key: 1, objectId: "t", name: "Temp", deviceClass: "temperature", unit: "°C" }
    const device = await startFakeDevice({ entities: [temp], states: { 1: 20 } })
    const client = new EspHomeClient({ host: "127.0.0.1", port: device.port, log: silentLogger, keepaliveMs: 1000, minBackoffMs: 60_000 })
    try {
      await client.connected()
      // Quiet for 1.5 keepalive periods: pinged once (answered), not dropped.
      await Bun.sleep(1500)
      expect([client.isReady(), client.sessions]).toEqual([true, 1])
      device.send(MSG.DisconnectRequest)
      const deadline = Date.now() + 3000
      while (client.isReady() && Date.now() < deadline) await Bun.sleep(10)
      expect(client.lastError?.message).toBe(`127.0.0.1:${device.port}: the device closed the connection (DisconnectRequest)`)
    } finally {
      client.close()
      await device.stop()
    }
  })

  it.skipIf(process.platform !== "linux")(
    "a device that never answers the connect: the connect timeout, in seconds; close() ends the wait at once",
    async () => {
      const listener = await hangingPort()
      const client = new EspHomeClient({ host: "127.0.0.1", port: listener.port, log: silentLogger, connectTimeoutMs: 250 })
      const closing = new EspHomeClient({ host: "127.0.0.1", port: listener.port, log: silentLogger, connectTimeoutMs: 2000 })
      try {
        // The signal only bounds the test: the connect timeout must come first.
        expect(await rejection(client.connected(AbortSignal.timeout(3000)))).toBe(
          `127.0.0.1:${listener.port}: connect timed out after 0.25 s`,
        )
        const started = Date.now()
        const pending = rejection(closing.connected())
        await Bun.sleep(50)
        closing.close()
        expect(await pending).toBe(`127.0.0.1:${listener.port}: client closed`)
        expect(Date.now() - started).toBeLessThan(1000)
      } finally {
        client.close()
        closing.close()
        listener.close()
      }
    },
  )

  it("a device that hangs up in the settle time's last wait, or right after its first states: the attempt fails", async () => {
    const helloPayload = encodeHelloResponse({ apiMajor: 1, apiMinor: 10, serverInfo: "fake 1.0", name: "dev" })
    const state = encodeState("sensor", { key: 1, value: 20 })
    // Answers like a device, and ends the connection as soon as the client subscribes.
    const hangingUp = (withState: boolean) =>
      rawServer((socket) => {
        socket.on("error", () => {})
        const link = new Link(socket, "plain")
        void (async () => {
          for (;;) {
            const message = await link.nextMessage(Number.POSITIVE_INFINITY)
            if (message?.type === MSG.HelloRequest) link.sendMessage(MSG.HelloResponse, helloPayload)
            if (message?.type === MSG.ListEntitiesRequest) {
              link.sendMessage(sensor.type, sensor.payload)
              link.sendMessage(MSG.ListEntitiesDoneResponse)
            }
            if (message?.type === MSG.SubscribeStatesRequest) {
              if (withState) link.sendMessage(state.type, state.payload)
              return link.end()
            }
          }
        })().catch(() => {})
      })
    // The settle loop's 10 ms waits last 300 ms: long enough for the hang-up to arrive in one.
    const real = Bun.sleep
    const sleep = spyOn(Bun, "sleep").mockImplementation(() => real(300))
    try {
      for (const [withState, settleMs] of [
        [false, 10],
        [true, 5000],
      ] as const) {
        const port = await hangingUp(withState)
        const client = new EspHomeClient({ host: "127.0.0.1", port, log: silentLogger, settleMs, minBackoffMs: 60_000 })
        try {
          expect([withState, await rejection(client.connected())]).toEqual([withState, `127.0.0.1:${port}: connection closed by the peer`])
        } finally {
          client.close()
        }
      }
    } finally {
      sleep.mockRestore()
    }
  })

  it("connected() while a retry is pending brings the retry forward: the pending one does not run as well", async () => {
    let connections = 0
    const port = await rawServer((socket) => {
      connections++
      socket.destroy()
    })
    const client = new EspHomeClient({ host: "127.0.0.1", port, log: silentLogger, minBackoffMs: 500, maxBackoffMs: 60_000 })
    try {
      await rejection(client.connected()) // fails at once: a retry in 0.5 s
      await Bun.sleep(100)
      await rejection(client.connected()) // the retry brought forward; the next one in 1 s
      await Bun.sleep(600)
      expect(connections).toBe(2)
    } finally {
      client.close()
    }
  })

  it("a device without sensors: its quiet connection is pinged first, not dropped; a ready client ignores an aborted signal", async () => {
    const device = await startFakeDevice({ entities: [] })
    const client = new EspHomeClient({ host: "127.0.0.1", port: device.port, log: silentLogger, keepaliveMs: 200, minBackoffMs: 60_000 })
    try {
      await client.connected()
      expect(await rejection(client.connected(AbortSignal.abort()))).toBe("resolved")
      // Nothing arrives after subscribing: one keepalive period later the device is pinged (and answers).
      await Bun.sleep(300)
      expect([client.isReady(), client.sessions, device.received.includes(MSG.PingRequest)]).toEqual([true, 1, true])
    } finally {
      client.close()
      await device.stop()
    }
  })

  it("a closed client does not connect again", async () => {
    const client = new EspHomeClient({ host: "127.0.0.1", port: 9, log: silentLogger })
    client.close()
    client.close()
    expect(await rejection(client.connected())).toBe("127.0.0.1:9: client closed")
  })
})
