import { afterEach, describe, expect, it } from "bun:test"
import net from "node:net"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { fakeCarbon } from "./fake-carbon.ts"
import { backoffMs, GraphiteWriter } from "./index.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { concat, decodePickleFrames, unpickleFrames } from "../../../test/helpers/python-pickle.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

/** A loopback carbon, stopped after each test. */
function sink(port = 0) {
  const carbon = fakeCarbon(port)
  cleanups.push(carbon.stop)
  return carbon
}

// The suite, against a loopback sink in each of carbon's protocols: received() is what carbon would store.
writerConformance({
  type: "Graphite",
  variant: "plaintext",
  cls: GraphiteWriter,
  dir: import.meta.dir,
  peer: () => {
    const carbon = sink()
    return {
      config: { host: "127.0.0.1", plaintextPort: carbon.port },
      received: () => new TextDecoder().decode(carbon.bytes()).split("\n").filter(Boolean),
      close: carbon.stop,
    }
  },
})
writerConformance({
  type: "Graphite",
  variant: "pickle",
  cls: GraphiteWriter,
  dir: import.meta.dir,
  peer: () => {
    const carbon = sink()
    return {
      config: { host: "127.0.0.1", picklePort: carbon.port },
      received: () => decodePickleFrames(carbon.bytes()).map(([path, time, value]) => `${path} ${value} ${time}`),
      close: carbon.stop,
    }
  },
})

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

function writer(config: Record<string, unknown>, selfMetrics = new SelfMetrics()) {
  const w = makeWriter<GraphiteWriter>(GraphiteWriter, { type: "Graphite", host: "127.0.0.1", ...config }, selfMetrics)
  cleanups.push(() => w.stop(200))
  return w
}

function counter(metrics: SelfMetrics, name: string): number {
  return (
    metrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "Graphite" })) ?? 0
  )
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await Bun.sleep(10)
  }
}

const T = 1508478781
const loadAvg = (time: number, mid = 0.5) => resultOf({ short: 0.25, mid, long: 1 }, { type: "LoadAvg", time })
/** One tick of `n` points `pollect.test.<i>` with value i. */
const tick = (time: number, n: number, from = 0) => {
  const set = new ValueSet(["i"])
  for (let i = 0; i < n; i++) set.add(from + i, [String(from + i)])
  return resultOf(set, { time })
}

describe("Graphite writer", () => {
  it("backs off 0.5 s, 1 s, 2 s ... up to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000])
  })

  itWithTools(
    ["python3"],
    "sends pickle frames of plain tuples, paths as graphitePath with the prefix; NaN is dropped and counted",
    async () => {
      const server = sink()
      const metrics = new SelfMetrics()
      const w = writer({ picklePort: server.port, prefix: "servers.web1." }, metrics)
      w.start()
      w.write([loadAvg(T), resultOf({ ok: 1, bad: NaN, worse: -Infinity }, { type: "Http", name: "local", time: T })])
      w.write([loadAvg(T + 10, 2 ** 40)])
      await w.stop()
      await until(() => server.closed === 1)
      const decoded = await unpickleFrames(server.bytes())
      expect(decoded.repr).toEqual([
        `('servers.web1.pollect.loadavg.short', (${T}, 0.25))`,
        `('servers.web1.pollect.loadavg.mid', (${T}, 0.5))`,
        `('servers.web1.pollect.loadavg.long', (${T}, 1))`,
        `('servers.web1.pollect.http.local.ok', (${T}, 1))`,
        `('servers.web1.pollect.loadavg.short', (${T + 10}, 0.25))`,
        `('servers.web1.pollect.loadavg.mid', (${T + 10}, 1099511627776))`,
        `('servers.web1.pollect.loadavg.long', (${T + 10}, 1))`,
      ])
      expect(counter(metrics, "pollect_points_invalid_total")).toBe(2)
      expect(counter(metrics, "pollect_points_dropped_total")).toBe(0)
      expect(server.connections).toHaveLength(1)
    },
  )

  it("write() only enqueues: it returns before anything is sent", () => {
    const w = writer({ picklePort: freePort() })
    const returned = w.write([tick(T, 1000)]) as unknown
    expect(returned).toBeUndefined()
    expect(w.unsent).toBe(1000)
  })

  itWithTools(
    ["python3"],
    "with queue: false, while the backend is down keeps the newest bufferSize points, counts the dropped, sends the rest once it is up",
    async () => {
      const port = freePort()
      const metrics = new SelfMetrics()
      const w = writer({ picklePort: port, bufferSize: 10, queue: false }, metrics)
      w.start()
      for (let t = 0; t < 3; t++) w.write([tick(T + t, 5, t * 5)])
      await Bun.sleep(50)
      expect(w.connected).toBe(false)
      expect(w.unsent).toBe(10)
      expect(counter(metrics, "pollect_points_dropped_total")).toBe(5)
      const server = sink(port) // the backend comes up on the port the writer retries
      await until(() => w.connected && w.unsent === 0, 5000)
      await w.stop()
      await until(() => server.closed === 1)
      const decoded = await unpickleFrames(server.bytes())
      expect(decoded.points.map((p) => p[2])).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    },
  )

  it("with queue: false, a long outage logs the first drop and the first failed connection, not one line per tick", async () => {
    const lines: string[] = []
    const metrics = new SelfMetrics()
    const ctx = {
      log: createLogger({ level: "warn", write: (line) => lines.push(line) }),
      stateDir: "/tmp",
      configDir: "/tmp",
      selfMetrics: metrics,
      once: false,
    }
    const w = new GraphiteWriter(
      { type: "Graphite", host: "127.0.0.1", picklePort: freePort(), bufferSize: 2, resendSeconds: 5, queue: false },
      ctx,
    )
    cleanups.push(() => w.stop(100))
    w.start()
    for (let t = 0; t < 5; t++) {
      w.write([tick(T + t, 3)])
      await Bun.sleep(150) // retries happen meanwhile (0.5 s backoff, then 1 s)
    }
    expect(counter(metrics, "pollect_points_dropped_total")).toBe(13)
    expect(lines.filter((line) => line.includes("dropped"))).toHaveLength(1)
    expect(lines.filter((line) => line.includes("cannot connect"))).toHaveLength(1)
  })

  itWithTools(["python3"], "a connection the backend closes is reopened and nothing written after it is lost", async () => {
    const server = sink()
    const w = writer({ picklePort: server.port, resendSeconds: 0 })
    w.start()
    w.write([tick(T, 3)])
    await until(() => server.bytes().length > 0 && w.unsent === 0)
    server.sockets[0]!.end() // as carbon does when it stops
    await until(() => !w.connected)
    w.write([tick(T + 1, 3, 3)])
    await until(() => w.connected && w.unsent === 0, 5000)
    await w.stop()
    await until(() => server.closed === 2)
    expect(w.connections).toBe(2)
    const decoded = await unpickleFrames(server.bytes())
    expect(decoded.points.map((p) => p[2])).toEqual([0, 1, 2, 3, 4, 5])
  })

  itWithTools(
    ["python3"],
    "under backpressure (a backend that does not read) keeps the remainder and sends every point once, in order",
    async () => {
      const server = sink()
      const w = writer({ picklePort: server.port, bufferSize: 300_000 })
      w.start()
      await until(() => server.sockets.length === 1)
      server.sockets[0]!.pause() // read nothing: the socket buffers fill, write() takes less than offered
      const n = 150_000 // about 7 MB of frames, above what loopback buffers hold (~4 MB)
      w.write([tick(T, n)])
      await until(() => w.partialWrites > 0)
      expect(w.unsent).toBeGreaterThan(0)
      server.sockets[0]!.resume()
      await until(() => w.unsent === 0, 15_000)
      await w.stop()
      await until(() => server.closed === 1) // the kernel still held the tail when stop() closed
      const decoded = await unpickleFrames(server.bytes())
      expect(decoded.frames.length).toBeGreaterThan(3)
      expect(decoded.points).toHaveLength(n)
      expect(decoded.points.every((p, i) => p[2] === i && p[0] === `pollect.test.${i}`)).toBe(true)
    },
    30_000,
  )

  itWithTools(["python3"], "frames written just before a backend drops its unread data are sent again after reconnecting", async () => {
    // The first connection reads nothing and is then destroyed: what the kernel had buffered is
    // gone, although write() took it. This is what carbon stopping does to its socket buffer.
    for (const resendSeconds of [5, 0]) {
      const received: Buffer[] = []
      let connection = 0
      const server = net.createServer((socket) => {
        if (connection++ === 0) {
          socket.pause()
          setTimeout(() => socket.destroy(), 200)
        } else socket.on("data", (chunk: Buffer) => received.push(chunk))
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      const port = (server.address() as net.AddressInfo).port
      const w = writer({ picklePort: port, resendSeconds })
      w.start()
      w.write([tick(T, 4)])
      await until(() => w.connections === 2 || connection === 2, 5000)
      w.write([tick(T + 1, 1, 4)])
      await until(() => w.connected && w.unsent === 0, 5000)
      await w.stop()
      await new Promise((resolve) => server.close(resolve))
      const decoded = await unpickleFrames(concat(received))
      if (resendSeconds) expect(decoded.points.map((p) => p[2])).toEqual([0, 1, 2, 3, 4])
      else expect(decoded.points.map((p) => p[2])).toEqual([4]) // without resending they are lost
    }
  })

  it("a connection lost mid-frame sends the half-written frame again from its first byte: carbon gets only whole frames", async () => {
    // Without the queue, and with it (a write() during the outage spills new frames through the
    // encoder whose buffer the half-written frame was a view of).
    for (const variant of [{ queue: false as const }, { writeDuringOutage: true }]) {
      const second: Buffer[] = []
      let connection = 0
      let secondClosed = false
      let first: net.Socket | undefined
      const server = net.createServer((socket) => {
        if (connection++ === 0) {
          first = socket
          socket.once("data", () => socket.pause()) // reads a few bytes, then nothing: the buffers fill
        } else {
          socket.on("data", (chunk: Buffer) => second.push(chunk))
          socket.on("close", () => (secondClosed = true))
        }
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
      cleanups.push(() => new Promise((resolve) => server.close(resolve)))
      const port = (server.address() as net.AddressInfo).port
      const w = writer({ picklePort: port, bufferSize: 300_000, resendSeconds: 0, ...("queue" in variant ? variant : {}) })
      w.start()
      await until(() => w.connected)
      const n = 150_000 // about 7 MB of 1 MiB frames, above what loopback buffers hold
      w.write([tick(T, n)])
      await until(() => w.partialWrites > 0, 10_000)
      // The precondition: the head frame is half written into this connection.
      const head = (w as unknown as { outbox: { offset: number; bytes: Uint8Array }[] }).outbox[0]!
      expect(head.offset).toBeGreaterThan(0)
      expect(head.offset).toBeLessThan(head.bytes.length)
      const headStart = [...head.bytes.subarray(0, 8)]
      first!.destroy() // unread data is gone, and the connection with it
      await until(() => !w.connected)
      let total = n
      if ("writeDuringOutage" in variant) {
        w.write([tick(T + 1, 10, n)])
        total += 10
      }
      await until(() => w.connected && w.unsent === 0, 15_000)
      await w.stop()
      await until(() => secondClosed, 10_000) // the kernel may still hold the tail when stop() closed
      const bytes = concat(second)
      // Walk the length prefixes: every frame is whole (PROTO 2, EMPTY_LIST, MARK ... APPENDS, STOP), none cut.
      let at = 0
      let frames = 0
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      while (at < bytes.length) {
        expect(at + 4).toBeLessThanOrEqual(bytes.length)
        const size = view.getUint32(at, false)
        expect(size).toBeLessThanOrEqual(1 << 20)
        expect([...bytes.subarray(at + 4, at + 8)]).toEqual([0x80, 2, 0x5d, 0x28])
        expect([...bytes.subarray(at + 4 + size - 2, at + 4 + size)]).toEqual([0x65, 0x2e])
        at += 4 + size
        frames++
      }
      expect(at).toBe(bytes.length)
      // The new connection starts with the frame that was cut, from its length prefix on.
      expect([...bytes.subarray(0, 8)]).toEqual(headStart)
      // What it carries is a run of points ending with the last one written, in order, each once.
      const points = decodePickleFrames(bytes)
      const from = points[0]![2]
      expect(frames).toBeGreaterThan(1)
      expect(points.map((p) => p[2])).toEqual(Array.from({ length: total - from }, (_, i) => from + i))
      expect(points.every((p) => p[0] === `pollect.test.${p[2]}`)).toBe(true)
    }
  }, 60_000)

  itWithTools(["python3"], "frames written longer than resendSeconds before a lost connection are not sent again", async () => {
    const received: Buffer[] = []
    let connection = 0
    const server = net.createServer((socket) => {
      if (connection++ === 0) {
        socket.pause()
        setTimeout(() => socket.destroy(), 1500) // well past the 1 s window of what was written at once
      } else socket.on("data", (chunk: Buffer) => received.push(chunk))
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    const w = writer({ picklePort: port, resendSeconds: 1 })
    w.start()
    w.write([tick(T, 4)])
    await until(() => w.connected && w.unsent === 0)
    await until(() => connection === 2, 5000)
    w.write([tick(T + 1, 1, 4)])
    await until(() => w.connected && w.unsent === 0, 5000)
    await w.stop()
    await new Promise((resolve) => server.close(resolve))
    const decoded = await unpickleFrames(concat(received))
    expect(decoded.points.map((p) => p[2])).toEqual([4])
  })

  it("plaintext: one `path value timestamp` line per point to plaintextPort", async () => {
    const server = sink()
    const w = writer({ plaintextPort: server.port, prefix: "p" })
    w.start()
    w.write([loadAvg(T), resultOf({ neg: -0, big: 1e300, tiny: 0.1 }, { type: "X", time: T + 1 })])
    await w.stop()
    await until(() => server.closed === 1)
    expect(new TextDecoder().decode(server.bytes())).toBe(
      [
        `p.pollect.loadavg.short 0.25 ${T}`,
        `p.pollect.loadavg.mid 0.5 ${T}`,
        `p.pollect.loadavg.long 1 ${T}`,
        `p.pollect.x.neg -0 ${T + 1}`,
        `p.pollect.x.big 1e+300 ${T + 1}`,
        `p.pollect.x.tiny 0.1 ${T + 1}`,
        "",
      ].join("\n"),
    )
  })

  it("with queue: false, stop() with the backend down returns within its bound and counts what it could not send", async () => {
    const metrics = new SelfMetrics()
    const w = writer({ picklePort: freePort(), queue: false }, metrics)
    w.start()
    w.write([tick(T, 7)])
    const started = Date.now()
    await w.stop(1000)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(counter(metrics, "pollect_points_dropped_total")).toBe(7)
  })

  describe("the durable queue (default)", () => {
    itWithTools(["python3"], "an outage beyond bufferSize drops nothing: the points wait on disk and go out in order", async () => {
      const port = freePort()
      const metrics = new SelfMetrics()
      const w = writer({ picklePort: port, bufferSize: 10 }, metrics)
      w.start()
      for (let t = 0; t < 6; t++) w.write([tick(T + t, 5, t * 5)])
      await Bun.sleep(50)
      expect(w.unsent).toBe(30)
      expect(counter(metrics, "pollect_points_dropped_total")).toBe(0)
      expect(
        metrics
          .snapshot()
          .gauges.get("pollect_queue_points")
          ?.get(JSON.stringify({ writer: "Graphite" })),
      ).toBe(30)
      const server = sink(port)
      await until(() => w.connected && w.unsent === 0, 5000)
      w.write([tick(T + 6, 5, 30)]) // after the backlog: straight from memory
      await until(() => w.unsent === 0)
      await w.stop()
      await until(() => server.closed === 1)
      const decoded = await unpickleFrames(server.bytes())
      expect(decoded.points.map((p) => p[2])).toEqual(Array.from({ length: 35 }, (_, i) => i))
    })

    itWithTools(["python3"], "what carbon did not take at stop() is sent by the next start, before anything newer", async () => {
      const port = freePort()
      const stateDir = tempDir("pollect-graphite-queue-")
      const lines: string[] = []
      const log = createLogger({ level: "info", write: (line) => lines.push(line) })
      const first = makeWriter<GraphiteWriter>(GraphiteWriter, { type: "Graphite", host: "127.0.0.1", picklePort: port }, { stateDir, log })
      first.start()
      first.write([tick(T, 4, 0)])
      await first.stop(200)
      expect(lines.some((line) => line.includes("4 point(s) stay queued for the next start"))).toBe(true)

      const server = sink(port)
      const metrics = new SelfMetrics()
      const second = makeWriter<GraphiteWriter>(
        GraphiteWriter,
        { type: "Graphite", host: "127.0.0.1", picklePort: port },
        { stateDir, log, selfMetrics: metrics },
      )
      second.start()
      second.write([tick(T + 1, 2, 4)])
      await until(() => second.unsent === 0, 5000)
      await second.stop()
      await until(() => server.closed === 1)
      const decoded = await unpickleFrames(server.bytes())
      expect(decoded.points.map((p) => p[2])).toEqual([0, 1, 2, 3, 4, 5])
      expect(lines.some((line) => line.includes("4 point(s) queued from before"))).toBe(true)
      expect(counter(metrics, "pollect_points_dropped_total")).toBe(0)
    })

    itWithTools(["python3"], "a SIGKILL during an outage loses nothing that was written", async () => {
      const port = freePort()
      const stateDir = tempDir("pollect-graphite-kill-")
      const script = join(stateDir, "writer.ts")
      writeFileSync(
        script,
        `import { GraphiteWriter } from ${JSON.stringify(join(import.meta.dir, "index.ts"))}
import { silentLogger } from ${JSON.stringify(join(import.meta.dir, "../../core/log.ts"))}
import { SelfMetrics } from ${JSON.stringify(join(import.meta.dir, "../../core/self-metrics.ts"))}
import { ValueSet } from ${JSON.stringify(join(import.meta.dir, "../../core/value-set.ts"))}
const w = new GraphiteWriter({ type: "Graphite", host: "127.0.0.1", picklePort: ${port} } as never,
  { log: silentLogger, stateDir: ${JSON.stringify(stateDir)}, configDir: ${JSON.stringify(stateDir)}, selfMetrics: new SelfMetrics(), once: false })
w.start()
for (let t = 0; t < 50; t++) {
  const set = new ValueSet()
  set.add(t, [], "v")
  w.write([{ id: "s", collection: "pollect", type: "Kill", labels: {}, time: ${T} + t, sets: [set], timeoutSeconds: 10 }])
}
console.log("written")
setInterval(() => {}, 1000)
`,
      )
      const child = Bun.spawn([process.execPath, script], { stdout: "pipe", stderr: "inherit" })
      let said = ""
      for await (const chunk of child.stdout) {
        said += new TextDecoder().decode(chunk)
        if (said.includes("written")) break
      }
      child.kill("SIGKILL")
      await child.exited
      const server = sink(port)
      const w = makeWriter<GraphiteWriter>(GraphiteWriter, { type: "Graphite", host: "127.0.0.1", picklePort: port }, { stateDir })
      w.start()
      await until(() => w.unsent === 0, 5000)
      await w.stop()
      await until(() => server.closed === 1)
      const decoded = await unpickleFrames(server.bytes())
      expect(decoded.points.map((p) => p[2])).toEqual(Array.from({ length: 50 }, (_, i) => i))
    })
  })
})
