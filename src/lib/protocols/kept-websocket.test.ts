/** lib/protocols/kept-websocket.ts: one websocket kept open, reconnected with backoff, dropped on bad input. */
import { afterEach, describe, expect, it } from "bun:test"
import type { ServerWebSocket } from "bun"
import { createHash, X509Certificate } from "node:crypto"
import { readFileSync, rmSync } from "node:fs"
import { createServer, type TLSSocket } from "node:tls"
import { tempDir } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { createLogger } from "../../core/log.ts"
import { KeptWebSocket, type KeptWebSocketOptions } from "./kept-websocket.ts"
import { normalizeFingerprint, PinnedWebSocket } from "./pinned-websocket.ts"

/** A loopback websocket server; `onOpen` scripts what it does with each connection. */
function server(onOpen: (ws: ServerWebSocket<unknown>, n: number) => void = () => {}) {
  let connections = 0
  const received: string[] = []
  const closes: string[] = []
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
      close(_ws, code, reason) {
        closes.push(`${code} ${reason}`)
      },
    },
  })
  stops.push(() => s.stop(true))
  return { url: `ws://127.0.0.1:${s.port}/ws`, port: s.port, received, closes, connections: () => connections }
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

  it("an onOpen that closes the connection leaves it closed: not ready, no reconnect", async () => {
    const s = server()
    let socket: KeptWebSocket | undefined
    const k = kept(s.url, { onOpen: () => socket?.close() })
    socket = k.socket
    expect(await socket.whenReady()).toBe(false)
    expect(socket.ready).toBe(false)
    await Bun.sleep(60) // three backoffs of 20 ms: a reconnect would have come
    expect([socket.ready, socket.opened, s.connections()]).toEqual([false, 1, 1])
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

  it("whenReady with a signal that has already aborted returns at once; the attempt starts all the same", async () => {
    const s = server() // opens, never sends
    const { socket } = kept(s.url, { readyAfterFirstMessage: true, connectTimeoutMs: 3000 })
    const started = performance.now()
    expect(await socket.whenReady(AbortSignal.abort())).toBe(false)
    expect(performance.now() - started).toBeLessThan(1000)
    const end = Date.now() + 2000
    while (s.connections() === 0 && Date.now() < end) await Bun.sleep(10)
    expect(s.connections()).toBe(1)
    socket.close()
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

/** A raw TLS server for PinnedWebSocket: `answer` writes the reply to the upgrade request. */
async function tlsServer(answer: (socket: TLSSocket, key: string) => void) {
  const dir = tempDir("kept-ws-")
  const files = selfSignedCert(dir)
  const tls = { key: readFileSync(files.key), cert: readFileSync(files.cert) }
  rmSync(dir, { recursive: true, force: true }) // at once: a mutant's run that is killed leaves nothing behind
  const fingerprint = normalizeFingerprint(new X509Certificate(tls.cert).fingerprint256)!
  const srv = createServer(tls, (socket) => {
    let head = ""
    socket.on("data", (chunk: Buffer) => {
      if (head.includes("\r\n\r\n")) return
      head += chunk.toString("latin1")
      if (head.includes("\r\n\r\n")) answer(socket, /sec-websocket-key: (\S+)/i.exec(head)![1]!)
    })
    socket.on("error", () => {})
  })
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve))
  stops.push(() => srv.close())
  const url = `wss://127.0.0.1:${(srv.address() as { port: number }).port}/ws`
  return { url, open: (u: string) => new PinnedWebSocket(u, { fingerprint, maxMessageBytes: 1000 }) as unknown as WebSocket }
}

function upgrade(socket: TLSSocket, key: string) {
  const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64")
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`)
}

describe("KeptWebSocket: errors, timers, waiters", () => {
  it("close() sends code 1000 with the reason 'pollect stopped'", async () => {
    const s = server()
    const { socket } = kept(s.url)
    expect(await socket.whenReady()).toBe(true)
    socket.close()
    expect(await until(() => s.closes.length === 1)).toBe(true)
    expect(s.closes).toEqual(["1000 pollect stopped"])
  })

  it("two whenReady calls at once share one attempt and one connection", async () => {
    const s = server()
    const { socket } = kept(s.url)
    const both = await Promise.all([socket.whenReady(), socket.whenReady()])
    expect(both).toEqual([true, true])
    await Bun.sleep(100)
    expect(s.connections()).toBe(1)
    expect(socket.opened).toBe(1)
    expect(socket.ready).toBe(true)
  })

  it("whenReady during the backoff connects at once and cancels the pending retry", async () => {
    const s = server((ws, n) => {
      if (n === 1) ws.close(4000, "bye")
    })
    const { socket } = kept(s.url, { firstBackoffMs: 300 })
    expect(await socket.whenReady()).toBe(true)
    expect(await until(() => !socket.ready && socket.lastError.startsWith("closed"))).toBe(true)
    expect(await socket.whenReady()).toBe(true)
    expect(s.connections()).toBe(2)
    await Bun.sleep(450) // past the 300 ms retry that whenReady replaced
    expect(s.connections()).toBe(2)
    expect(socket.opened).toBe(2)
    expect(socket.ready).toBe(true)
  })

  it("an aborted whenReady returns at once and leaves its signal and the other waiters alone", async () => {
    let peer: ServerWebSocket<unknown> | undefined
    const s = server((ws) => (peer = ws))
    const { socket } = kept(s.url, { readyAfterFirstMessage: true })
    const controller = new AbortController()
    const calls: string[] = []
    const signal = controller.signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = ((type: string, listener: EventListener, options?: AddEventListenerOptions) => {
      calls.push(`add ${type}`)
      add(type, listener, options)
    }) as typeof signal.addEventListener
    signal.removeEventListener = ((type: string, listener: EventListener) => {
      calls.push(`remove ${type}`)
      remove(type, listener)
    }) as typeof signal.removeEventListener
    const aborted = socket.whenReady(signal)
    const other = socket.whenReady()
    expect(await until(() => peer !== undefined)).toBe(true)
    const start = Date.now()
    controller.abort()
    expect(await Promise.race([aborted, Bun.sleep(1000).then(() => "still waiting")])).toBe(false)
    expect(Date.now() - start).toBeLessThan(500)
    peer!.send("state")
    expect(await Promise.race([other, Bun.sleep(2000).then(() => "still waiting")])).toBe(true)
    await Bun.sleep(20)
    expect(calls).toEqual(["add abort", "remove abort"])

    // A signal that never aborts loses its listener when the connection becomes ready.
    const second = new AbortController()
    const seen: string[] = []
    const removeSecond = second.signal.removeEventListener.bind(second.signal)
    second.signal.removeEventListener = ((type: string, listener: EventListener) => {
      seen.push(type)
      removeSecond(type, listener)
    }) as typeof second.signal.removeEventListener
    socket.close()
    const again = kept(s.url, { readyAfterFirstMessage: true })
    peer = undefined
    const waiting = again.socket.whenReady(second.signal)
    expect(await until(() => peer !== undefined)).toBe(true)
    peer!.send("state")
    expect(await waiting).toBe(true)
    expect(seen).toEqual(["abort"])
  })

  it("Bun's error texts, without its URL prefix: refused, and an HTTP status instead of the upgrade", async () => {
    const s = server()
    const url = s.url
    stops.shift()!()
    const refused = kept(url, { firstBackoffMs: 10_000 })
    expect(await refused.socket.whenReady()).toBe(false)
    expect(refused.socket.lastError).toBe("connection failed: Failed to connect")

    const plain = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("nope", { status: 404 }) })
    stops.push(() => plain.stop(true))
    const http = kept(`ws://127.0.0.1:${plain.port}/ws`, { firstBackoffMs: 10_000 })
    expect(await http.socket.whenReady()).toBe(false)
    expect(http.socket.lastError).toBe("connection failed: Expected 101 status code: 404")
  })

  it("an error on a ready connection is 'connection lost' (PinnedWebSocket: an unknown frame)", async () => {
    const bad = await tlsServer((socket, key) => {
      upgrade(socket, key)
      socket.write(Buffer.from([0x81, 2, 0x68, 0x69])) // text "hi"
      setTimeout(() => socket.write(Buffer.from([0x83, 0])), 50) // opcode 3: unknown
    })
    const one = kept(bad.url, { open: bad.open, firstBackoffMs: 10_000 })
    expect(await one.socket.whenReady()).toBe(true)
    expect(await until(() => !one.socket.ready)).toBe(true)
    expect(one.messages).toEqual(["hi"])
    expect(one.socket.lastError).toBe("connection lost: an unknown frame (opcode 3)")
  })

  it("an error event without a message (the WHATWG WebSocket's) is a bare 'connection failed'; a long text is cut at 300", async () => {
    /** An opener's socket that fails as a browser's does (a plain Event) or with a long ErrorEvent text. */
    class FailingSocket extends EventTarget {
      binaryType = "blob"
      constructor(error: Event) {
        super()
        setTimeout(() => {
          this.dispatchEvent(error)
          this.dispatchEvent(new CloseEvent("close", { code: 1006 }))
        }, 5)
      }
      close() {}
    }
    const spec = kept("ws://127.0.0.1:9/", {
      open: () => new FailingSocket(new Event("error")) as unknown as WebSocket,
      firstBackoffMs: 10_000,
    })
    expect(await spec.socket.whenReady()).toBe(false)
    expect(spec.socket.lastError).toBe("connection failed")

    // Only an ErrorEvent's message is read: a plain Event carrying a `message` field gives no text.
    const foreign = kept("ws://127.0.0.1:9/", {
      open: () => new FailingSocket(Object.assign(new Event("error"), { message: "from elsewhere" })) as unknown as WebSocket,
      firstBackoffMs: 10_000,
    })
    expect(await foreign.socket.whenReady()).toBe(false)
    expect(foreign.socket.lastError).toBe("connection failed")

    const text = `refused: ${"r".repeat(400)}`
    const long = kept("ws://127.0.0.1:9/", {
      open: () => new FailingSocket(new ErrorEvent("error", { message: text })) as unknown as WebSocket,
      firstBackoffMs: 10_000,
    })
    expect(await long.socket.whenReady()).toBe(false)
    expect(long.socket.lastError).toBe(`connection failed: ${text.slice(0, 300)}`)
  })

  it("a peer's close without a reason shows only the code", async () => {
    const s = server((ws, n) => {
      if (n === 1) ws.close(4002)
    })
    const { socket } = kept(s.url, { firstBackoffMs: 10_000 })
    expect(await socket.whenReady()).toBe(true)
    expect(await until(() => !socket.ready)).toBe(true)
    expect(socket.lastError).toBe("closed by the peer (code 4002)")
  })

  it("logs 'connected' once per reconnect, never for the first connection", async () => {
    const s = server((ws, n) => {
      if (n === 1) ws.close(4000, "bye")
      else for (const m of ["a", "b", "c"]) ws.send(m)
    })
    const { socket, debug, messages } = kept(s.url, { readyAfterFirstMessage: true, firstBackoffMs: 10 })
    expect(await socket.whenReady()).toBe(false)
    expect(await until(() => messages.length === 3)).toBe(true)
    await Bun.sleep(20)
    expect(debug()).toEqual(["peer: connection failed (code 4000: bye); next attempt in 0.01 s", "peer: connected"])
  })

  it("a connection ready in time is not dropped when connectTimeoutMs passes; a first connection logs nothing", async () => {
    const s = server()
    const { socket, lines } = kept(s.url, { connectTimeoutMs: 100 })
    expect(await socket.whenReady()).toBe(true)
    await Bun.sleep(300)
    expect(socket.ready).toBe(true)
    expect(socket.lastError).toBe("not connected yet")
    expect(s.connections()).toBe(1)
    expect(lines).toEqual([])
  })

  it("each message restarts the idle timer", async () => {
    const s = server((ws) => {
      const timer = setInterval(() => ws.send("tick"), 40)
      stops.push(() => clearInterval(timer))
    })
    const { socket, messages } = kept(s.url, { idleMs: 150 })
    expect(await socket.whenReady()).toBe(true)
    await Bun.sleep(450)
    expect(messages.length).toBeGreaterThan(5)
    expect(socket.ready).toBe(true)
    expect(socket.lastError).toBe("not connected yet")
    expect(socket.opened).toBe(1)
  })

  it("a dropped connection is closed on the client's side", async () => {
    const s = server((ws) => ws.sendBinary(new Uint8Array([1])))
    const { socket } = kept(s.url, { firstBackoffMs: 10_000 })
    await socket.whenReady()
    expect(await until(() => socket.lastError === "a binary message, expected JSON text")).toBe(true)
    expect(await until(() => s.closes.length === 1, 2000)).toBe(true)
    expect(s.connections()).toBe(1)
  })

  it("an opener that throws fails the attempt whenReady started at once, not at the next retry", async () => {
    let calls = 0
    const { socket } = kept("ws://127.0.0.1:9/", {
      firstBackoffMs: 10_000,
      open: () => {
        calls++
        throw new Error("no such thing")
      },
    })
    const start = Date.now()
    expect(await Promise.race([socket.whenReady(), Bun.sleep(2000).then(() => "still waiting")])).toBe(false)
    expect(Date.now() - start).toBeLessThan(1000)
    expect(calls).toBe(1)
  })

  it("an opener that closes the KeptWebSocket and then throws schedules no retry", async () => {
    let calls = 0
    const { socket, debug } = kept("ws://127.0.0.1:9/", {
      firstBackoffMs: 10,
      open: () => {
        calls++
        socket.close()
        throw new Error("stopped while opening")
      },
    })
    expect(await socket.whenReady()).toBe(false)
    expect(socket.lastError).toBe("ws://127.0.0.1:9/: stopped while opening")
    await Bun.sleep(100) // ten backoffs
    expect(calls).toBe(1)
    expect(debug()).toEqual(["peer: ws://127.0.0.1:9/: stopped while opening; next attempt in 0.01 s"])
  })

  it("after close() no timer keeps the process alive", async () => {
    const s = server()
    const module = JSON.stringify(`${import.meta.dir}/kept-websocket.ts`)
    const code = `import { KeptWebSocket } from ${module}
      const log = { debug() {}, info() {}, warn() {}, error() {} }
      const k = new KeptWebSocket({ url: ${JSON.stringify(s.url)}, what: "peer", log, onMessage() {}, maxMessageChars: 10 })
      console.log(await k.whenReady())
      k.close()`
    const child = Bun.spawn([process.execPath, "-e", code], { stdout: "pipe", stderr: "pipe", env: process.env })
    const exited = await Promise.race([child.exited, Bun.sleep(8000).then(() => "still running")])
    if (exited === "still running") child.kill()
    expect(exited).toBe(0)
    expect((await new Response(child.stdout).text()).trim()).toBe("true")
  })
})
