/** EspHome over real loopback sockets: the fake device (fake-device.ts) and raw hostile servers. */
import { afterEach, describe, expect, it } from "bun:test"
import { connect, createServer, type Server, type Socket } from "node:net"
import { silentLogger } from "../../core/log.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { EspHomeClient } from "./client.ts"
import { type FakeDevice, startFakeDevice } from "./fake-device.ts"
import { EspHomeSource } from "./index.ts"
import { Link } from "./link.ts"
import { type Entity, MSG } from "./messages.ts"
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
