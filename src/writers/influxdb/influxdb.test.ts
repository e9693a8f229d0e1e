import { afterEach, describe, expect, it } from "bun:test"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import { ValueSet } from "../../api.ts"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { encodeResults } from "./encode.ts"
import { parseBody, startFakeInfluxDB, type FakeInfluxDB } from "./fake-influxdb.ts"
import { InfluxDBWriter } from "./index.ts"
import { escapeKey, escapeMeasurement, safeKey } from "./line-protocol.ts"
import { resolveTarget } from "./target.ts"

writerConformance({
  type: "InfluxDB",
  cls: InfluxDBWriter,
  dir: import.meta.dir,
  peer: () => {
    const influx = startFakeInfluxDB()
    return {
      config: { url: influx.url, database: "pollect", queue: false },
      received: () => influx.points.map((p) => `${p.measurement} ${Object.keys(p.fields).join(" ")}`),
      close: influx.stop,
    }
  },
})

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function fake(): FakeInfluxDB {
  const influx = startFakeInfluxDB()
  cleanups.push(influx.stop)
  return influx
}

/** A started writer with a log and self-metrics the test reads. */
async function writer(config: Record<string, unknown>) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const w = makeWriter<InfluxDBWriter>(
    InfluxDBWriter,
    { type: "InfluxDB", ...config },
    { selfMetrics, log: createLogger({ level: "debug", write: (line) => lines.push(line) }), stateDir: tempDir() },
  )
  cleanups.push(() => w.stop())
  await w.start()
  const counter = (name: string) =>
    selfMetrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "InfluxDB" })) ?? 0
  return { w, lines, counter, selfMetrics }
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await Bun.sleep(10)
  return check()
}

const HOSTILE = [
  "with space",
  "comma,inside",
  "equals=inside",
  'quote"inside',
  "single'quote",
  "back\\slash",
  "trailing\\",
  "\\,",
  "a\\ b",
  "double\\\\back",
  "ünïcödé ✓ 日本",
  "=,= ,",
  "#hash",
  "new\nline",
]

describe("line protocol", () => {
  it("matches the recorded lines of testdata/lines (names, tags sorted, fields grouped, time renamed, ms)", () => {
    const load = new ValueSet(["time"])
    load.add(0.5, ["short"]).add(0.25, ["mid"])
    const iface = new ValueSet(["interface"])
    iface.add(123, ["eth0"], "total_bytes_sent").add(456, ["eth0"], "total_bytes_recv").add(7, ["lo"], "total_bytes_sent")
    const { lines, invalid } = encodeResults(
      [
        resultOf(load, { type: "LoadAvg", timeMs: 1508478781250 }),
        resultOf(iface, { type: "Interface", labels: { site: "home", time: "x" }, timeMs: 1508478781250 }),
        resultOf(0.012, { type: "Http", name: "local", timeMs: 1508478781250 }),
        resultOf(new ValueSet().add(Number.NaN).add(Number.POSITIVE_INFINITY, [], "a").add(1, [], "b"), { type: "Bad" }),
      ],
      { precision: "ms", tags: { host: "web1" } },
    )
    const expected = readFileSync(join(import.meta.dir, "testdata/lines/expected.txt"), "utf8")
    expect(`${lines.join("\n")}\n`).toBe(expected)
    expect(invalid).toBe(2)
    // And the strict parser reads it all back.
    expect(parseBody(expected).length).toBe(lines.length)
  })

  it("precision s writes whole seconds", () => {
    const { lines } = encodeResults([resultOf(1, { timeMs: 1508478781999 })], { precision: "s", tags: {} })
    expect(lines).toEqual(["pollect_Test value=1 1508478781"])
  })

  it("every hostile label value, key and name round-trips through the strict parser", () => {
    for (const text of HOSTILE) {
      const set = new ValueSet([text, "time"])
      set.add(1.5, [text, text], text)
      const { lines } = encodeResults([resultOf(set, { collection: text, type: "T", labels: { [text]: text } })], {
        precision: "ms",
        tags: {},
      })
      expect(lines.length).toBe(1)
      const [point] = parseBody(`${lines[0]}\n`)
      // What may not survive: newlines (→ space), a backslash InfluxDB 1.x would read as an escape (→ /), a leading # of the measurement.
      const expectedText = text.replace(/[\n\r]/g, " ").replace(/\\(?=[\\,= ]|$)/g, "/")
      expect({ text, tags: point!.tags, fields: point!.fields }).toEqual({
        text,
        tags: { [expectedText]: expectedText, time_: expectedText },
        fields: { [expectedText]: 1.5 },
      })
      const measurement = `${text}_T`.replace(/[\n\r]/g, " ").replace(/\\(?=[\\, ]|$)/g, "/")
      expect(point!.measurement).toBe(measurement.startsWith("#") ? `_${measurement}` : measurement)
    }
  })

  it("escapes exactly the special characters", () => {
    expect(escapeKey("a b,c=d")).toBe("a\\ b\\,c\\=d")
    expect(escapeMeasurement("a b,c=d")).toBe("a\\ b\\,c=d")
    expect(escapeKey("q\"'✓")).toBe("q\"'✓")
    expect(escapeKey("x\\y")).toBe("x\\y")
    expect(escapeKey("x\\")).toBe("x/")
    // A measurement's trailing backslash would swallow the separator after it too.
    expect(escapeMeasurement("x\\")).toBe("x/")
    expect(escapeMeasurement("a\\b\\,c")).toBe("a\\b/\\,c")
  })

  it("renames every key InfluxDB refuses (1.x `time`, 2.x `_measurement` and `_field`), and only those", () => {
    expect(["time", "_measurement", "_field", "", "times", "_time", "field"].map(safeKey)).toEqual([
      "time_",
      "_measurement_",
      "_field_",
      "",
      "times",
      "_time",
      "field",
    ])
  })

  it("an empty tag value is left out, a value without name is field `value`", () => {
    const set = new ValueSet(["a", "b"]).add(2, ["", "x"])
    expect(encodeResults([resultOf(set)], { precision: "ms", tags: {} }).lines).toEqual(["pollect_Test,b=x value=2 1508478781000"])
  })
})

describe("requests", () => {
  it("v1: POST /write?db=&precision=ms, gzip, basic auth in the header (never in the URL)", async () => {
    const influx = fake()
    const { w } = await writer({ url: influx.url, database: "my db", user: "u", password: "s3cret", queue: false })
    w.write([resultOf(0.5, { type: "LoadAvg" })])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    const request = influx.requests[0]!
    expect(request.path).toBe("/write")
    expect([...request.query]).toEqual([
      ["db", "my db"],
      ["precision", "ms"],
    ])
    expect(request.gzip).toBe(true)
    expect(request.headers.get("authorization")).toBe(`Basic ${btoa("u:s3cret")}`)
    expect(request.query.has("u") || request.query.has("p")).toBe(false)
    expect(influx.points[0]).toEqual({ measurement: "pollect_LoadAvg", tags: {}, fields: { value: 0.5 }, time: 1508478781000 })
  })

  it("v2: POST /api/v2/write?org=&bucket=&precision=, Authorization: Token", async () => {
    const influx = fake()
    const { w } = await writer({
      url: `${influx.url}/prefix/`,
      org: "home",
      bucket: "b1",
      token: "v2-t0ken-5521",
      precision: "s",
      gzip: false,
      queue: false,
    })
    w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    const request = influx.requests[0]!
    expect(request.path).toBe("/prefix/api/v2/write")
    expect(Object.fromEntries(request.query)).toEqual({ org: "home", bucket: "b1", precision: "s" })
    expect(request.headers.get("authorization")).toBe("Token v2-t0ken-5521")
    expect(request.gzip).toBe(false)
    expect(request.headers.get("content-type")).toBe("text/plain; charset=utf-8")
    expect(influx.points[0]!.time).toBe(1508478781)
  })

  it("user:password in the URL become basic auth and are masked in messages", () => {
    const target = resolveTarget({ url: "http://alice:pa%40ss@influx:8086", database: "d", precision: "ms" })
    if ("problem" in target) throw new Error(target.problem)
    expect(target.writeUrl).toBe("http://influx:8086/write?db=d&precision=ms")
    expect(target.display).toBe("http://***@influx:8086")
    expect(target.headers.authorization).toBe(`Basic ${btoa("alice:pa@ss")}`)
    expect(target.secrets).toEqual(["pa@ss"])
  })

  it("wrong option combinations stop the start with the reason", async () => {
    for (const [config, problem] of [
      [{ url: "http://x" }, "give database"],
      [{ url: "http://x", database: "d", bucket: "b", org: "o" }, "not both"],
      [{ url: "http://x", bucket: "b" }, "both org and bucket"],
      [{ url: "ftp://x", database: "d" }, "http"],
    ] as const) {
      const w = makeWriter<InfluxDBWriter>(InfluxDBWriter, { type: "InfluxDB", ...config })
      await expect(Promise.resolve(w.start())).rejects.toThrow(problem)
      await w.stop()
    }
  })

  it("batchSize splits a tick into several requests, in order", async () => {
    const influx = fake()
    const { w, counter } = await writer({ url: influx.url, database: "d", batchSize: 3, queue: false })
    const set = new ValueSet(["i"])
    for (let i = 0; i < 10; i++) set.add(i, [String(i).padStart(2, "0")])
    w.write([resultOf(set)])
    expect(await until(() => influx.points.length === 10)).toBe(true)
    expect(influx.requests.map((r) => parseBody(r.body).length)).toEqual([3, 3, 3, 1])
    expect(influx.points.map((p) => p.fields.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    // The receiver has the last request before its answer reaches the sender: wait for the count.
    await until(() => counter("pollect_points_sent_total") === 10)
    expect(counter("pollect_points_sent_total")).toBe(10)
  })

  it("NaN and ±Infinity are skipped and counted", async () => {
    const influx = fake()
    const { w, counter } = await writer({ url: influx.url, database: "d", queue: false })
    w.write([resultOf(new ValueSet().add(Number.NaN, [], "a").add(Number.NEGATIVE_INFINITY, [], "b").add(3, [], "c"))])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    expect(influx.points[0]!.fields).toEqual({ c: 3 })
    expect(counter("pollect_points_invalid_total")).toBe(2)
  })
})

describe("answers", () => {
  it("404 database not found: one clear error naming CREATE DATABASE; points stay queued and arrive once it exists", async () => {
    const influx = fake()
    influx.answer.push([404, '{"error":"database not found: \\"pollect\\""}'], [404, '{"error":"database not found: \\"pollect\\""}'])
    const { w, lines, counter } = await writer({ url: influx.url, database: "pollect", queue: false })
    ;(w as unknown as { delivery: { options: { backoff: unknown } } }).delivery.options.backoff = { minMs: 20, maxMs: 50 }
    w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    const errors = lines.filter((l) => l.includes(" ERROR "))
    expect(errors.length).toBe(1)
    expect(errors[0]).toContain('database "pollect" does not exist (HTTP 404): create it with CREATE DATABASE "pollect"')
    expect(counter("pollect_points_dropped_total")).toBe(0)
  })

  it("createDatabase: true creates it through /query when a write finds it missing, then writes", async () => {
    const influx = fake()
    influx.answer.push([404, '{"error":"database not found: \\"x\\""}'])
    const { w } = await writer({ url: influx.url, database: "x", createDatabase: true, queue: false })
    w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    expect(influx.requests.map((r) => r.path)).toEqual(["/query", "/write", "/query", "/write"])
    expect(influx.requests[0]!.body).toBe(`q=${encodeURIComponent('CREATE DATABASE "x"').replace(/%20/g, "+")}`)
  })

  it("401: a clear error about the credentials, dropped and counted, not retried; the password never logged", async () => {
    const influx = fake()
    influx.answer.push([401, '{"error":"authorization failed"}'])
    const { w, lines, counter } = await writer({ url: influx.url, database: "d", user: "u", password: "hunter2", queue: false })
    w.write([resultOf(1)])
    expect(await until(() => counter("pollect_points_dropped_total") === 1)).toBe(true)
    await Bun.sleep(100)
    expect(influx.requests.length).toBe(1)
    expect(lines.filter((l) => l.includes(" ERROR ")).join("\n")).toContain("InfluxDB refused the credentials (HTTP 401")
    expect(lines.join("\n")).not.toContain("hunter2")
    expect(w.status().lastError).toContain("check user and password")
  })

  it("a store that is down then back: nothing lost, order kept (durable queue)", async () => {
    const url = await downServerUrl()
    const port = Number(new URL(url).port)
    const { w, counter } = await writer({ url, database: "d" })
    ;(w as unknown as { delivery: { options: { backoff: unknown } } }).delivery.options.backoff = { minMs: 20, maxMs: 50 }
    for (let i = 0; i < 20; i++) w.write([resultOf(i, { timeMs: 1_000_000 + i })])
    await until(() => counter("pollect_push_retries_total") >= 2)
    expect(w.status().state).toBe("retrying")
    const influx = startFakeInfluxDB(port)
    cleanups.push(influx.stop)
    expect(await until(() => influx.points.length === 20)).toBe(true)
    expect(influx.points.map((p) => p.time)).toEqual(Array.from({ length: 20 }, (_, i) => 1_000_000 + i))
    expect(influx.errors).toEqual([])
  })

  it("a batch queued with gzip is sent with gzip after a restart with gzip: false", async () => {
    const influx = fake()
    const body = Bun.gzipSync(Buffer.from("m value=1 1\n"))
    expect(gunzipSync(body).toString()).toBe("m value=1 1\n")
    const { w } = await writer({ url: influx.url, database: "d", gzip: false, queue: false })
    ;(w as unknown as { delivery: { enqueue(p: Uint8Array, n: number): void } }).delivery.enqueue(body, 1)
    w.write([resultOf(2)])
    expect(await until(() => influx.points.length === 2)).toBe(true)
    expect(influx.requests.map((r) => r.gzip)).toEqual([true, false])
  })

  it("https: the CA from tls.ca is trusted; without it the certificate is refused and retried", async () => {
    const dir = tempDir()
    const pem = selfSignedCert(dir)
    const influx = startFakeInfluxDB(0, { cert: readFileSync(pem.cert, "utf8"), key: readFileSync(pem.key, "utf8") })
    cleanups.push(influx.stop)
    const trusting = await writer({ url: influx.url, database: "d", tls: { ca: pem.cert }, queue: false })
    trusting.w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    const plain = await writer({ url: influx.url, database: "d", queue: false })
    plain.w.write([resultOf(2)])
    expect(await until(() => plain.counter("pollect_push_retries_total") >= 1)).toBe(true)
    expect(plain.w.status().lastError).toMatch(/certificate|self.signed|SELF_SIGNED/i)
    expect(influx.points.length).toBe(1)
  })
})

describe("the writer's state and messages", () => {
  it("display and status: connecting, ok after start, stopped after stop (twice is fine); a write before start or after stop sends nothing", async () => {
    const influx = fake()
    const v1 = makeWriter<InfluxDBWriter>(InfluxDBWriter, { type: "InfluxDB", url: influx.url, database: "pollect", queue: false })
    expect(v1.display).toBe(`${influx.url} (db pollect)`)
    expect(v1.status()).toEqual({ state: "connecting", detail: `${influx.url} (db pollect)`, lastError: undefined })
    v1.write([resultOf(1)])
    await v1.start()
    await v1.start()
    expect(v1.status()).toEqual({ state: "ok", detail: `${influx.url} (db pollect)`, lastError: undefined })
    await v1.stop()
    await v1.stop()
    expect(v1.status().state).toBe("stopped")
    v1.write([resultOf(2)])
    await Bun.sleep(50)
    expect(influx.requests).toEqual([])
    const v2 = makeWriter<InfluxDBWriter>(InfluxDBWriter, { type: "InfluxDB", url: influx.url, org: "o", bucket: "b1", token: "t" })
    expect(v2.display).toBe(`${influx.url} (bucket b1)`)
    expect(makeWriter<InfluxDBWriter>(InfluxDBWriter, { type: "InfluxDB", url: "http://x" }).display).toBe("InfluxDB")
  })

  it("a successful request counts and keeps the state ok; a refused one (401) is no outage: not retrying", async () => {
    const influx = fake()
    const { w, counter, selfMetrics } = await writer({ url: influx.url, database: "d", gzip: false, queue: false })
    w.write([resultOf(1)])
    expect(await until(() => w.requests === 1)).toBe(true)
    expect(w.status().state).toBe("ok")
    // Plain text bodies say so: no content-encoding.
    expect(influx.requests[0]!.headers.get("content-encoding")).toBeNull()
    // Nothing invalid: no counter at all (not one at 0).
    expect(selfMetrics.snapshot().counters.get("pollect_points_invalid_total")).toBeUndefined()
    influx.answer.push([401, '{"error":"authorization failed"}'])
    w.write([resultOf(2)])
    expect(await until(() => counter("pollect_points_dropped_total") === 1)).toBe(true)
    expect([w.status().state, w.requests]).toEqual(["ok", 1])
    expect(w.status().lastError).toContain("HTTP 401")
  })

  it("403 is a credentials error too; v2 names the token", async () => {
    const influx = fake()
    influx.answer.push([403, '{"error":"insufficient permissions"}'])
    const { w, lines, counter } = await writer({ url: influx.url, org: "o", bucket: "b", token: "t0k", queue: false })
    w.write([resultOf(1)])
    expect(await until(() => counter("pollect_points_dropped_total") === 1)).toBe(true)
    expect(lines.filter((l) => l.includes(" ERROR ")).join("\n")).toContain(
      'InfluxDB refused the credentials (HTTP 403: {"error":"insufficient permissions"}): check the token (and that it may write to the bucket)',
    )
  })

  it("v1 404 without `database not found`: the URL is wrong, said so, and retried (not dropped)", async () => {
    const influx = fake()
    influx.answer.push([404, "404 page not found"])
    const { w, counter } = await writer({ url: influx.url, database: "d", queue: false })
    ;(w as unknown as { delivery: { options: { backoff: unknown } } }).delivery.options.backoff = { minMs: 20, maxMs: 50 }
    w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    expect(counter("pollect_points_dropped_total")).toBe(0)
    expect(w.status().lastError).toBe(`HTTP 404 from ${influx.url}/write?db=d&precision=ms: check url (is it InfluxDB's base URL?)`)
  })

  it("v2 404: the bucket or org is missing, with InfluxDB's reason; retried (createDatabase is for 1.x only: no /query)", async () => {
    const influx = fake()
    influx.answer.push([404, '{"code":"not found","message":"bucket \\"b\\" not found"}'])
    const { w, counter } = await writer({ url: influx.url, org: "o", bucket: "b", token: "t", createDatabase: true, queue: false })
    ;(w as unknown as { delivery: { options: { backoff: unknown } } }).delivery.options.backoff = { minMs: 20, maxMs: 50 }
    w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    expect(counter("pollect_points_dropped_total")).toBe(0)
    expect(w.status().lastError).toStartWith('bucket "b" or its org does not exist (HTTP 404: {"code":"not found"')
    expect(influx.requests.map((r) => r.path)).toEqual(["/api/v2/write", "/api/v2/write"])
  })

  it("createDatabase: the statement's result is logged (done, or failed with the answer); a v2 target never runs it", async () => {
    const influx = fake()
    const { lines } = await writer({ url: influx.url, database: "x", createDatabase: true, queue: false })
    expect(lines.filter((l) => l.includes("CREATE DATABASE"))).toEqual([
      expect.stringContaining(`${influx.url} (db x): CREATE DATABASE "x" done`),
    ])
    await writer({ url: influx.url, org: "o", bucket: "b", token: "t", createDatabase: true, queue: false })
    expect(influx.requests.map((r) => r.path)).toEqual(["/query"])
    // A /query that refuses: a warning with the status and body, and the write path tries again later.
    const refusing = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ error: "not an admin" }, { status: 403 }) })
    cleanups.push(() => refusing.stop(true))
    const failed = await writer({ url: `http://127.0.0.1:${refusing.port}`, database: "x", createDatabase: true, queue: false })
    expect(failed.lines.filter((l) => l.includes("CREATE DATABASE"))).toEqual([
      expect.stringContaining(`: CREATE DATABASE "x" failed: HTTP 403 {"error":"not an admin"}`),
    ])
    // 200 with an error in the body (InfluxDB 1.x answers statement errors so).
    const erring = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ results: [{ error: "boom" }] }) })
    cleanups.push(() => erring.stop(true))
    const errs = await writer({ url: `http://127.0.0.1:${erring.port}`, database: "x", createDatabase: true, queue: false })
    expect(errs.lines.filter((l) => l.includes("CREATE DATABASE"))).toEqual([
      expect.stringContaining(': CREATE DATABASE "x" failed: HTTP 200 '),
    ])
    // Nobody there.
    const down = await writer({ url: await downServerUrl(), database: "x", createDatabase: true, queue: false })
    expect(down.lines.filter((l) => l.includes("CREATE DATABASE"))).toEqual([
      expect.stringMatching(/: CREATE DATABASE "x" failed: .+ \(tried again when a write finds it missing\)$/),
    ])
  })

  it("createDatabase after a 404: created at once, retried without backoff, no error line", async () => {
    const influx = fake()
    influx.answer.push([404, '{"error":"database not found: \\"x\\""}'])
    const { w, lines } = await writer({ url: influx.url, database: "x", createDatabase: true, queue: false })
    w.write([resultOf(1)])
    expect(await until(() => influx.points.length === 1)).toBe(true)
    expect(lines.filter((l) => l.includes(" ERROR "))).toEqual([])
    expect(lines.join("\n")).toContain('database "x" was missing and is created now')
  })

  it("a second start() keeps the one delivery (what waits is dropped and counted at stop); a start after stop opens nothing", async () => {
    const { w, counter } = await writer({ url: await downServerUrl(), database: "d", queue: false })
    w.write([resultOf(1)])
    await w.start()
    await w.stop()
    expect(counter("pollect_points_dropped_total")).toBe(1)
    const stateDir = tempDir()
    const never = makeWriter<InfluxDBWriter>(InfluxDBWriter, { type: "InfluxDB", url: "http://127.0.0.1:1", database: "d" }, { stateDir })
    await never.stop()
    await never.start()
    expect(never.status().state).toBe("stopped")
    expect(existsSync(join(stateDir, "queue"))).toBe(false)
  })

  it("CREATE DATABASE holds the start at most 2 s when /query never answers", async () => {
    const silent = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) })
    cleanups.push(() => silent.stop(true))
    const started = Date.now()
    await writer({ url: `http://127.0.0.1:${silent.port}`, database: "x", createDatabase: true, timeout: 20, queue: false })
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(1900)
    expect(took).toBeLessThan(5000)
  })

  it("a write past `timeout` is 'no answer in time'", async () => {
    const slow = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Bun.sleep(2000).then(() => new Response(null, { status: 204 })) })
    cleanups.push(() => slow.stop(true))
    const { w } = await writer({ url: `http://127.0.0.1:${slow.port}`, database: "x", timeout: 0.2, queue: false })
    w.write([resultOf(1)])
    expect(await until(() => w.status().lastError !== undefined, 3000)).toBe(true)
    expect(w.status().lastError).toBe("no answer in time")
  })

  it("createDatabase runs only on a v1 404: not on a 401 or 403; a failed CREATE DATABASE is not reported as created", async () => {
    const influx = fake()
    const { w, counter, lines } = await writer({ url: influx.url, database: "x", createDatabase: true, queue: false })
    influx.answer.push([401, '{"error":"authorization failed"}'], [403, '{"error":"insufficient permissions"}'])
    w.write([resultOf(1)])
    w.write([resultOf(2)])
    expect(await until(() => counter("pollect_points_dropped_total") === 2)).toBe(true)
    // The one /query is the start's.
    expect(influx.requests.map((r) => r.path)).toEqual(["/query", "/write", "/write"])
    expect(lines.join("\n")).not.toContain("created now")
    // A 404 whose CREATE DATABASE is refused: InfluxDB's error, not "created now".
    let queries = 0
    const refusing = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) =>
        new URL(request.url).pathname === "/query"
          ? (queries++, Response.json({ error: "not an admin" }, { status: 403 }))
          : Response.json({ error: 'database not found: "x"' }, { status: 404 }),
    })
    cleanups.push(() => refusing.stop(true))
    const missing = await writer({ url: `http://127.0.0.1:${refusing.port}`, database: "x", createDatabase: true, queue: false })
    missing.w.write([resultOf(1)])
    expect(await until(() => queries === 2 && missing.w.status().lastError !== undefined)).toBe(true)
    expect(missing.w.status().lastError).not.toContain("created now")
    expect(missing.w.status().lastError).toContain("does not exist")
  })

  it("the durable queue is <stateDir>/queue/influxdb-<hash of the write URL> (a rename would strand a queue at upgrade)", async () => {
    const stateDir = tempDir()
    const w = makeWriter<InfluxDBWriter>(InfluxDBWriter, { type: "InfluxDB", url: "http://127.0.0.1:1", database: "d" }, { stateDir })
    await w.start()
    cleanups.push(() => w.stop())
    expect(readdirSync(join(stateDir, "queue"))).toEqual([expect.stringMatching(/^influxdb-[0-9a-f]+$/)])
  })

  it("a TLS file that cannot be read stops the start, naming it and the reason", async () => {
    const dir = tempDir()
    for (const [key, what] of [
      ["ca", "CA"],
      ["cert", "certificate"],
      ["key", "key"],
    ] as const) {
      const w = makeWriter<InfluxDBWriter>(
        InfluxDBWriter,
        { type: "InfluxDB", url: "https://x:8086", database: "d", queue: false, tls: { [key]: "missing.pem" } },
        { configDir: dir },
      )
      const error = await w.start().then(
        () => undefined,
        (e: Error) => e,
      )
      // The error code alone, not the whole message of readFileSync.
      expect(error?.message).toBe(`InfluxDB: cannot read the TLS ${what} ${join(dir, "missing.pem")}: ENOENT`)
      await w.stop()
    }
  })
})
