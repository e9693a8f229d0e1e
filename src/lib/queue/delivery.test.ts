import { afterEach, describe, expect, it } from "bun:test"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { Delivery, type DeliveryOptions, httpOutcome, retryAfterMs, retryDelayMs, type SendOutcome } from "./delivery.ts"
import { DurableQueue } from "./durable-queue.ts"
import { MemoryQueue } from "./memory-queue.ts"
import type { BatchQueue } from "./batch-queue.ts"

/** A loopback store whose answers the test scripts: each request takes the next status (then 204s). */
function store(statuses: (number | [number, Record<string, string>])[] = []) {
  const bodies: string[] = []
  const times: number[] = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const body = await request.text()
      times.push(Date.now())
      const next = statuses.shift() ?? 204
      const [status, headers] = typeof next === "number" ? [next, {}] : next
      if (status < 300) bodies.push(body)
      return new Response(status < 300 ? null : `store says ${status}`, { status, headers })
    },
  })
  return { url: `http://127.0.0.1:${server.port}/write`, bodies, times, port: server.port, stop: () => server.stop(true) }
}

function delivery(queue: BatchQueue, url: string) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const d = new Delivery({
    writer: "Test",
    target: url,
    queue,
    log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    selfMetrics,
    backoff: { minMs: 20, maxMs: 100 },
    timeoutMs: 2000,
    send: async (payload, signal) => httpOutcome(await fetch(url, { method: "POST", body: payload, signal })),
  })
  const counter = (name: string) =>
    selfMetrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "Test" })) ?? 0
  const gauge = (name: string) =>
    selfMetrics
      .snapshot()
      .gauges.get(name)
      ?.get(JSON.stringify({ writer: "Test" }))
  return { d, lines, counter, gauge, level: (level: string) => lines.filter((l) => l.includes(` ${level.toUpperCase()} `)) }
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await Bun.sleep(10)
  return check()
}

const enc = (s: string) => new TextEncoder().encode(s)
const stops: (() => unknown)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

describe("Delivery", () => {
  it("sends batches oldest first, one at a time, and counts the points sent", async () => {
    const s = store()
    stops.push(s.stop)
    const { d, counter, gauge } = delivery(new MemoryQueue({ maxBytes: 1 << 20 }), s.url)
    for (let i = 0; i < 20; i++) d.enqueue(enc(`b${i}`), 3)
    expect(await until(() => s.bodies.length === 20)).toBe(true)
    expect(s.bodies).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`))
    // The store has the last body before its answer reaches the sender: wait for the count.
    await until(() => counter("pollect_points_sent_total") === 60)
    expect(counter("pollect_points_sent_total")).toBe(60)
    await until(() => gauge("pollect_queue_points") === 0)
    expect(gauge("pollect_queue_points")).toBe(0)
    await d.stop()
  })

  it("retries 503 after the server's Retry-After, with the same batch, and keeps the order", async () => {
    const s = store([[503, { "retry-after": "1" }]])
    stops.push(s.stop)
    const { d, counter, level } = delivery(new MemoryQueue({ maxBytes: 1 << 20 }), s.url)
    d.enqueue(enc("first"), 1)
    d.enqueue(enc("second"), 1)
    expect(await until(() => s.bodies.length === 2)).toBe(true)
    expect(s.bodies).toEqual(["first", "second"])
    expect((s.times[1] as number) - (s.times[0] as number)).toBeGreaterThanOrEqual(950)
    expect(counter("pollect_push_retries_total")).toBe(1)
    expect(level("warn")).toHaveLength(1)
    expect(level("warn")[0]).toContain("HTTP 503: store says 503")
    await d.stop()
  })

  it("drops a batch the store rejects (400), counts it, logs the reason once, and goes on", async () => {
    const s = store([400, 400, 400])
    stops.push(s.stop)
    const { d, counter, level } = delivery(new MemoryQueue({ maxBytes: 1 << 20 }), s.url)
    for (let i = 0; i < 4; i++) d.enqueue(enc(`b${i}`), 2)
    expect(await until(() => s.bodies.length === 1)).toBe(true)
    expect(s.bodies).toEqual(["b3"])
    expect(counter("pollect_points_dropped_total")).toBe(6)
    expect(level("error")).toHaveLength(1)
    expect(level("error")[0]).toContain("rejected 2 point(s): HTTP 400")
    await d.stop()
  })

  it("while the store is down nothing is lost; once it is back everything arrives in order", async () => {
    const s = store()
    const port = s.port
    s.stop()
    const { d, lines } = delivery(new MemoryQueue({ maxBytes: 1 << 20 }), `http://127.0.0.1:${port}/write`)
    for (let i = 0; i < 5; i++) d.enqueue(enc(`b${i}`), 1)
    await Bun.sleep(150)
    const bodies: string[] = []
    const back = Bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch: async (request) => (bodies.push(await request.text()), new Response(null, { status: 204 })),
    })
    stops.push(() => back.stop(true))
    for (let i = 5; i < 8; i++) d.enqueue(enc(`b${i}`), 1)
    expect(await until(() => bodies.length === 8)).toBe(true)
    expect(bodies).toEqual(Array.from({ length: 8 }, (_, i) => `b${i}`))
    expect(lines.filter((l) => l.includes(" WARN "))).toHaveLength(1) // one line per outage, not per retry
    expect(lines.some((l) => l.includes("the store answers again"))).toBe(true)
    await d.stop()
  })

  it("on disk: what the store did not take stays queued across a restart and is sent first", async () => {
    const dir = tempDir("pollect-delivery-")
    const s = store()
    const port = s.port
    s.stop()
    const first = delivery(DurableQueue.open({ dir, maxBytes: 1 << 20 }), `http://127.0.0.1:${port}/write`)
    for (let i = 0; i < 3; i++) first.d.enqueue(enc(`old${i}`), 1)
    await first.d.stop(200)
    expect(first.lines.some((l) => l.includes("3 point(s) stay queued for the next start"))).toBe(true)
    expect(first.counter("pollect_points_dropped_total")).toBe(0)

    const bodies: string[] = []
    const back = Bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch: async (request) => (bodies.push(await request.text()), new Response(null, { status: 204 })),
    })
    stops.push(() => back.stop(true))
    const second = delivery(DurableQueue.open({ dir, maxBytes: 1 << 20 }), `http://127.0.0.1:${port}/write`)
    second.d.enqueue(enc("new"), 1)
    expect(await until(() => bodies.length === 4)).toBe(true)
    expect(bodies).toEqual(["old0", "old1", "old2", "new"])
    expect(second.lines.some((l) => l.includes("queued from before"))).toBe(true)
    await second.d.stop()
  })

  it("in memory: what is left at stop() is counted as dropped", async () => {
    const s = store()
    const port = s.port
    s.stop()
    const { d, counter } = delivery(new MemoryQueue({ maxBytes: 1 << 20 }), `http://127.0.0.1:${port}/write`)
    d.enqueue(enc("x"), 4)
    await until(() => counter("pollect_push_retries_total") > 0)
    await d.stop(100)
    expect(counter("pollect_points_dropped_total")).toBe(4)
  })

  it("a store that never answers is given up on at the timeout, and stop() does not hang", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
    stops.push(() => silent.stop(true))
    const { d, lines } = delivery(new MemoryQueue({ maxBytes: 1 << 20 }), `http://127.0.0.1:${silent.port}/write`)
    d.enqueue(enc("x"), 1)
    expect(await until(() => lines.some((l) => l.includes("no answer within 2.0 s")), 5000)).toBe(true)
    const started = Date.now()
    await d.stop(300)
    expect(Date.now() - started).toBeLessThan(1500)
  })
})

describe("Retry-After", () => {
  it("reads delta-seconds and HTTP dates, and ignores garbage", () => {
    const now = Date.parse("2026-12-01T00:00:00Z")
    expect(retryAfterMs("7", now)).toBe(7000)
    expect(retryAfterMs("Tue, 01 Dec 2026 00:00:30 GMT", now)).toBe(30_000)
    expect(retryAfterMs("soon", now)).toBeUndefined()
    expect(retryAfterMs(null, now)).toBeUndefined()
  })
})

describe("httpOutcome", () => {
  const answer = (status: number, body: ConstructorParameters<typeof Response>[0] = null, headers: Record<string, string> = {}) =>
    new Response(body, { status, headers })

  it("2xx is accepted; 429 and every 5xx (500 included) are retried; other statuses are rejected", async () => {
    expect(await httpOutcome(answer(200, "ok"))).toEqual({ ok: true })
    expect(await httpOutcome(answer(204))).toEqual({ ok: true })
    for (const status of [429, 500, 502, 503, 599]) expect(await httpOutcome(answer(status))).toMatchObject({ ok: false, retry: true })
    for (const status of [400, 401, 404, 413, 499]) expect(await httpOutcome(answer(status))).toMatchObject({ ok: false, retry: false })
    const now = Date.parse("2026-12-01T00:00:00Z")
    expect(await httpOutcome(answer(429, null, { "retry-after": "12" }), now)).toMatchObject({ retry: true, afterMs: 12_000 })
  })

  it("the reason is the status and the body's first 300 characters, on one line", async () => {
    expect(await httpOutcome(answer(400, "bad\n  line\tprotocol"))).toEqual({ ok: false, retry: false, why: "HTTP 400: bad line protocol" })
    expect(await httpOutcome(answer(400))).toEqual({ ok: false, retry: false, why: "HTTP 400" })
    const long = (await httpOutcome(answer(400, "x".repeat(1000)))) as { why: string }
    expect(long.why).toBe(`HTTP 400: ${"x".repeat(300)}…`)
  })

  it("a body that never ends is read only a few KiB into", async () => {
    let pulled = 0
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++
        controller.enqueue(new TextEncoder().encode("y".repeat(100)))
      },
    })
    const outcome = (await httpOutcome(answer(400, endless))) as { why: string }
    expect(outcome.why).toBe(`HTTP 400: ${"y".repeat(300)}…`)
    expect(pulled).toBeLessThan(100)
  }, 3000)
})

describe("retryDelayMs", () => {
  const backoff = { minMs: 1000, maxMs: 60_000 }
  it("doubles from minMs up to maxMs, with ±25 % jitter", () => {
    expect([1, 2, 3, 7, 8, 30, 1000].map((n) => retryDelayMs(n, backoff, undefined, () => 0.5))).toEqual([
      1000, 2000, 4000, 60_000, 60_000, 60_000, 60_000,
    ])
    expect(retryDelayMs(3, backoff, undefined, () => 0)).toBe(3000)
    expect(retryDelayMs(3, backoff, undefined, () => 0.999999)).toBeCloseTo(5000, 0)
  })
  it("takes the server's Retry-After, at least minMs and at most 5 minutes (or maxMs when longer)", () => {
    expect(retryDelayMs(1, backoff, 12_000)).toBe(12_000)
    expect(retryDelayMs(1, backoff, 0)).toBe(1000)
    expect(retryDelayMs(1, backoff, 86_400_000)).toBe(300_000)
    expect(retryDelayMs(1, { minMs: 1000, maxMs: 600_000 }, 86_400_000)).toBe(600_000)
    expect(retryDelayMs(2, backoff, Number.NaN, () => 0.5)).toBe(2000)
  })
})

it("Retry-After as a date in the past is 0, never negative", () => {
  const now = Date.parse("2026-12-01T00:00:00Z")
  expect(retryAfterMs("Mon, 30 Nov 2026 23:59:00 GMT", now)).toBe(0)
})

/**
 * A Delivery whose send answers from a script (no network): each call takes the next outcome (then ok);
 * a promise is an answer the test gives later.
 */
function scripted(
  queue: BatchQueue,
  outcomes: (SendOutcome | Error | "hang" | Promise<SendOutcome>)[] = [],
  extra: Partial<DeliveryOptions> = {},
) {
  const lines: string[] = []
  const sent: string[] = []
  const selfMetrics = new SelfMetrics()
  const d = new Delivery({
    writer: "Test",
    target: "store",
    queue,
    log: createLogger({ level: "debug", write: (line) => lines.push(line.replace(/^\S+ /, "")) }),
    selfMetrics,
    backoff: { minMs: 10, maxMs: 40 },
    send: async (payload, signal) => {
      sent.push(new TextDecoder().decode(payload))
      const next = outcomes.shift() ?? { ok: true }
      if (next === "hang")
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")), { once: true }))
      if (next instanceof Error) throw next
      return next
    },
    ...extra,
  })
  const counter = (name: string) =>
    selfMetrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "Test" })) ?? 0
  const gauge = (name: string) =>
    selfMetrics
      .snapshot()
      .gauges.get(name)
      ?.get(JSON.stringify({ writer: "Test" }))
  return { d, lines, sent, counter, gauge }
}

const retry = (why: string, afterMs?: number): SendOutcome => ({ ok: false, retry: true, why, afterMs })
const reject = (why: string): SendOutcome => ({ ok: false, retry: false, why })

describe("Delivery, scripted", () => {
  it("status: ok, then retrying with the last answer while the store fails, ok again, stopped after stop()", async () => {
    const { d, sent } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [retry("HTTP 503", 500), retry("HTTP 502")])
    expect(d.status()).toEqual({ state: "ok", detail: "store", lastError: undefined })
    expect(d.pending).toBe(false)
    d.enqueue(enc("a"), 1)
    expect(d.pending).toBe(true)
    expect(await until(() => sent.length === 1)).toBe(true)
    await until(() => d.status().state === "retrying")
    expect(d.status()).toEqual({ state: "retrying", detail: "store", lastError: "HTTP 503" })
    expect(await until(() => sent.length === 3 && !d.pending)).toBe(true)
    expect(d.status()).toEqual({ state: "ok", detail: "store", lastError: "HTTP 502" })
    await d.stop()
    expect(d.status()).toEqual({ state: "stopped", detail: "store" })
  })

  it("the first failure of an outage is a warning with the retry delay, the next ones debug; recovery says how much is left", async () => {
    const { d, lines, sent, counter } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [retry("HTTP 503", 20), retry("HTTP 503", 20)])
    d.enqueue(enc("a"), 3)
    d.enqueue(enc("b"), 4)
    expect(await until(() => sent.length === 4)).toBe(true)
    await until(() => counter("pollect_points_sent_total") === 7)
    expect(sent).toEqual(["a", "a", "a", "b"])
    expect(lines.filter((l) => !l.startsWith("DEBUG") || l.includes("retrying"))).toEqual([
      "WARN  store: HTTP 503; 7 point(s) queued, retrying in 0.0 s",
      "DEBUG store: HTTP 503; 7 point(s) queued, retrying in 0.0 s",
      "INFO  store: the store answers again; 4 queued point(s) left to send",
    ])
    expect(counter("pollect_push_retries_total")).toBe(2)
    await d.stop()
  })

  it("the retry delay is the backoff's, doubling, or the server's Retry-After", async () => {
    const { d, lines, sent } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [retry("a", 1500)], {
      backoff: { minMs: 1000, maxMs: 60_000 },
    })
    d.enqueue(enc("x"), 1)
    expect(await until(() => lines.some((l) => l.includes("retrying")))).toBe(true)
    expect(lines.find((l) => l.includes("retrying"))).toBe("WARN  store: a; 1 point(s) queued, retrying in 1.5 s")
    expect(sent).toEqual(["x"])
    await d.stop(50)
  })

  it("a throw of send is a retry with its message; a send past timeoutMs is aborted and says so", async () => {
    const { d, lines, sent } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [new Error("ECONNREFUSED"), "hang"], { timeoutMs: 50 })
    d.enqueue(enc("x"), 1)
    expect(await until(() => sent.length === 3)).toBe(true)
    const warnings = lines.filter((l) => l.includes("retrying"))
    expect(warnings[0]).toStartWith("WARN  store: ECONNREFUSED; 1 point(s) queued")
    expect(warnings[1]).toStartWith("DEBUG store: no answer within 0.1 s; 1 point(s) queued")
    await d.stop()
  })

  it("the default timeout is 10 s", async () => {
    const { d, lines } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [new Error("x")])
    d.enqueue(enc("x"), 1)
    await until(() => lines.some((l) => l.includes("retrying")))
    await d.stop()
    const { d: hung, lines: hungLines } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), ["hang"])
    hung.enqueue(enc("x"), 1)
    await Bun.sleep(20)
    await hung.stop(30) // aborts the send: a retry that says the default timeout
    expect(hungLines.some((l) => l.includes("no answer within 10.0 s"))).toBe(true)
  })

  it("a rejected batch is acknowledged, counted as dropped, logged once per reason (32 reasons at most), and sets lastError", async () => {
    const outcomes = [reject("bad"), reject("bad"), ...Array.from({ length: 40 }, (_, i) => reject(`r${i}`))]
    const { d, lines, sent, counter, gauge } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), outcomes)
    for (let i = 0; i < 43; i++) d.enqueue(enc(`b${i}`), 2)
    expect(await until(() => sent.length === 43)).toBe(true)
    await until(() => counter("pollect_points_sent_total") === 2)
    expect(counter("pollect_points_dropped_total")).toBe(84)
    const errors = lines.filter((l) => l.startsWith("ERROR"))
    expect(errors).toHaveLength(32)
    expect(errors[0]).toBe("ERROR store: the store rejected 2 point(s): bad (not retried; counted in pollect_points_dropped_total)")
    expect(errors.at(-1)).toContain(": r30 (")
    expect(lines).toContain("DEBUG store: dropped 2 point(s): r39")
    expect(d.status()).toEqual({ state: "ok", detail: "store", lastError: "rejected: r39" })
    expect(gauge("pollect_queue_points")).toBe(0)
    expect(gauge("pollect_queue_bytes")).toBe(0)
    await d.stop()
  })

  it("reports the queue's bytes and points as gauges at construction and on enqueue", async () => {
    const queue = new MemoryQueue({ maxBytes: 1 << 20 })
    const { d, gauge } = scripted(queue, ["hang"])
    expect(gauge("pollect_queue_bytes")).toBe(0)
    expect(gauge("pollect_queue_points")).toBe(0)
    d.enqueue(enc("abcd"), 5)
    expect(gauge("pollect_queue_bytes")).toBe(4)
    expect(gauge("pollect_queue_points")).toBe(5)
    await d.stop(20)
  })

  it("what a previous run left is announced and sent first, before anything is enqueued", async () => {
    const queue = new MemoryQueue({ maxBytes: 1 << 20 })
    queue.append(enc("old1"), 2)
    queue.append(enc("old2"), 3)
    const { d, lines, sent } = scripted(queue)
    expect(lines).toContain("INFO  store: 5 point(s) in 2 batch(es) queued from before; sending them first")
    expect(await until(() => sent.length === 2)).toBe(true)
    expect(sent).toEqual(["old1", "old2"])
    await d.stop()
    const { lines: none } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }))
    expect(none.filter((l) => l.includes("queued from before"))).toEqual([])
  })

  it("after stop() enqueue is ignored, stop() again returns at once, and the queue is closed", async () => {
    const queue = new MemoryQueue({ maxBytes: 1 << 20 })
    let closed = 0
    queue.close = () => void closed++
    const { d, sent } = scripted(queue)
    await d.stop()
    d.enqueue(enc("late"), 1)
    await Bun.sleep(20)
    expect(sent).toEqual([])
    expect(queue.stats().batches).toBe(0)
    await d.stop()
    expect(closed).toBe(1)
  })

  it("stop() waits for the batch in flight and the rest of the queue, within the grace period", async () => {
    let release = () => {}
    const queue = new MemoryQueue({ maxBytes: 1 << 20 })
    const sent: string[] = []
    const d = new Delivery({
      writer: "Test",
      target: "store",
      queue,
      log: createLogger({ level: "debug", write: () => {} }),
      selfMetrics: new SelfMetrics(),
      send: async (payload) => {
        sent.push(new TextDecoder().decode(payload))
        if (sent.length === 1) await new Promise<void>((resolve) => (release = resolve))
        return { ok: true }
      },
    })
    d.enqueue(enc("a"), 1)
    d.enqueue(enc("b"), 1)
    const stopping = d.stop(10_000)
    await Bun.sleep(20)
    release()
    await stopping
    expect(sent).toEqual(["a", "b"])
    expect(queue.stats().batches).toBe(0)
  })

  it("stop() during a retried send that the store then rejects goes on with the rest: the store answers again", async () => {
    const { promise: answer, resolve } = Promise.withResolvers<SendOutcome>()
    const queue = new MemoryQueue({ maxBytes: 1 << 20 })
    const { d, sent, counter } = scripted(queue, [retry("HTTP 503"), answer])
    d.enqueue(enc("a"), 1)
    d.enqueue(enc("b"), 2)
    expect(await until(() => sent.length === 2)).toBe(true) // the retry of "a" is in flight
    const stopping = d.stop(10_000)
    resolve(reject("HTTP 400"))
    await stopping
    expect(sent).toEqual(["a", "a", "b"])
    expect(queue.stats().batches).toBe(0)
    expect(counter("pollect_points_sent_total")).toBe(2)
  })

  it("stop() of a memory queue while the store is down counts the rest as dropped, and sends nothing more", async () => {
    const { d, sent, counter, lines } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [retry("down"), retry("down")], {
      backoff: { minMs: 10_000, maxMs: 10_000 },
    })
    d.enqueue(enc("a"), 2)
    d.enqueue(enc("b"), 3)
    expect(await until(() => lines.some((l) => l.includes("retrying")))).toBe(true)
    await d.stop(50)
    expect(sent).toEqual(["a"])
    expect(counter("pollect_points_dropped_total")).toBe(5)
    expect(lines).toContain("DEBUG store: dropped 5 point(s): pollect stopped before the store took them (2 batch(es))")
  })

  it("stop() with a failure during the last pass ends the pass (no retry timer left behind)", async () => {
    const { d, sent } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [retry("down")])
    const queue = (d as unknown as { options: DeliveryOptions }).options.queue
    queue.append(enc("a"), 1) // queued behind the loop's back: stop() makes the one more pass
    queue.append(enc("b"), 1)
    await d.stop(1000)
    expect(sent).toEqual(["a"])
    await Bun.sleep(50)
    expect(sent).toEqual(["a"])
  })

  it("stop() makes one more pass over what is queued while nothing runs", async () => {
    const { d, sent } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }))
    const queue = (d as unknown as { options: DeliveryOptions }).options.queue
    queue.append(enc("a"), 1)
    queue.append(enc("b"), 1)
    await d.stop(1000)
    expect(sent).toEqual(["a", "b"])
  })

  it("a durable queue's rest stays queued at stop(), logged, not dropped", async () => {
    const dir = tempDir("pollect-delivery-")
    const { d, counter, lines } = scripted(DurableQueue.open({ dir, maxBytes: 1 << 20 }), [retry("down")], {
      backoff: { minMs: 10_000, maxMs: 10_000 },
    })
    d.enqueue(enc("a"), 6)
    expect(await until(() => lines.some((l) => l.includes("retrying")))).toBe(true)
    await d.stop(50)
    expect(counter("pollect_points_dropped_total")).toBe(0)
    expect(lines).toContain("INFO  store: 6 point(s) stay queued for the next start")
  })
})

describe("retryAfterMs, edges", () => {
  const now = Date.parse("2026-12-01T00:00:00Z")
  it("delta-seconds of up to 9 digits, spaces trimmed; an empty header is absent", () => {
    expect(retryAfterMs(" 7 ", now)).toBe(7000)
    expect(retryAfterMs("0", now)).toBe(0)
    expect(retryAfterMs("999999999", now)).toBe(999_999_999_000)
    expect(retryAfterMs("", now)).toBeUndefined()
    expect(retryAfterMs("1.5", now)).not.toBe(1500)
    expect(retryAfterMs("7 s", now)).toBeUndefined()
    expect(retryAfterMs("Tue, 01 Dec 2026 00:00:30 GMT", now + 10_000)).toBe(20_000)
  })
})

describe("retryDelayMs, edges", () => {
  it("the doubling stops at 2^20 × minMs even with no maxMs in sight; an infinite Retry-After is ignored", () => {
    const open = { minMs: 1, maxMs: Number.POSITIVE_INFINITY }
    expect(retryDelayMs(21, open, undefined, () => 0.5)).toBe(2 ** 20)
    expect(retryDelayMs(40, open, undefined, () => 0.5)).toBe(2 ** 20)
    expect(retryDelayMs(20, open, undefined, () => 0.5)).toBe(2 ** 19)
    expect(retryDelayMs(2, { minMs: 1000, maxMs: 60_000 }, Number.POSITIVE_INFINITY, () => 0.5)).toBe(2000)
    expect(retryDelayMs(1, { minMs: 1000, maxMs: 60_000 }, 299_999)).toBe(299_999)
  })
})

describe("Delivery, defaults", () => {
  it("the default backoff starts at 1 s (±25 %); an empty durable queue says nothing at stop()", async () => {
    const { d, lines } = scripted(new MemoryQueue({ maxBytes: 1 << 20 }), [retry("down")], { backoff: undefined })
    d.enqueue(enc("x"), 1)
    expect(await until(() => lines.some((l) => l.includes("retrying")))).toBe(true)
    expect(lines.find((l) => l.includes("retrying"))).toMatch(/retrying in (0\.[89]|1\.[0-3]) s$/)
    await d.stop(20)
    const empty = scripted(DurableQueue.open({ dir: tempDir("pollect-delivery-"), maxBytes: 1 << 20 }))
    await empty.d.stop()
    expect(empty.lines.filter((l) => l.includes("stay queued"))).toEqual([])
  })
})
