/**
 * The Graphite writer as an operator sees it: status(), `unsent`, the self-metrics and the log
 * lines of each connection state (connecting, down, connected again, lost, stopped), the resend
 * window, and what stop() does with what is left. Carbon is a loopback listener.
 */
import { afterEach, describe, expect, it, jest } from "bun:test"
import net from "node:net"
import { existsSync } from "node:fs"
import type { Socket } from "bun"
import type { Logger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { defaultQueueDir } from "../../lib/queue/queue-option.ts"
import { fakeCarbon } from "./fake-carbon.ts"
import { GraphiteWriter, maskUserinfo } from "./index.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { concat, decodePickleFrames } from "../../../test/helpers/python-pickle.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

/** A loopback carbon, stopped after each test. */
function carbon(port = 0) {
  const server = fakeCarbon(port)
  cleanups.push(server.stop)
  return server
}

type Line = [level: "debug" | "info" | "warn" | "error", message: string]

/** A Logger that keeps every message with its level. */
function recorder(lines: Line[]): Logger {
  const log: Logger = {
    debug: (m) => lines.push(["debug", m]),
    info: (m) => lines.push(["info", m]),
    warn: (m) => lines.push(["warn", m]),
    error: (m) => lines.push(["error", m]),
    child: () => log,
  }
  return log
}

function setup(config: Record<string, unknown>, stateDir = tempDir("pollect-graphite-status-")) {
  const lines: Line[] = []
  const metrics = new SelfMetrics()
  const w = makeWriter<GraphiteWriter>(
    GraphiteWriter,
    { type: "Graphite", host: "127.0.0.1", ...config },
    { log: recorder(lines), selfMetrics: metrics, stateDir },
  )
  cleanups.push(() => w.stop(200))
  const series = (kind: "counters" | "gauges", name: string) =>
    metrics
      .snapshot()
      [kind].get(name)
      ?.get(JSON.stringify({ writer: "Graphite" }))
  return {
    w,
    lines,
    stateDir,
    metrics,
    dropped: () => series("counters", "pollect_points_dropped_total") ?? 0,
    gauge: (name: string) => series("gauges", name),
    /** The messages logged at a level, in order. */
    at: (level: Line[0]) => lines.filter(([l]) => l === level).map(([, m]) => m),
  }
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await Bun.sleep(10)
  }
}

const T = 1508478781
/** One tick of `n` points `pollect.test.<i>` with value i. */
const tick = (time: number, n: number, from = 0) => {
  const set = new ValueSet(["i"])
  for (let i = 0; i < n; i++) set.add(from + i, [String(from + i)])
  return resultOf(set, { time })
}

describe("Graphite writer: status, unsent, self-metrics and log lines", () => {
  it("status(): connecting before the first answer, retrying with the error while carbon is down, ok once connected, stopped after stop()", async () => {
    const port = freePort()
    const { w, at } = setup({ picklePort: port, queue: false })
    const detail = `127.0.0.1:${port} (pickle)`
    expect(w.status()).toEqual({ state: "connecting", detail, lastError: undefined })
    w.start()
    expect(w.status()).toEqual({ state: "connecting", detail, lastError: undefined })
    await until(() => w.status().state === "retrying")
    const error = w.status().lastError!
    expect(error).toStartWith("cannot connect: ")
    const reason = error.slice("cannot connect: ".length)
    expect(reason.length).toBeGreaterThan(0)
    // The first failure warns; the retries (0.5 s later, then 1 s) log at debug only.
    expect(at("warn")).toEqual([`${detail}: cannot connect (${reason}); keeping up to 100000 points, retrying`])
    await until(() => at("debug").length >= 1, 5000)
    expect(at("debug")[0]).toBe(`${detail}: cannot connect (${reason}); keeping up to 100000 points, retrying`)
    expect(at("warn")).toHaveLength(1)
    expect(w.connected).toBe(false)

    const server = carbon(port)
    await until(() => w.connected, 10_000)
    // The last problem stays on the status page after the connection is back.
    expect(w.status()).toEqual({ state: "ok", detail, lastError: error })
    expect(w.connections).toBe(1)
    await w.stop(1000)
    expect(w.status()).toEqual({ state: "stopped", detail, lastError: error })
    expect(w.connected).toBe(false)
    await until(() => server.closed === 1)
  })

  it("status().detail names the protocol and the port in use: plaintext when plaintextPort is set", () => {
    const { w } = setup({ plaintextPort: 2003, picklePort: 2004 })
    expect(w.status()).toEqual({ state: "connecting", detail: "127.0.0.1:2003 (plaintext)", lastError: undefined })
    expect(w.target).toBe("127.0.0.1:2003 (plaintext)")
  })

  it("with the queue, a failed connection says the points go to disk", async () => {
    const port = freePort()
    const { w, at } = setup({ plaintextPort: port })
    w.start()
    await until(() => at("warn").length === 1)
    expect(at("warn")[0]).toMatch(
      new RegExp(`^127\\.0\\.0\\.1:${port} \\(plaintext\\): cannot connect \\(.+\\); queueing points on disk, retrying$`),
    )
  })

  it("connected again after an outage: logs what it sends and what was dropped meanwhile; the next drop warns again", async () => {
    const port = freePort()
    const { w, at, dropped } = setup({ picklePort: port, bufferSize: 10, queue: false })
    const target = `127.0.0.1:${port} (pickle)`
    w.start()
    await until(() => w.status().state === "retrying")
    w.write([tick(T, 6)])
    w.write([tick(T + 1, 6, 6)])
    w.write([tick(T + 2, 3, 12)])
    expect(w.unsent).toBe(10)
    expect(dropped()).toBe(5)
    // One warning for the outage's first drop, the rest at debug.
    const drops = (level: Line[0]) => at(level).filter((m) => m.includes("dropped"))
    expect(drops("warn")).toEqual([
      `${target}: dropped 2 point(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
    ])
    expect(drops("debug")).toEqual([`${target}: dropped 3 point(s): the buffer is full`])

    const server = carbon(port)
    await until(() => w.connected && w.unsent === 0)
    expect(at("info")).toEqual([`${target}: connected again; sending 10 buffered point(s), 5 dropped meanwhile`])
    await until(() => server.values().length === 10)
    expect(server.values()).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14])

    // A new episode: its first drop warns again.
    w.write([tick(T + 3, 12, 100)])
    expect(dropped()).toBe(7)
    expect(drops("warn")).toHaveLength(2)
    expect(drops("warn")[1]).toBe(
      `${target}: dropped 2 point(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
    )
    await until(() => w.unsent === 0)

    // A second outage without drops (the 2 dropped while connected were before it): no "dropped meanwhile".
    server.stop()
    await until(() => !w.connected)
    const again = carbon(port)
    await until(() => w.connected && w.unsent === 0)
    // What it sends is the resend window: the last 10 points written.
    expect(at("info")).toEqual([
      `${target}: connected again; sending 10 buffered point(s), 5 dropped meanwhile`,
      `${target}: connected again; sending 10 buffered point(s)`,
    ])
    await until(() => again.values().length === 10)
    expect(again.values()).toEqual([102, 103, 104, 105, 106, 107, 108, 109, 110, 111])
  })

  it("a drop while connected does not silence the next outage: its first drop warns, and only its drops count as meanwhile", async () => {
    const server = carbon()
    const port = server.port
    const target = `127.0.0.1:${port} (pickle)`
    const { w, at, dropped } = setup({ picklePort: port, bufferSize: 10, resendSeconds: 0, queue: false })
    w.start()
    await until(() => w.connected)
    w.write([tick(T, 13)]) // a burst larger than the buffer, while connected
    await until(() => w.unsent === 0)
    server.stop()
    await until(() => !w.connected)
    w.write([tick(T + 1, 8)])
    w.write([tick(T + 2, 4, 8)])
    expect(dropped()).toBe(5)
    const drops = (level: Line[0]) => at(level).filter((m) => m.includes("dropped"))
    expect(drops("warn")).toEqual([
      `${target}: dropped 3 point(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
      `${target}: dropped 2 point(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
    ])
    const again = carbon(port)
    await until(() => w.connected && w.unsent === 0)
    expect(at("info")).toEqual([`${target}: connected again; sending 10 buffered point(s), 2 dropped meanwhile`])
    await until(() => again.values().length === 10)
    expect(again.values()).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
  })

  it("a first connection logs nothing; writes while it is being made do not open another", async () => {
    const server = carbon()
    const { w, lines } = setup({ picklePort: server.port })
    w.start()
    w.write([tick(T, 3)]) // while connecting
    await Bun.sleep(1)
    w.write([tick(T, 2, 3)])
    await until(() => w.connected && w.unsent === 0)
    await until(() => server.values().length === 5)
    await Bun.sleep(50)
    expect(lines).toEqual([])
    expect(server.sockets).toHaveLength(1)
    expect(w.connections).toBe(1)
    expect(server.values()).toEqual([0, 1, 2, 3, 4])
    // Nothing left: stop() says nothing either (no "0 point(s)" line).
    await w.stop(1000)
    expect(lines).toEqual([])
  })

  it("connected with an empty queue, a write goes straight from memory: the queue is not touched", async () => {
    const server = carbon()
    const { w, gauge } = setup({ picklePort: server.port })
    w.start()
    await until(() => w.connected)
    w.write([tick(T, 3)])
    expect(w.unsent).toBe(3)
    expect(gauge("pollect_queue_points")).toBe(0)
    expect(gauge("pollect_queue_bytes")).toBe(0)
    await until(() => w.unsent === 0)
    expect(gauge("pollect_queue_bytes")).toBe(0)
  })

  it("stop() with nothing to send and carbon away does not connect just to close", async () => {
    const port = freePort()
    const { w, lines } = setup({ picklePort: port })
    w.start()
    await until(() => w.status().state === "retrying")
    const server = carbon(port) // back, but the retry is 0.5 s away
    await w.stop(2000)
    await Bun.sleep(200)
    expect(server.sockets).toHaveLength(0)
    expect(w.connections).toBe(0)
    expect(lines.filter(([level]) => level !== "debug")).toHaveLength(1) // the first "cannot connect"
  })

  it("stop() with carbon refusing returns once its last attempt fails, not at its deadline", async () => {
    const { w, dropped } = setup({ picklePort: freePort(), queue: false })
    w.start()
    w.write([tick(T, 3)])
    const started = Date.now()
    await w.stop(30_000)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(dropped()).toBe(3)
  })

  it("a connection attempt refused after stop() logs nothing and leaves no error", async () => {
    const { w, lines } = setup({ picklePort: freePort(), queue: false })
    w.start()
    await w.stop(100) // nothing to send: returns before the attempt is refused
    await Bun.sleep(200)
    expect(lines).toEqual([])
    expect(w.status()).toEqual({ state: "stopped", detail: w.target, lastError: undefined })
  })

  it("maskUserinfo: an empty userinfo is masked too; only a scheme at the start is kept (a password may hold `://`)", () => {
    expect(maskUserinfo("@carbon")).toBe("***@carbon")
    expect(maskUserinfo("user:pa://ss@carbon")).toBe("***@carbon")
    expect(maskUserinfo("tcp://user:pa://ss@carbon")).toBe("tcp://***@carbon")
  })

  it("while carbon is down, writes do not bring the retries forward: attempts follow the backoff", async () => {
    const port = freePort()
    const { w, at } = setup({ picklePort: port, queue: false })
    const started = Date.now()
    w.start()
    for (let i = 0; i < 30; i++) {
      w.write([tick(T + i, 1, i)])
      await Bun.sleep(40)
    }
    const elapsed = Date.now() - started
    const attempts =
      at("warn").filter((m) => m.includes("cannot connect")).length + at("debug").filter((m) => m.includes("cannot connect")).length
    // Attempts at 0, 0.5 s, 1.5 s, 3.5 s, 7.5 s, ...: at most this many fit in the time elapsed.
    let fit = 1
    for (let due = 500, n = 2; due <= elapsed; due += 500 * 2 ** (n - 1), n++) fit++
    expect(attempts).toBeGreaterThanOrEqual(1)
    expect(attempts).toBeLessThanOrEqual(fit)
  })

  it("carbon closing the connection: warns with what is left to send (the resend window included), status retrying with the reason", async () => {
    const server = carbon()
    const target = `127.0.0.1:${server.port} (pickle)`
    const { w, at } = setup({ picklePort: server.port, resendSeconds: 60, queue: false })
    w.start()
    w.write([tick(T, 3)])
    await until(() => w.connected && w.unsent === 0 && w.framesWritten === 1)
    server.sockets[0]!.end() // as carbon does when it stops
    await until(() => !w.connected)
    expect(at("warn")).toEqual([`${target}: carbon closed the connection; reconnecting (3 point(s) to send)`])
    expect(w.status()).toEqual({ state: "retrying", detail: target, lastError: "carbon closed the connection" })
    // The three points written just before are sent again on the next connection.
    expect(w.unsent).toBe(3)
    await until(() => w.connected && w.unsent === 0)
    await until(() => server.values().length === 6)
    expect(server.values()).toEqual([0, 1, 2, 0, 1, 2])
    expect(w.connections).toBe(2)
    expect(w.framesWritten).toBe(2)
    // A second loss resends what the second connection got (the resend), once: not the first window again.
    server.sockets[1]!.end()
    await until(() => !w.connected)
    expect(at("warn")[1]).toBe(`${target}: carbon closed the connection; reconnecting (3 point(s) to send)`)
    await until(() => w.connected && w.unsent === 0)
    await until(() => server.values().length === 9)
    expect(server.values()).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2])
  })

  it("a write into a connection carbon reset before its close event is handled: 'the connection is closed', the frame sent again whole", async () => {
    const server = carbon()
    const { w, at } = setup({ picklePort: server.port, resendSeconds: 0, queue: false })
    const target = `127.0.0.1:${server.port} (pickle)`
    w.start()
    await until(() => w.connected)
    w.write([tick(T, 3)])
    // Carbon resets the connection; stop() flushes at once, in the same turn, before Bun has
    // delivered the end or close event: socket.write() returns -1 into the dead socket.
    server.sockets[0]!.terminate()
    await w.stop(2000)
    expect(at("warn")).toEqual([`${target}: the connection is closed; reconnecting (3 point(s) to send)`])
    expect(w.partialWrites).toBe(0)
    // stop() reconnects at once and sends the frame from its first byte: carbon gets a clean frame.
    expect(w.connections).toBe(2)
    await until(() => server.connections[1]!.length > 0)
    expect(server.connections[0]!.length).toBe(0)
    expect(decodePickleFrames(concat(server.connections[1]!)).map((point) => point[2])).toEqual([0, 1, 2])
  })

  it("the resend window holds at most bufferSize points: the oldest frames go first", async () => {
    const server = carbon()
    const { w, at } = setup({ picklePort: server.port, resendSeconds: 60, bufferSize: 4, queue: false })
    w.start()
    for (let t = 0; t < 3; t++) {
      w.write([tick(T + t, 2, t * 2)])
      await until(() => w.framesWritten === t + 1)
    }
    server.sockets[0]!.end()
    await until(() => !w.connected)
    // Frames of 2, 2 and 2 points: the newest two fill the 4 (all three would make 6).
    expect(at("warn")).toEqual([`127.0.0.1:${server.port} (pickle): carbon closed the connection; reconnecting (4 point(s) to send)`])
    await until(() => w.connected && w.unsent === 0)
    await until(() => server.values().length === 10)
    expect(server.values()).toEqual([0, 1, 2, 3, 4, 5, 2, 3, 4, 5])
  })

  it("a frame replayed from the queue stays in the resend window even when it holds more than bufferSize points", async () => {
    const port = freePort()
    const stateDir = tempDir("pollect-graphite-status-")
    const first = setup({ picklePort: port, bufferSize: 10 }, stateDir)
    first.w.start()
    first.w.write([tick(T, 10)]) // carbon down: one frame of 10 points into the queue
    await first.w.stop(100)
    const server = carbon(port)
    const { w, at } = setup({ picklePort: port, bufferSize: 5, resendSeconds: 60 }, stateDir)
    w.start()
    await until(() => w.connected && w.unsent === 0 && w.framesWritten === 1)
    server.sockets[0]!.end()
    await until(() => !w.connected)
    expect(at("warn")).toEqual([`127.0.0.1:${port} (pickle): carbon closed the connection; reconnecting (10 point(s) to send)`])
    await until(() => w.connected && w.unsent === 0)
    await until(() => server.values().length === 20)
    expect(server.values()).toEqual([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => i)])
  })

  it("every frame written within resendSeconds goes out again, not just the last", async () => {
    const server = carbon()
    const { w } = setup({ picklePort: server.port, resendSeconds: 60, queue: false })
    w.start()
    for (let t = 0; t < 3; t++) {
      w.write([tick(T + t, 2, t * 2)])
      await until(() => w.framesWritten === t + 1)
      await Bun.sleep(20)
    }
    server.sockets[0]!.end()
    await until(() => !w.connected)
    expect(w.unsent).toBe(6)
    await until(() => w.connected && w.unsent === 0)
    await until(() => server.values().length === 12)
    expect(server.values()).toEqual([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
  })

  it("with resendSeconds: 0 nothing is sent again after a lost connection", async () => {
    const server = carbon()
    const { w, at } = setup({ picklePort: server.port, resendSeconds: 0, queue: false })
    w.start()
    w.write([tick(T, 3)])
    await until(() => w.framesWritten === 1)
    server.sockets[0]!.end()
    await until(() => !w.connected)
    expect(w.unsent).toBe(0)
    expect(at("warn")).toEqual([`127.0.0.1:${server.port} (pickle): carbon closed the connection; reconnecting (0 point(s) to send)`])
  })

  it("with queue: false, stop() with carbon down drops what is left, with one warning that names why (even after an earlier drop)", async () => {
    const port = freePort()
    const target = `127.0.0.1:${port} (pickle)`
    const { w, at, dropped } = setup({ picklePort: port, bufferSize: 4, queue: false })
    w.start()
    w.write([tick(T, 6)])
    expect(dropped()).toBe(2)
    await w.stop(300)
    expect(dropped()).toBe(6)
    expect(at("warn").filter((m) => m.includes("dropped"))).toEqual([
      `${target}: dropped 2 point(s): the buffer is full (further drops are counted in pollect_points_dropped_total)`,
      `${target}: dropped 4 point(s): pollect stopped before ${target} took them`,
    ])
    await w.stop(300) // a second stop() counts nothing twice
    expect(dropped()).toBe(6)
    expect(at("warn")).toHaveLength(3)
  })

  it("a write() after stop() is ignored: nothing is buffered, nothing counted", async () => {
    const { w, dropped, metrics } = setup({ picklePort: freePort(), queue: false })
    w.start()
    await w.stop(100)
    w.write([tick(T, 3), resultOf({ bad: NaN })])
    expect(w.unsent).toBe(0)
    expect(dropped()).toBe(0)
    expect(metrics.snapshot().counters.get("pollect_points_invalid_total")).toBeUndefined()
    await Bun.sleep(50)
    expect(w.unsent).toBe(0)
  })

  it("no pollect_points_invalid_total series until a value is not finite", async () => {
    const server = carbon()
    const { w, metrics } = setup({ picklePort: server.port })
    w.start()
    w.write([tick(T, 2)])
    expect(metrics.snapshot().counters.get("pollect_points_invalid_total")).toBeUndefined()
    expect(metrics.snapshot().counters.get("pollect_points_dropped_total")).toBeUndefined()
    w.write([resultOf({ ok: 1, bad: NaN, inf: Infinity })])
    expect(
      metrics
        .snapshot()
        .counters.get("pollect_points_invalid_total")
        ?.get(JSON.stringify({ writer: "Graphite" })),
    ).toBe(2)
  })

  it("stop() with carbon just back connects at once instead of waiting for the backoff, and sends everything", async () => {
    const port = freePort()
    const { w, dropped, at } = setup({ picklePort: port, queue: false })
    w.start()
    // Several failures: the next retry is seconds away.
    await until(() => at("debug").length >= 2, 10_000)
    w.write([tick(T, 5)])
    const server = carbon(port)
    await w.stop(5000)
    expect(dropped()).toBe(0)
    expect(w.unsent).toBe(0)
    await until(() => server.closed === 1)
    expect(server.values()).toEqual([0, 1, 2, 3, 4])
    // Its failures were reset for the last attempt: no "connected again" line for it.
    expect(at("info")).toEqual([])
  })

  it("a point larger than a frame may be is dropped and counted, the others go out", async () => {
    for (const protocol of ["picklePort", "plaintextPort"]) {
      const server = carbon()
      const { w, at, dropped } = setup({ [protocol]: server.port, queue: false })
      const target = `127.0.0.1:${server.port} (${protocol === "picklePort" ? "pickle" : "plaintext"})`
      w.start()
      const huge = resultOf({ ["x".repeat(1_100_000)]: 7 })
      w.write([tick(T, 1), huge, tick(T, 1, 1)])
      await until(() => w.unsent === 0 && w.framesWritten >= 1)
      expect(dropped()).toBe(1)
      expect(at("warn")).toEqual([
        `${target}: dropped 1 point(s): a single point is larger than a frame may be (further drops are counted in pollect_points_dropped_total)`,
      ])
      await w.stop(1000)
      await until(() => server.closed === 1)
      if (protocol === "picklePort") expect(server.values()).toEqual([0, 1])
      else expect(server.text()).toBe(`pollect.test.0 0 ${T}\npollect.test.1 1 ${T}\n`)
    }
  })

  it("a prefix loses every trailing dot and gets exactly one", async () => {
    const server = carbon()
    const { w } = setup({ plaintextPort: server.port, prefix: "servers.web1..." })
    w.start()
    w.write([tick(T, 1)])
    await w.stop(1000)
    await until(() => server.closed === 1)
    expect(server.text()).toBe(`servers.web1.pollect.test.0 0 ${T}\n`)
  })
})

/**
 * A listener that accepts nothing until `accept()`, its accept queue full (one connection of the
 * test's own waits in it): a connection attempt to it gets no answer. `accept(n)` then takes that
 * one and `n` more, and says how many of those `n` came and how many the writer closed (EOF) within 1.5 s.
 */
async function unanswering(): Promise<{ port: number; accept: (writers: number) => Promise<{ accepted: number; closed: number }> }> {
  const script = `
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
print(s.getsockname()[1], flush=True)
want = int(sys.stdin.readline())
conns = []
s.settimeout(0.2)
end = time.time() + 15
while time.time() < end and len(conns) < want:
    try:
        conns.append(s.accept()[0])
    except socket.timeout:
        pass
time.sleep(1.5)
closed = 0
for c in conns:
    c.setblocking(False)
    try:
        if c.recv(1) == b"":
            closed += 1
    except BlockingIOError:
        pass
print(len(conns), closed, flush=True)
time.sleep(60)
`
  const python = Bun.spawn(["python3", "-c", script], { stdin: "pipe", stdout: "pipe" })
  cleanups.push(() => python.kill())
  const reader = python.stdout.getReader()
  let text = ""
  /** The next whole line python printed (reads come in arbitrary chunks). */
  const line = async (): Promise<string> => {
    while (!text.includes("\n")) {
      const { value, done } = await reader.read()
      if (done) throw new Error(`python exited; it said ${JSON.stringify(text)}`)
      text += new TextDecoder().decode(value)
    }
    const end = text.indexOf("\n")
    const got = text.slice(0, end).trim()
    text = text.slice(end + 1)
    return got
  }
  const port = Number(await line())
  const fillers = 1
  for (let i = 0; i < fillers; i++) {
    const filler = net.connect(port, "127.0.0.1")
    filler.on("error", () => {})
    cleanups.push(() => filler.destroy())
  }
  await Bun.sleep(100)
  const accept = async (writers: number) => {
    python.stdin.write(`${fillers + writers}\n`)
    python.stdin.flush()
    const [accepted, closed] = (await line()).split(" ").map(Number)
    return { accepted: accepted! - fillers, closed: closed! }
  }
  return { port, accept }
}

describe("Graphite writer: a connection attempt nobody answers", () => {
  itWithTools(["python3"], "is given up after 10 s (warned once, retried after the backoff, then at debug)", async () => {
    const { port } = await unanswering()
    const { w, at } = setup({ picklePort: port, queue: false })
    const detail = `127.0.0.1:${port} (pickle)`
    const message = `${detail}: cannot connect (no answer within 10 s); keeping up to 100000 points, retrying`
    jest.useFakeTimers()
    try {
      w.start()
      jest.advanceTimersByTime(9_990)
      expect(w.status()).toEqual({ state: "connecting", detail, lastError: undefined })
      jest.advanceTimersByTime(20)
      expect(w.status()).toEqual({ state: "retrying", detail, lastError: "cannot connect: no answer within 10 s" })
      expect(at("warn")).toEqual([message])
      jest.advanceTimersByTime(490) // the retry, 0.5 s later: another attempt, no answer either
      expect(at("debug")).toEqual([])
      jest.advanceTimersByTime(10_020)
      expect(at("debug")).toEqual([message])
      expect(at("warn")).toEqual([message])
      expect(w.connected).toBe(false)
    } finally {
      jest.useRealTimers()
    }
  })

  itWithTools(["python3"], "stop() during it gives up at once; the attempt's timer logs nothing afterwards", async () => {
    const { port } = await unanswering()
    const { w, lines } = setup({ picklePort: port, queue: false })
    jest.useFakeTimers()
    try {
      w.start()
      await w.stop(100)
      jest.advanceTimersByTime(20_000)
      expect(w.status()).toEqual({ state: "stopped", detail: `127.0.0.1:${port} (pickle)`, lastError: undefined })
      expect(lines).toEqual([])
    } finally {
      jest.useRealTimers()
    }
  })
})

describe("Graphite writer: a connection that completes too late", () => {
  itWithTools(["python3"], "after stop() it is closed at once and not counted", async () => {
    const carbon = await unanswering()
    const { w, lines } = setup({ picklePort: carbon.port, queue: false })
    w.start() // the attempt hangs
    await w.stop(100)
    expect(await carbon.accept(1)).toEqual({ accepted: 1, closed: 1 })
    expect(w.connections).toBe(0)
    expect(w.connected).toBe(false)
    expect(lines).toEqual([])
  })

  itWithTools(["python3"], "after its 10 s timeout it is closed at once; the retry's connection is the one used", async () => {
    const carbon = await unanswering()
    const { w } = setup({ picklePort: carbon.port, queue: false })
    jest.useFakeTimers()
    try {
      w.start()
      jest.advanceTimersByTime(10_010) // the first attempt is given up
      jest.advanceTimersByTime(500) // the retry: a second attempt, waiting too
      expect(w.status().state).toBe("retrying")
      // Both complete now: the first (abandoned) is closed, the second kept.
      expect(await carbon.accept(2)).toEqual({ accepted: 2, closed: 1 })
      expect(w.connections).toBe(1)
      expect(w.connected).toBe(true)
    } finally {
      jest.useRealTimers()
    }
  })
})

describe("Graphite writer: the durable queue as seen from outside", () => {
  it("the queue folder is named after host, port and protocol (stable across restarts); its gauges follow what is queued", async () => {
    const port = freePort()
    const { w, stateDir, gauge, at } = setup({ picklePort: port })
    w.start()
    expect(gauge("pollect_queue_points")).toBe(0)
    expect(gauge("pollect_queue_bytes")).toBe(0)
    w.write([tick(T, 4)])
    expect(w.unsent).toBe(4)
    expect(gauge("pollect_queue_points")).toBe(4)
    expect(gauge("pollect_queue_bytes")).toBeGreaterThan(0)
    await w.stop(200)
    expect(at("info")).toEqual([`127.0.0.1:${port} (pickle): 4 point(s) stay queued for the next start`])
    expect(existsSync(defaultQueueDir(stateDir, "Graphite", `127.0.0.1:${port}:pickle`))).toBe(true)

    // The same destination in plaintext is another queue: nothing from before.
    const plain = setup({ plaintextPort: port }, stateDir)
    plain.w.start()
    expect(plain.w.unsent).toBe(0)
    expect(plain.at("info")).toEqual([])
    await plain.w.stop(100)
    expect(existsSync(defaultQueueDir(stateDir, "Graphite", `127.0.0.1:${port}:plaintext`))).toBe(true)

    // The next start in pickle finds the four points, reports them, and sends them once carbon answers.
    const next = setup({ picklePort: port }, stateDir)
    next.w.start()
    expect(next.w.unsent).toBe(4)
    expect(next.gauge("pollect_queue_points")).toBe(4)
    expect(next.at("info")).toEqual([`127.0.0.1:${port} (pickle): 4 point(s) queued from before; sending them first`])
    const server = carbon(port)
    await until(() => next.w.connected && next.w.unsent === 0)
    expect(next.gauge("pollect_queue_points")).toBe(0)
    await until(() => server.values().length === 4)
    expect(server.values()).toEqual([0, 1, 2, 3])
  })

  it("frames waiting to be sent again when pollect stops join the queue for the next start", async () => {
    const server = carbon()
    const port = server.port
    const { w, at, stateDir, dropped } = setup({ picklePort: port, resendSeconds: 60 })
    w.start()
    w.write([tick(T, 3)])
    await until(() => w.framesWritten === 1)
    server.stop() // carbon goes away: what it had is lost to both sides
    await until(() => !w.connected)
    expect(w.unsent).toBe(3)
    await w.stop(300)
    expect(dropped()).toBe(0)
    expect(at("info")).toEqual([`127.0.0.1:${port} (pickle): 3 point(s) stay queued for the next start`])

    const next = setup({ picklePort: port }, stateDir)
    const again = carbon(port)
    next.w.start()
    await until(() => next.w.connected && next.w.unsent === 0)
    await until(() => again.values().length === 3)
    expect(again.values()).toEqual([0, 1, 2])
  })

  it("a queued frame half written into a stalled connection is counted once; points written during the replay queue behind it; all go out after a loss", async () => {
    const port = freePort()
    const { w, gauge, at, dropped } = setup({ picklePort: port, bufferSize: 1000, resendSeconds: 0 })
    w.start()
    await until(() => w.status().state === "retrying")
    const n = 150_000 // about 7 MB in frames of 1000 points, into the queue while carbon is down
    for (let i = 0; i < n; i += 1000) w.write([tick(T, 1000, i)])
    expect(w.unsent).toBe(n)
    expect(gauge("pollect_queue_points")).toBe(n)
    // Carbon comes back but reads a little, then nothing: the head frame, read from the queue, is half written.
    const received: Uint8Array[] = []
    let first: Socket<undefined> | undefined
    let reading = true
    const listener = Bun.listen<undefined>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          if (!first) first = socket
        },
        data(socket, chunk) {
          if (socket !== first) received.push(new Uint8Array(chunk))
          else if (reading) {
            reading = false
            socket.pause()
          }
        },
      },
    })
    cleanups.push(() => listener.stop(true))
    await until(() => w.partialWrites > 0, 20_000)
    // What is queued (acknowledged frames gone) is what is left: the half-written head is in it, once.
    const queued = gauge("pollect_queue_points")!
    expect(queued).toBeGreaterThan(0)
    expect(queued).toBeLessThan(n)
    expect(w.unsent).toBe(queued)
    // Connected, but a backlog still goes out: new points queue behind it (on disk, not in the 1000-point buffer).
    w.write([tick(T + 1, 800, n)])
    w.write([tick(T + 2, 800, n + 800)])
    expect(dropped()).toBe(0)
    expect(gauge("pollect_queue_points")).toBe(queued + 1600)
    expect(w.unsent).toBe(queued + 1600)
    first!.terminate()
    await until(() => !w.connected)
    const lost = at("warn").filter((m) => m.includes("reconnecting"))
    expect(lost).toHaveLength(1)
    expect(lost[0]).toEndWith(`; reconnecting (${queued + 1600} point(s) to send)`)
    await until(() => w.connected && w.unsent === 0, 20_000)
    await w.stop(5000)
    const total = queued + 1600
    await until(() => decodePickleFrames(concat(received)).length === total, 20_000)
    const values = decodePickleFrames(concat(received)).map((p) => p[2])
    expect(values).toEqual(Array.from({ length: total }, (_, i) => n + 1600 - total + i))
    expect(dropped()).toBe(0)
  }, 60_000)

  it("stop() against a carbon that reads nothing gives up at its deadline; the rest (the half-written frame first) stays queued for the next start", async () => {
    // The head frame comes from memory (carbon was up), or from the queue (carbon was down first).
    for (const downFirst of [false, true]) {
      const stateDir = tempDir("pollect-graphite-status-")
      const received: Uint8Array[] = []
      let first: Socket<undefined> | undefined
      const port = freePort()
      const listen = () => {
        const listener = Bun.listen<undefined>({
          hostname: "127.0.0.1",
          port,
          socket: {
            open(socket) {
              if (!first) {
                first = socket
                socket.pause() // reads nothing: the buffers fill
              }
            },
            data(socket, chunk) {
              if (socket !== first) received.push(new Uint8Array(chunk))
            },
          },
        })
        cleanups.push(() => listener.stop(true))
      }
      const { w, at, dropped } = setup({ picklePort: port, bufferSize: 300_000, resendSeconds: 0 }, stateDir)
      const n = 150_000
      if (!downFirst) listen()
      w.start()
      if (downFirst) {
        await until(() => w.status().state === "retrying")
        for (let i = 0; i < n; i += 1000) w.write([tick(T, 1000, i)])
        listen()
      } else {
        await until(() => w.connected)
        w.write([tick(T, n)])
      }
      await until(() => w.partialWrites > 0, 20_000)
      expect(w.unsent).toBeGreaterThan(0)
      await w.stop(300)
      expect(dropped()).toBe(0)
      const stay = at("info").filter((m) => m.includes("stay queued"))
      expect(stay).toHaveLength(1)
      const said = new RegExp(`^127\\.0\\.0\\.1:${port} \\(pickle\\): (\\d+) point\\(s\\) stay queued for the next start$`).exec(stay[0]!)
      const left = Number(said?.[1])
      expect(left).toBeGreaterThan(0)
      expect(left).toBeLessThan(n)

      // The next start sends them, from the frame that was cut, in order, each once, before anything newer.
      const next = setup({ picklePort: port, bufferSize: 300_000 }, stateDir)
      expect(next.w.unsent).toBe(0)
      next.w.start()
      expect(next.w.unsent).toBe(left)
      await until(() => next.w.connected)
      next.w.write([tick(T + 1, 3, n)])
      await until(() => next.w.unsent === 0, 20_000)
      await next.w.stop(5000)
      await until(() => decodePickleFrames(concat(received)).length >= left + 3, 20_000)
      const values = decodePickleFrames(concat(received)).map((p) => p[2])
      expect(values).toEqual(Array.from({ length: left + 3 }, (_, i) => n - left + i))
      for (const cleanup of cleanups.splice(0)) await cleanup()
    }
  }, 60_000)

  it("a connection lost while stop() drains is reopened at once, without the backoff", async () => {
    const received: Uint8Array[] = []
    let first: Socket<undefined> | undefined
    let secondClosed = false
    const listener = Bun.listen<undefined>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          if (!first) {
            first = socket
            socket.pause()
          }
        },
        data(socket, chunk) {
          if (socket !== first) received.push(new Uint8Array(chunk))
        },
        close(socket) {
          if (socket !== first) secondClosed = true
        },
      },
    })
    cleanups.push(() => listener.stop(true))
    const { w, dropped } = setup({ picklePort: listener.port, bufferSize: 300_000, resendSeconds: 0, queue: false })
    w.start()
    await until(() => w.connected)
    const n = 150_000
    w.write([tick(T, n)])
    await until(() => w.partialWrites > 0, 20_000)
    const stopping = w.stop(20_000)
    await Bun.sleep(100)
    first!.terminate() // what it held is gone; the writer reconnects within stop() and sends the rest
    await stopping
    expect(dropped()).toBe(0)
    expect(w.connections).toBe(2)
    await until(() => secondClosed, 20_000)
    const values = decodePickleFrames(concat(received)).map((p) => p[2])
    expect(values.length).toBeGreaterThan(0)
    expect(values).toEqual(Array.from({ length: values.length }, (_, i) => n - values.length + i))
  }, 60_000)

  it("start() twice opens the queue once", async () => {
    const port = freePort()
    const { w, at } = setup({ picklePort: port })
    w.start()
    w.write([tick(T, 2)])
    w.start()
    expect(w.unsent).toBe(2)
    expect(at("info")).toEqual([])
  })
})
