import { afterEach, describe, expect, it } from "bun:test"
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { ValueSet, version, type SourceResult } from "../../api.ts"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { resultOf, tempDir, writerContext } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { PrometheusWriter } from "../prometheus/index.ts"
import { type FakeReceiver, type FakeReceiverOptions, startFakeReceiver } from "./fake-receiver.ts"
import { maskUserinfo, RemoteWriteWriter, type RemoteWriteTiming } from "./index.ts"
// @ts-expect-error: snappyjs ships no types
import SnappyJS from "snappyjs"
import * as v from "valibot"

writerConformance({
  type: "RemoteWrite",
  cls: RemoteWriteWriter,
  dir: import.meta.dir,
  peer: () => {
    const receiver = startFakeReceiver()
    return { config: { url: receiver.url }, received: () => receiver.samples().map((s) => s.series), close: receiver.stop }
  },
})

const FAST: Partial<RemoteWriteTiming> = { backoffMinMs: 20, backoffMaxMs: 200, stopGraceMs: 2000 }
const open: { stop(): unknown }[] = []
afterEach(async () => {
  for (const thing of open.splice(0).reverse()) await thing.stop()
})

function receiver(options: FakeReceiverOptions = {}): FakeReceiver {
  const r = startFakeReceiver(options)
  open.push(r)
  return r
}

/** A writer as pollect builds it, with a log and self-metrics to look at. */
function writer(config: Record<string, unknown>, fields: { stateDir?: string; configDir?: string } = {}) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const parsed = v.parse(RemoteWriteWriter.options, { type: "RemoteWrite", ...config })
  const ctx = writerContext({ log: createLogger({ level: "debug", write: (line) => lines.push(line) }), selfMetrics, ...fields })
  const w = new RemoteWriteWriter({ type: "RemoteWrite", ...parsed } as never, ctx, FAST)
  open.push(w)
  const counter = (name: string) =>
    selfMetrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "RemoteWrite" })) ?? 0
  return { w, lines, counter }
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await Bun.sleep(10)
  return check()
}

const T0 = 1_700_000_000_123

/** A LoadAvg-like result at `timeMs`. */
function load(
  timeMs: number,
  values: Record<string, number> = { short: 1, mid: 2, long: 3 },
  fields: Partial<SourceResult> = {},
): SourceResult {
  const set = new ValueSet(["time"])
  for (const [key, value] of Object.entries(values)) set.add(value, [key])
  return { ...resultOf(set, { type: "LoadAvg", id: "executors[0].sources[0]", ...fields }), time: Math.floor(timeMs / 1000), timeMs }
}

describe("RemoteWrite: the request", () => {
  it("carries remote_write 1.0's headers, a snappy-block protobuf body, ms timestamps and the snake_case names", async () => {
    const r = receiver()
    const { w } = writer({ url: r.url })
    await w.start()
    w.write([load(T0)])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    const { headers } = r.requests[0]!
    expect(headers.get("content-encoding")).toBe("snappy")
    expect(headers.get("content-type")).toBe("application/x-protobuf")
    expect(headers.get("x-prometheus-remote-write-version")).toBe("0.1.0")
    expect(headers.get("user-agent")).toMatch(/^pollect\/\d+\.\d+/)
    expect(r.samples().map((s) => [s.series, s.value, s.timestamp])).toEqual([
      ['pollect_load_avg{time="short"}', 1, T0],
      ['pollect_load_avg{time="mid"}', 2, T0],
      ['pollect_load_avg{time="long"}', 3, T0],
    ])
  })

  it("sorts every series' labels by name (byte order: `Zone` < `__name__` < `a`), with `labels` added where absent", async () => {
    const r = receiver()
    const { w } = writer({ url: r.url, names: "pollect", labels: { instance: "nas", Zone: "z", time: "never used" } })
    await w.start()
    w.write([load(T0, { mid: 2 }, { labels: { room: "attic" } })])
    expect(await until(() => r.samples().length === 1)).toBe(true)
    const [sample] = r.samples()
    expect(sample!.order).toEqual(["Zone", "__name__", "instance", "room", "time"])
    expect(sample!.labels).toEqual({ Zone: "z", instance: "nas", room: "attic", time: "mid" })
    expect(sample!.name).toBe("pollect_LoadAvg")
  })

  for (const names of ["snake_case", "pollect"] as const)
    it(`sends exactly the series and values the Prometheus writer exposes (names: ${names})`, async () => {
      const results: SourceResult[] = []
      const usage = new ValueSet(["mount"], { unit: "percent" }).add(24.6, ["/"]).add(3, ["/var lib"])
      results.push(resultOf(usage, { collection: "home", type: "DiskUsage", id: "s0", labels: { host: "nas" } }))
      const bytes = new ValueSet(["interface"], { kind: "counter", unit: "bytes" })
      bytes.add(10, ["eth0"], "total_bytes_sent").add(11, ["eth0"], "total_bytes_recv").add(12, ['we"ird\\'], "total_bytes_sent")
      results.push(resultOf(bytes, { collection: "home", type: "Interface", id: "s1" }))
      results.push(resultOf(new ValueSet().add(0.25, [], "reads_sec"), { collection: "home", type: "IO", name: "sda-1.x", id: "s2" }))
      results.push(resultOf(new ValueSet(["empty"]).add(7, [""]), { collection: "home", type: "Odd", id: "s3" }))
      const prometheus = new PrometheusWriter(v.parse(PrometheusWriter.options, { names }) as never, writerContext())
      prometheus.write(results)
      const exposed = (await prometheus.metrics())
        .split("\n")
        .filter((line) => line.startsWith("home_"))
        .map((line) => normaliseExposition(line))
        .sort()
      const r = receiver()
      const { w } = writer({ url: r.url, names })
      await w.start()
      w.write(results.map((result) => ({ ...result, timeMs: T0 })))
      expect(await until(() => r.samples().length >= 7)).toBe(true)
      const pushed = r
        .samples()
        .map((s) => `${s.series} ${s.value}`)
        .sort()
      expect(pushed).toEqual(exposed)
      expect(pushed.length).toBe(7)
    })

  it("splits a tick into requests of at most batchSize samples, in order", async () => {
    const r = receiver()
    const { w, counter } = writer({ url: r.url, batchSize: 2 })
    await w.start()
    w.write([load(T0, { a: 1, b: 2, c: 3, d: 4, e: 5 })])
    expect(await until(() => r.requests.length === 3)).toBe(true)
    expect(r.requests.map((q) => q.samples.map((s) => s.value))).toEqual([[1, 2], [3, 4], [5]])
    // The receiver has the last request before its answer reaches the sender: wait for the count.
    await until(() => counter("pollect_points_sent_total") === 5)
    expect(counter("pollect_points_sent_total")).toBe(5)
  })

  it("a negative or huge timestamp and a long label value (multi-byte lengths) decode as sent", async () => {
    const r = receiver()
    const { w } = writer({ url: r.url })
    await w.start()
    const long = "ü".repeat(300)
    w.write([load(-1234, { [long]: 1.5 }), load(8_000_000_000_000, { x: -0 }, { id: "other" })])
    expect(await until(() => r.samples().length === 2)).toBe(true)
    const [a, b] = r.samples()
    expect([a!.labels.time, a!.timestamp, a!.value]).toEqual([long, -1234, 1.5])
    expect([b!.timestamp, Object.is(b!.value, -0)]).toEqual([8_000_000_000_000, true])
  })
})

describe("RemoteWrite: staleness", () => {
  it("marks a series stale once when its value disappears, and all of a failing source's series", async () => {
    const r = receiver()
    const { w } = writer({ url: r.url })
    await w.start()
    w.write([load(T0)])
    w.write([load(T0 + 1000, { short: 1, mid: 2 })]) // `long` is gone
    w.write([load(T0 + 2000, { short: 1, mid: 2 })]) // no second marker
    w.write([{ ...load(T0 + 3000, {}), sets: [], error: "the backend is down" }])
    w.write([{ ...load(T0 + 4000, {}), sets: [], error: "the backend is down" }])
    w.write([load(T0 + 5000, { long: 9 })]) // back: a fresh series
    expect(await until(() => r.requests.length === 5)).toBe(true)
    await Bun.sleep(50)
    const seen = r.samples().map((s) => `${s.timestamp - T0} ${s.labels.time} ${s.stale ? "stale" : s.value}`)
    expect(seen).toEqual([
      "0 short 1",
      "0 mid 2",
      "0 long 3",
      "1000 short 1",
      "1000 mid 2",
      "1000 long stale",
      "2000 short 1",
      "2000 mid 2",
      "3000 short stale",
      "3000 mid stale",
      "5000 long 9",
    ])
  })

  it("the staleness marker is Prometheus' StaleNaN, bit for bit (0x7ff0000000000002)", async () => {
    const r = receiver()
    const { w } = writer({ url: r.url })
    await w.start()
    w.write([load(T0, { mid: 1 })])
    w.write([load(T0 + 1000, {})])
    expect(await until(() => r.requests.length === 2)).toBe(true)
    // The raw request: the Sample's fixed64 value field (tag 0x09) follows the labels.
    const raw = new Uint8Array(SnappyJS.uncompress(r.requests[1]!.body))
    const at = raw.lastIndexOf(0x09, raw.length - 8)
    expect(Buffer.from(raw.subarray(at + 1, at + 9)).toString("hex")).toBe("020000000000f07f")
  })

  it("a series another source already sends is not sent twice (the first keeps it), and logged once", async () => {
    const r = receiver()
    const { w, lines } = writer({ url: r.url })
    await w.start()
    w.write([load(T0, { mid: 1 }, { id: "a" }), load(T0, { mid: 2 }, { id: "b" })])
    w.write([load(T0 + 1000, { mid: 1 }, { id: "a" }), load(T0 + 1000, { mid: 2 }, { id: "b" })])
    expect(await until(() => r.requests.length === 2)).toBe(true)
    expect(r.samples().map((s) => s.value)).toEqual([1, 1])
    expect(lines.filter((line) => line.includes("already sent for a"))).toHaveLength(1)
  })
})

describe("RemoteWrite: answers of the receiver", () => {
  it("without a timing argument, retries wait the default backoff (about 1 s, not at once)", async () => {
    const r = receiver({ answers: [503, 503] })
    const w = new RemoteWriteWriter(
      { type: "RemoteWrite", ...v.parse(RemoteWriteWriter.options, { type: "RemoteWrite", url: r.url }) } as never,
      writerContext(),
    )
    open.push(w)
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => r.attempts.length >= 1)).toBe(true)
    await Bun.sleep(400)
    // The default minimum is 1 s with ±25 % jitter: no second try yet.
    expect(r.attempts.length).toBe(1)
    expect(await until(() => r.attempts.length >= 2, 3000)).toBe(true)
    expect(r.attempts[1]!.at - r.attempts[0]!.at).toBeGreaterThanOrEqual(700)
  })

  it("retries 503 and 429 (honouring Retry-After), keeping the order", async () => {
    const r = receiver({ answers: [503, { status: 429, headers: { "Retry-After": "1" } }] })
    const { w, counter } = writer({ url: r.url })
    await w.start()
    w.write([load(T0, { a: 1 })])
    w.write([load(T0 + 1000, { a: 2 })])
    expect(await until(() => r.requests.length === 2, 6000)).toBe(true)
    expect(r.samples().map((s) => s.value)).toEqual([1, 2])
    expect(r.attempts.map((a) => a.status)).toEqual([503, 429, 204, 204])
    // The third try came no sooner than the second one's Retry-After.
    expect(r.attempts[2]!.at - r.attempts[1]!.at).toBeGreaterThanOrEqual(950)
    expect(counter("pollect_push_retries_total")).toBe(2)
    // The receiver has the last request before its answer reaches the sender: wait for the count.
    await until(() => counter("pollect_points_sent_total") === 2)
    expect(counter("pollect_points_sent_total")).toBe(2)
  })

  it("drops and counts a 400 'out of order' request (never retried), logs the receiver's reason once, and goes on", async () => {
    const outOfOrder = { status: 400, body: "out of order sample\n" }
    const r = receiver({ answers: [outOfOrder, outOfOrder] })
    const { w, counter, lines } = writer({ url: r.url })
    await w.start()
    w.write([load(T0, { a: 1, b: 2 })])
    w.write([load(T0 + 1000, { a: 3, b: 4 })])
    w.write([load(T0 + 2000, { a: 5, b: 6 })])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    expect(r.samples().map((s) => s.value)).toEqual([5, 6])
    expect(r.attempts.map((a) => a.status)).toEqual([400, 400, 204])
    expect(counter("pollect_points_dropped_total")).toBe(4)
    expect(counter("pollect_push_retries_total")).toBe(0)
    const errors = lines.filter((line) => line.includes(" ERROR "))
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain("rejected 2 point(s): HTTP 400: out of order sample (not retried")
  })

  it("wrong basic-auth credentials: a clear error, not retried, the password never logged", async () => {
    const good = `Basic ${Buffer.from("pollect:right-pass").toString("base64")}`
    const r = receiver({ authorization: good })
    const { w, counter, lines } = writer({ url: r.url, basicAuth: { user: "pollect", password: "wrong-pass" } })
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => counter("pollect_points_dropped_total") === 1)).toBe(true)
    await Bun.sleep(100)
    expect(r.attempts.map((a) => a.status)).toEqual([401])
    const error = lines.find((line) => line.includes(" ERROR "))
    expect(error).toContain("HTTP 401")
    expect(error).toContain("check basicAuth")
    expect(lines.join("\n")).not.toContain("wrong-pass")
    expect(lines.join("\n")).not.toContain(Buffer.from("pollect:wrong-pass").toString("base64"))
  })

  it("right credentials from the URL's userinfo: accepted, the userinfo masked in the log", async () => {
    const good = `Basic ${Buffer.from("pollect:s3cr3t pass").toString("base64")}`
    const r = receiver({ authorization: good })
    const url = r.url.replace("://", "://pollect:s3cr3t%20pass@")
    const { w, lines } = writer({ url })
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    expect(lines.some((line) => line.includes(`http://***@127.0.0.1:${r.port}/api/v1/write`))).toBe(true)
    expect(lines.join("\n")).not.toContain("s3cr3t")
    expect(maskUserinfo("https://u:p@h:1/x?y=z@w")).toBe("https://***@h:1/x?y=z@w")
  })

  it("sends the bearer token and extra headers, never logging their values", async () => {
    const r = receiver({ authorization: "Bearer tok-123456" })
    const { w, lines } = writer({ url: r.url, bearerToken: "tok-123456", headers: { "X-Scope-OrgID": "tenant-secret" } })
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    expect(r.requests[0]!.headers.get("x-scope-orgid")).toBe("tenant-secret")
    const { createLogger: logger } = await import("../../core/log.ts")
    const seen: string[] = []
    logger({ write: (line) => seen.push(line) }).error("tok-123456 tenant-secret")
    expect(seen[0]).not.toContain("tok-123456")
    expect(seen[0]).not.toContain("tenant-secret")
    expect(lines.join("\n")).not.toContain("tok-123456")
  })

  it("a receiver that does not answer within `timeout` is retried, and the request arrives once it does", async () => {
    let calls = 0
    const got: number[] = []
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      async fetch(request) {
        const body = new Uint8Array(await request.arrayBuffer())
        if (++calls === 1) await Bun.sleep(2000) // hangs past the writer's timeout
        got.push(body.length)
        return new Response(null, { status: 204 })
      },
    })
    open.push({ stop: () => server.stop(true) })
    const { w, counter, lines } = writer({ url: `http://127.0.0.1:${server.port}/api/v1/write`, timeout: 0.3 })
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => counter("pollect_points_sent_total") === 1, 5000)).toBe(true)
    expect(counter("pollect_push_retries_total")).toBe(1)
    expect(lines.find((line) => line.includes(" WARN "))).toContain("no answer within 0.3 s")
  })

  it("a 400 with a huge body: the log line stays short", async () => {
    const r = receiver({ answers: [{ status: 400, body: "x".repeat(1 << 20) }] })
    const { w, counter, lines } = writer({ url: r.url })
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => counter("pollect_points_dropped_total") === 1)).toBe(true)
    const error = lines.find((line) => line.includes(" ERROR "))!
    expect(error.length).toBeLessThan(1000)
  })

  it("basicAuth together with bearerToken stops the start with the reason", async () => {
    const { w } = writer({ url: "http://127.0.0.1:9/api/v1/write", bearerToken: "abc-bearer-93", basicAuth: { user: "u", password: "p" } })
    await expect(w.start()).rejects.toThrow("basicAuth and bearerToken both set")
  })
})

describe("RemoteWrite: TLS", () => {
  it("trusts a receiver's self-signed certificate given as tls.ca (relative to the config folder), refuses it without", async () => {
    const dir = tempDir()
    const { cert, key } = selfSignedCert(dir)
    const r = receiver({ tls: { cert: await Bun.file(cert).text(), key: await Bun.file(key).text() } })
    const trusted = writer({ url: r.url, tls: { ca: "cert.pem" }, queue: false }, { configDir: dir })
    await trusted.w.start()
    trusted.w.write([load(T0, { a: 1 })])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    const untrusted = writer({ url: r.url, queue: false })
    await untrusted.w.start()
    untrusted.w.write([load(T0, { a: 2 })])
    expect(await until(() => untrusted.counter("pollect_push_retries_total") >= 1)).toBe(true)
    expect(untrusted.lines.find((line) => line.includes(" WARN "))).toMatch(/certificate|self.signed|SSL|TLS/i)
    const unverified = writer({ url: r.url, tls: { verify: false }, queue: false })
    await unverified.w.start()
    unverified.w.write([load(T0 + 1000, { a: 3 })])
    expect(await until(() => r.requests.length === 2)).toBe(true)
    expect(r.samples().map((s) => s.value)).toEqual([1, 3])
  })

  it("a TLS file that cannot be read stops the start, naming it", async () => {
    const { w } = writer({ url: "https://127.0.0.1:9/api/v1/write", tls: { ca: "missing-ca.pem" } }, { configDir: "/nonexistent" })
    await expect(w.start()).rejects.toThrow("cannot read the TLS CA file /nonexistent/missing-ca.pem")
  })
})

describe("RemoteWrite: the queue", () => {
  it("a receiver down across a restart of the writer: everything arrives once it is up, in order", async () => {
    const stateDir = tempDir()
    const r0 = receiver()
    const port = r0.port
    const url = r0.url
    await r0.stop()
    const first = writer({ url }, { stateDir })
    await first.w.start()
    for (let i = 0; i < 5; i++) first.w.write([load(T0 + i * 1000, { a: i })])
    await Bun.sleep(100)
    await first.w.stop()
    expect(first.lines.some((line) => line.includes("5 point(s) stay queued for the next start"))).toBe(true)
    const r = receiver({ port })
    const second = writer({ url }, { stateDir })
    await second.w.start()
    second.w.write([load(T0 + 5000, { a: 5 })])
    expect(await until(() => r.samples().length === 6)).toBe(true)
    expect(r.samples().map((s) => s.value)).toEqual([0, 1, 2, 3, 4, 5])
  })
})

/** An exposition line `name{labels} value` with its labels sorted, to compare with received series. */
function normaliseExposition(line: string): string {
  const match = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line)
  if (!match) return line
  const [, name, labels, value] = match
  const pairs = labels
    ? [...labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, unescapeLabel(m[2]!)] as const)
    : []
  const kept = pairs.filter(([, value]) => value !== "").sort(([a], [b]) => (a < b ? -1 : 1))
  const text = kept.map(([key, value]) => `${key}="${value}"`).join(",")
  return `${text ? `${name}{${text}}` : name} ${Number(value)}`
}

function unescapeLabel(text: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c))
}

describe("RemoteWrite: the writer's own state and options", () => {
  it("partial; pending and series before start; a write before start or after stop sends nothing; start twice is one loop", async () => {
    const r = receiver()
    const { w, lines } = writer({ url: r.url, queue: false })
    expect([w.partial, w.pending, w.series]).toEqual([true, false, 0])
    w.write([load(T0)])
    expect(w.series).toBe(0)
    await w.start()
    await w.start()
    // One start: one "pushing to" line (a second start would open a second delivery).
    expect(lines.filter((line) => line.includes("pushing to")).length).toBe(1)
    w.write([load(T0 + 1000)])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    // Only the write after start: nothing of the one before it was kept for later.
    expect(r.samples().map((s) => s.timestamp)).toEqual([T0 + 1000, T0 + 1000, T0 + 1000])
    expect(w.series).toBe(3)
    await w.stop()
    // After stop a write changes nothing: other values would replace the 3 series tracked.
    w.write([load(T0 + 2000, { other: 1 })])
    await Bun.sleep(50)
    expect([r.requests.length, w.series]).toEqual([1, 3])
    await w.start()
    expect(lines.filter((line) => line.includes("pushing to")).length).toBe(1)
  })

  it("pending while a request waits for the receiver", async () => {
    const r = receiver({ answers: [503, 503] })
    const { w } = writer({ url: r.url, queue: false })
    await w.start()
    w.write([load(T0)])
    expect(w.pending).toBe(true)
    expect(await until(() => !w.pending)).toBe(true)
    expect(r.requests.length).toBe(1)
  })

  it("staleness markers count toward batchSize too", async () => {
    const r = receiver()
    const { w } = writer({ url: r.url, batchSize: 2, queue: false })
    await w.start()
    w.write([load(T0, { a: 1, b: 2, c: 3, d: 4 })])
    w.write([load(T0 + 1000, {})])
    expect(await until(() => r.requests.length === 4)).toBe(true)
    expect(r.requests.map((q) => q.samples.map((s) => (s.stale ? "stale" : s.value)))).toEqual([
      [1, 2],
      [3, 4],
      ["stale", "stale"],
      ["stale", "stale"],
    ])
  })

  it("credentials in the URL leave it (url and target have none), become basic auth, and clash with basicAuth", async () => {
    const token = `Basic ${Buffer.from("only-user:").toString("base64")}`
    const r = receiver({ authorization: token })
    const withUser = writer({ url: r.url.replace("http://", "http://only-user@"), queue: false })
    expect(withUser.w.url).toBe(r.url)
    expect(withUser.w.target).toBe(r.url.replace("http://", "http://***@"))
    await withUser.w.start()
    withUser.w.write([load(T0, { a: 1 })])
    expect(await until(() => r.requests.length === 1)).toBe(true)
    const both = writer({ url: "http://u:p@127.0.0.1:9/api/v1/write", basicAuth: { user: "u", password: "p" } })
    await expect(both.w.start()).rejects.toThrow("RemoteWrite: credentials both in the url and in basicAuth: keep one")
  })

  it("a 403 names the credentials too; User-Agent is pollect/<version>", async () => {
    const r = receiver({ answers: [{ status: 403, body: "forbidden" }] })
    const { w, counter, lines } = writer({ url: r.url, queue: false })
    await w.start()
    w.write([load(T0, { a: 1 })])
    expect(await until(() => counter("pollect_points_dropped_total") === 1)).toBe(true)
    expect(lines.join("\n")).toContain("(the receiver refuses the credentials: check basicAuth, bearerToken or headers)")
    expect(r.attempts[0]!.headers.get("user-agent")).toBe(`pollect/${version}`)
  })

  it("TLS: cert without key (or key without cert) stops the start; unreadable cert and key are named; tls without ca still verifies", async () => {
    for (const tls of [{ cert: "c.pem" }, { key: "k.pem" }]) {
      const { w } = writer({ url: "https://127.0.0.1:9/api/v1/write", tls })
      await expect(w.start()).rejects.toThrow("RemoteWrite: tls.cert and tls.key go together (a client certificate needs its key)")
    }
    const { w } = writer({ url: "https://127.0.0.1:9/api/v1/write", tls: { cert: "c.pem", key: "k.pem" } }, { configDir: "/nonexistent" })
    await expect(w.start()).rejects.toThrow("cannot read the TLS certificate /nonexistent/c.pem")
    const dir = tempDir()
    const { cert, key } = selfSignedCert(dir)
    const keyOnly = writer({ url: "https://127.0.0.1:9/api/v1/write", tls: { cert: "cert.pem", key: "nope.pem" } }, { configDir: dir })
    await expect(keyOnly.w.start()).rejects.toThrow(`cannot read the TLS key ${dir}/nope.pem`)
    const r = receiver({ tls: { cert: await Bun.file(cert).text(), key: await Bun.file(key).text() } })
    const noCa = writer({ url: r.url, tls: {}, queue: false })
    await noCa.w.start()
    noCa.w.write([load(T0, { a: 2 })])
    expect(await until(() => noCa.counter("pollect_push_retries_total") >= 1)).toBe(true)
    expect(r.requests.length).toBe(0)
  })

  it("the durable queue is <stateDir>/queue/remotewrite-<hash of the URL>", async () => {
    const stateDir = tempDir()
    const { w } = writer({ url: "http://127.0.0.1:9/api/v1/write" }, { stateDir })
    await w.start()
    expect(readdirSync(join(stateDir, "queue"))).toEqual([expect.stringMatching(/^remotewrite-[0-9a-f]+$/)])
  })

  it("maskUserinfo masks only a URL's own userinfo; url must start with http:// or https://", () => {
    expect(maskUserinfo("https://u:p@host/x")).toBe("https://***@host/x")
    expect(maskUserinfo("http://host/x?next=http://u:p@other/")).toBe("http://host/x?next=http://u:p@other/")
    const ok = (url: string) => v.safeParse(RemoteWriteWriter.options, { url }).success
    expect([ok("https://p/api/v1/write"), ok("mailto:http://p/x")]).toEqual([true, false])
  })
})
