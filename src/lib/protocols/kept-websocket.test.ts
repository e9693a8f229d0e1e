/** lib/protocols/kept-websocket.ts: one websocket kept open, reconnected with backoff, dropped on bad input. */
import { afterEach, describe, expect, it } from "bun:test"
import type { ServerWebSocket } from "bun"
import { createLogger } from "../../core/log.ts"
import { KeptWebSocket, type KeptWebSocketOptions } from "./kept-websocket.ts"

/** A loopback websocket server; `onOpen` scripts what it does with each connection. */
function server(onOpen: (ws: ServerWebSocket<unknown>, n: number) => void = () => {}) {
  let connections = 0
  const received: string[] = []
  const s = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      if (srv.upgrade(request)) return undefined
      return new Response("not a websocket", { status: 404 })
    },
    websocket: {
      open(ws) {
        onOpen(ws, ++connections)
      },
      message(_ws, message) {
        received.push(String(message))
      },
    },
  })
  stops.push(() => s.stop(true))
  return { url: `ws://127.0.0.1:${s.port}/ws`, port: s.port, received, connections: () => connections }
}

const stops: (() => unknown)[] = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

function kept(url: string, options: Partial<KeptWebSocketOptions> = {}) {
  const lines: string[] = []
  const messages: string[] = []
  const socket = new KeptWebSocket({
    url,
    what: "peer",
    log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    onMessage: (text) => messages.push(text),
    maxMessageChars: 100,
    firstBackoffMs: 20,
    maxBackoffMs: 1000,
    ...options,
  })
  stops.push(() => socket.close())
  return { socket, lines, messages, debug: () => lines.filter((l) => l.includes(" DEBUG ")).map((l) => l.replace(/^.* DEBUG /, "")) }
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await Bun.sleep(5)
  return check()
}

describe("KeptWebSocket", () => {
  it("is ready at open (onOpen first), passes text messages on, and keeps one connection", async () => {
    const s = server((ws) => ws.send("hello"))
    const events: string[] = []
    const { socket, messages } = kept(s.url, { onOpen: () => events.push("open") })
    expect(socket.ready).toBe(false)
    expect(socket.lastError).toBe("not connected yet")
    expect(await socket.whenReady()).toBe(true)
    expect(socket.ready).toBe(true)
    expect(events).toEqual(["open"])
    expect(await until(() => messages.length === 1)).toBe(true)
    expect(messages).toEqual(["hello"])
    expect(await socket.whenReady()).toBe(true)
    expect(socket.opened).toBe(1)
    expect(s.connections()).toBe(1)
  })

  it("readyAfterFirstMessage: not ready at open, ready with the first message", async () => {
    let peer: ServerWebSocket<unknown> | undefined
    const s = server((ws) => (peer = ws))
    const { socket, messages } = kept(s.url, { readyAfterFirstMessage: true })
    let resolved = false
    const ready = socket.whenReady().then((r) => ((resolved = true), r))
    expect(await until(() => peer !== undefined)).toBe(true)
    await Bun.sleep(30)
    expect(resolved).toBe(false)
    expect(socket.ready).toBe(false)
    peer!.send('{"state":1}')
    expect(await ready).toBe(true)
    expect(messages).toEqual(['{"state":1}'])
  })

  it("a message longer than maxMessageChars ends the connection; maxMessageChars itself is read", async () => {
    const s = server((ws) => (ws.send("x".repeat(100)), ws.send("y".repeat(101))))
    const { socket, messages } = kept(s.url, { readyAfterFirstMessage: true, firstBackoffMs: 10_000 })
    expect(await socket.whenReady()).toBe(true)
    expect(messages).toEqual(["x".repeat(100)])
    expect(await until(() => socket.lastError.startsWith("a message of"))).toBe(true)
    expect(socket.lastError).toBe("a message of 101 characters, more than the 100 read at most")
  })

  it("a binary message, or one onMessage throws on, ends the connection with that reason", async () => {
    const binary = server((ws) => ws.sendBinary(new Uint8Array([1, 2])))
    const one = kept(binary.url, { readyAfterFirstMessage: true })
    expect(await one.socket.whenReady()).toBe(false)
    expect(one.socket.lastError).toBe("a binary message, expected JSON text")

    const text = server((ws) => ws.send("garbage"))
    const two = kept(text.url, {
      readyAfterFirstMessage: true,
      onMessage: () => {
        throw new Error("not JSON: garbage")
      },
    })
    expect(await two.socket.whenReady()).toBe(false)
    expect(two.socket.lastError).toBe("not JSON: garbage")
    expect(two.socket.ready).toBe(false)
  })

  it("reconnects after the peer closes, with backoff doubling up to maxBackoffMs, reset by a connection that became ready", async () => {
    const s = server((ws, n) => {
      if (n <= 4) ws.close(4000, "bye")
    })
    const { socket, debug } = kept(s.url, { firstBackoffMs: 10, maxBackoffMs: 40 })
    await socket.whenReady()
    expect(await until(() => socket.opened >= 5 && socket.ready)).toBe(true)
    const attempts = debug().filter((l) => l.includes("next attempt"))
    expect(attempts.slice(0, 4)).toEqual([
      "peer: closed by the peer (code 4000: bye); next attempt in 0.01 s",
      "peer: closed by the peer (code 4000: bye); next attempt in 0.01 s",
      "peer: closed by the peer (code 4000: bye); next attempt in 0.01 s",
      "peer: closed by the peer (code 4000: bye); next attempt in 0.01 s",
    ])
    // Each of those connections was ready (at open), so the backoff started over each time.
    expect(debug()).toContain("peer: connected")
  })

  it("a refused connection fails the attempt whenReady started; retries double the wait up to the maximum", async () => {
    const s = server()
    const url = s.url
    stops.shift()!() // the port is free again: connections are refused
    const { socket, debug } = kept(url, { firstBackoffMs: 10, maxBackoffMs: 40 })
    expect(await socket.whenReady()).toBe(false)
    expect(socket.lastError).toStartWith("connection failed")
    expect(await until(() => debug().filter((l) => l.includes("next attempt")).length >= 5)).toBe(true)
    const waits = debug()
      .filter((l) => l.includes("next attempt"))
      .slice(0, 5)
      .map((l) => l.replace(/.*next attempt in /, ""))
    expect(waits).toEqual(["0.01 s", "0.02 s", "0.04 s", "0.04 s", "0.04 s"])
    expect(debug()).not.toContain("peer: connected")
  })

  it("a peer that closes before any message is a failed connection, with its code and reason", async () => {
    const s = server((ws) => ws.close(4001, "go away"))
    const { socket } = kept(s.url, { readyAfterFirstMessage: true })
    expect(await socket.whenReady()).toBe(false)
    expect(socket.lastError).toBe("connection failed (code 4001: go away)")
  })

  it("an HTTP answer instead of an upgrade says so", async () => {
    const plain = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("nope", { status: 404 }) })
    stops.push(() => plain.stop(true))
    const { socket } = kept(`ws://127.0.0.1:${plain.port}/ws`)
    expect(await socket.whenReady()).toBe(false)
    expect(socket.lastError).toStartWith("connection failed")
    expect(socket.lastError).not.toContain("WebSocket connection to")
  })

  it("a silent peer is dropped after idleMs; a message re-arms the timer", async () => {
    const s = server((ws, n) => {
      if (n === 1) ws.send("one")
    })
    const { socket, messages } = kept(s.url, { idleMs: 200 })
    expect(await socket.whenReady()).toBe(true)
    expect(await until(() => socket.lastError.startsWith("nothing received"))).toBe(true)
    expect(socket.lastError).toBe("nothing received for 0.2 s")
    expect(messages).toEqual(["one"])
  })

  it("an attempt not ready within connectTimeoutMs is given up on, named after what it waited for", async () => {
    const s = server() // opens, never sends
    const { socket } = kept(s.url, { readyAfterFirstMessage: true, connectTimeoutMs: 100 })
    expect(await socket.whenReady()).toBe(false)
    expect(socket.lastError).toBe("no state within 0.1 s")

    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }) // TCP, never upgrades
    stops.push(() => silent.stop(true))
    const other = kept(`ws://127.0.0.1:${silent.port}/ws`, { connectTimeoutMs: 100 })
    expect(await other.socket.whenReady()).toBe(false)
    expect(other.socket.lastError).toBe("no connection within 0.1 s")
  })

  it("whenReady gives up when its signal aborts; the attempt goes on", async () => {
    const s = server()
    const { socket } = kept(s.url, { readyAfterFirstMessage: true })
    const controller = new AbortController()
    const waiting = socket.whenReady(controller.signal)
    await Bun.sleep(20)
    controller.abort()
    expect(await waiting).toBe(false)
  })

  it("close() ends the connection, wakes waiters, stops reconnecting, and is safe twice", async () => {
    const s = server()
    const { socket } = kept(s.url, { readyAfterFirstMessage: true, firstBackoffMs: 10 })
    const waiting = socket.whenReady()
    expect(await until(() => s.connections() === 1)).toBe(true)
    socket.close()
    expect(await waiting).toBe(false)
    socket.close()
    expect(await socket.whenReady()).toBe(false)
    await Bun.sleep(100)
    expect(s.connections()).toBe(1)
    expect(socket.ready).toBe(false)
  })

  it("nothing connects before the first whenReady; a failed constructor is a failed attempt", async () => {
    const s = server()
    kept(s.url)
    await Bun.sleep(50)
    expect(s.connections()).toBe(0)
    const opened: string[] = []
    const { socket } = kept("ws://nowhere.invalid/", {
      open: (url) => {
        opened.push(url)
        throw new Error("no such thing")
      },
    })
    expect(await socket.whenReady()).toBe(false)
    expect(socket.lastError).toBe("ws://nowhere.invalid/: no such thing")
    expect(opened[0]).toBe("ws://nowhere.invalid/")
  })

  it("open replaces Bun's WebSocket", async () => {
    const s = server((ws) => ws.send("via open"))
    const opened: string[] = []
    const { socket, messages } = kept("ws://ignored.invalid/", {
      readyAfterFirstMessage: true,
      open: (url) => (opened.push(url), new WebSocket(s.url)),
    })
    expect(await socket.whenReady()).toBe(true)
    expect(opened).toEqual(["ws://ignored.invalid/"])
    expect(messages).toEqual(["via open"])
  })
})
