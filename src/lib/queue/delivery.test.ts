import { afterEach, describe, expect, it } from "bun:test"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { Delivery, httpOutcome, retryAfterMs, retryDelayMs } from "./delivery.ts"
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
