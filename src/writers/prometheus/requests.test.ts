/**
 * The exporter's answers to what scrapers and strangers send: an HTTP/1.0 request without
 * `Host` (raw TCP, as node_exporter serves it), floods of bad requests (counted, logged once
 * per reason), and gzip negotiation (decoded and compared with the identity body).
 */
import { afterEach, describe, expect, it } from "bun:test"
import { gunzipSync } from "node:zlib"
import * as v from "valibot"
import type { Logger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { resultOf, writerContext } from "../../../test/helpers/context.ts"
import { acceptsGzip, crc32Combine, GzipBody, storedBlocks } from "./gzip.ts"
import { FAILED_REQUESTS, PrometheusWriter, requestPath, type PrometheusOptions } from "./index.ts"
import { crc32 } from "node:zlib"

const started: PrometheusWriter[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((writer) => writer.stop()))
})

function recordingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m) => lines.push(m),
    error: (m) => lines.push(m),
    child: () => log,
  }
  return log
}

async function startWriter(config: Record<string, unknown> = {}) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const parsed = v.parse(PrometheusWriter.options, { port: 0, host: "127.0.0.1", ...config }) as PrometheusOptions
  const writer = new PrometheusWriter({ ...parsed, type: "Prometheus" }, writerContext({ log: recordingLogger(lines), selfMetrics }))
  await writer.start()
  started.push(writer)
  writer.write([
    resultOf(new ValueSet(["time"], { help: "System load average" }).add(0.5, ["short"]).add(0.25, ["mid"]).add(0.125, ["long"]), {
      type: "LoadAvg",
    }),
  ])
  return { writer, lines, selfMetrics }
}

/** Writes `request` on a fresh loopback connection and returns everything the server sent until it closed. */
function raw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ""
    const timer = setTimeout(() => reject(new Error("no answer within 10 s")), 10_000)
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (socket) => {
          socket.write(request)
        },
        data: (_socket, chunk) => {
          text += chunk.toString("latin1")
        },
        close: () => {
          clearTimeout(timer)
          resolve(text)
        },
        error: (_socket, error) => {
          clearTimeout(timer)
          reject(error)
        },
        connectError: (_socket, error) => {
          clearTimeout(timer)
          reject(error)
        },
      },
    }).catch(reject)
  })
}

/** Sends `total` requests, `parallel` at a time; returns each answer's status line. */
async function flood(port: number, request: string, total: number, parallel = 8): Promise<string[]> {
  const statuses: string[] = []
  let next = 0
  const worker = async () => {
    while (next < total) {
      next++
      const answer = await raw(port, request)
      statuses.push(answer.slice(0, answer.indexOf("\r\n")))
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker))
  return statuses
}

function failedCount(selfMetrics: SelfMetrics, reason: string): number {
  return selfMetrics.snapshot().counters.get(FAILED_REQUESTS)?.get(JSON.stringify({ reason })) ?? 0
}

describe("Prometheus exporter: requests", () => {
  it("answers an HTTP/1.0 request without Host with 200 and the metrics, 2,000 times, logging nothing", async () => {
    const { writer, lines } = await startWriter()
    const answer = await raw(writer.port, "GET /metrics HTTP/1.0\r\n\r\n")
    expect(answer).toStartWith("HTTP/1.1 200 ")
    expect(answer).toContain("\r\n\r\n# HELP pollect_probe_duration_seconds")
    expect(answer).toContain('pollect_LoadAvg{time="mid"} 0.25\n')
    const statuses = await flood(writer.port, "GET /metrics HTTP/1.0\r\n\r\n", 2000)
    expect(statuses).toHaveLength(2000)
    expect(new Set(statuses)).toEqual(new Set(["HTTP/1.1 200 OK"]))
    expect(lines).toEqual([])
    // The index page too, and a query string or `//` do not confuse the path.
    expect(await raw(writer.port, "GET / HTTP/1.0\r\n\r\n")).toStartWith("HTTP/1.1 200 ")
    expect(await raw(writer.port, "GET /metrics?x=1 HTTP/1.0\r\n\r\n")).toStartWith("HTTP/1.1 200 ")
    expect(await raw(writer.port, "GET //metrics HTTP/1.0\r\n\r\n")).toStartWith("HTTP/1.1 404 ")
  })

  it("counts bad requests by reason and logs only the first of each reason", async () => {
    const { writer, lines, selfMetrics } = await startWriter()
    const notFound = await flood(writer.port, "GET /nope HTTP/1.0\r\n\r\n", 2000)
    expect(new Set(notFound)).toEqual(new Set(["HTTP/1.1 404 Not Found"]))
    const wrongMethod = await flood(writer.port, "DELETE /metrics HTTP/1.0\r\n\r\n", 200)
    expect(new Set(wrongMethod)).toEqual(new Set(["HTTP/1.1 405 Method Not Allowed"]))
    expect(failedCount(selfMetrics, "not_found")).toBe(2000)
    expect(failedCount(selfMetrics, "method_not_allowed")).toBe(200)
    expect(lines).toEqual([
      `a request for "/nope" got 404 (metrics are at /metrics); further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="not_found"}`,
      `a "DELETE" request got 405 (only GET and HEAD are served); further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="method_not_allowed"}`,
    ])
    // Served on /metrics itself.
    const text = await (await fetch(`${writer.url}/metrics`)).text()
    expect(text).toContain(`# TYPE ${FAILED_REQUESTS} counter\n`)
    expect(text).toContain(`${FAILED_REQUESTS}{reason="not_found"} 2000\n`)
  })

  it("a request that fails inside the exporter is a 500, counted, logged once", async () => {
    const { writer, lines, selfMetrics } = await startWriter()
    writer.metrics = () => Promise.reject(new Error("boom"))
    const statuses = await flood(writer.port, "GET /metrics HTTP/1.0\r\nAccept-Encoding: identity\r\n\r\n", 300)
    expect(new Set(statuses)).toEqual(new Set(["HTTP/1.1 500 Internal Server Error"]))
    expect(failedCount(selfMetrics, "error")).toBe(300)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toStartWith("a request failed: boom; further ones are not logged")
  })

  it("wrong credentials are a 401, counted, logged once", async () => {
    const hash = Bun.password.hashSync("pw", { algorithm: "bcrypt", cost: 4 })
    const { writer, lines, selfMetrics } = await startWriter({ basicAuth: { user: "prom", passwordHash: hash } })
    for (let i = 0; i < 20; i++) expect((await fetch(`${writer.url}/metrics`)).status).toBe(401)
    expect(failedCount(selfMetrics, "unauthorized")).toBe(20)
    expect(lines).toHaveLength(1)
  })

  it("requestPath: a bare target, an absolute URL, `//` kept as a path, junk undefined", () => {
    expect(requestPath("/metrics")).toBe("/metrics")
    expect(requestPath("/metrics?a=b#c")).toBe("/metrics")
    expect(requestPath("http://host:9/metrics")).toBe("/metrics")
    expect(requestPath("//evil/metrics")).toBe("//evil/metrics")
    expect(requestPath("*")).toBeUndefined()
  })
})

describe("Prometheus exporter: gzip", () => {
  const get = (writer: PrometheusWriter, acceptEncoding?: string) =>
    fetch(`${writer.url}/metrics`, {
      headers: acceptEncoding === undefined ? {} : { "Accept-Encoding": acceptEncoding },
      decompress: false,
    } as RequestInit)

  it("gzips /metrics when asked (Content-Encoding, Vary); the decoded body is the identity body", async () => {
    const { writer } = await startWriter()
    // Many series, so that compression shows.
    const set = new ValueSet(["instance"], { help: "Many" })
    for (let i = 0; i < 5000; i++) set.add(i, [`host-${i}`])
    writer.write([resultOf(set, { type: "Many", id: "many" })])

    const identity = await get(writer, "identity")
    expect(identity.headers.get("content-encoding")).toBeNull()
    expect(identity.headers.get("vary")).toBe("Accept-Encoding")
    const plain = await identity.text()

    const zipped = await get(writer, "gzip")
    expect(zipped.status).toBe(200)
    expect(zipped.headers.get("content-encoding")).toBe("gzip")
    expect(zipped.headers.get("vary")).toBe("Accept-Encoding")
    expect(zipped.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
    const bytes = new Uint8Array(await zipped.arrayBuffer())
    expect(bytes.length).toBeLessThan(plain.length / 4)
    expect(gunzipSync(bytes).toString("utf8")).toBe(plain)
    expect(new TextDecoder().decode(Bun.gunzipSync(bytes))).toBe(plain)
  })

  it("honours q-values: gzip;q=0, no header or other codings get identity", async () => {
    const { writer } = await startWriter()
    for (const header of [undefined, "gzip;q=0", "gzip; q=0.0, identity", "identity", "br, deflate", "gzip;q=0.2, identity;q=0.5"]) {
      const response = await get(writer, header)
      expect(response.headers.get("content-encoding")).toBeNull()
      expect(await response.text()).toContain('pollect_LoadAvg{time="mid"} 0.25\n')
    }
    for (const header of ["gzip", "gzip, deflate, br, zstd", "GZIP;q=0.5", "*", "x-gzip", "identity;q=0.5, gzip"]) {
      const response = await get(writer, header)
      expect(response.headers.get("content-encoding")).toBe("gzip")
      expect(gunzipSync(new Uint8Array(await response.arrayBuffer())).toString()).toContain('pollect_LoadAvg{time="mid"} 0.25\n')
    }
  })

  it("compresses the sources' series once per change, pollect's own metrics every scrape", async () => {
    const { writer, selfMetrics } = await startWriter()
    const scrapeGzip = async () => gunzipSync(new Uint8Array(await (await get(writer, "gzip")).arrayBuffer())).toString()
    await scrapeGzip()
    const before = writer.gzipDeflations
    selfMetrics.count("pollect_points_dropped_total", { writer: "Graphite" }, 7)
    const second = await scrapeGzip()
    expect(second).toContain('pollect_points_dropped_total{writer="Graphite"} 7\n')
    expect(await scrapeGzip()).toBe(second)
    expect(writer.gzipDeflations).toBe(before)

    writer.write([resultOf(new ValueSet(["time"]).add(9, ["mid"]), { type: "LoadAvg" })])
    const third = await scrapeGzip()
    expect(third).toContain('pollect_LoadAvg{time="mid"} 9\n')
    expect(third).not.toContain("0.25")
    expect(writer.gzipDeflations).toBe(before + 1)
    expect(third).toBe(await writer.metrics())
  })

  it("acceptsGzip weighs q values as promhttp does: the best gzip q, identity and * as fallbacks, q in any case", () => {
    expect(acceptsGzip("gzip, deflate, br")).toBe(true)
    expect(acceptsGzip("x-gzip")).toBe(true)
    expect(acceptsGzip("*")).toBe(true)
    // gzip listed twice: its best q counts, wherever it stands.
    expect(acceptsGzip("gzip;q=0.9, gzip;q=0.2, identity;q=0.5")).toBe(true)
    expect(acceptsGzip("gzip;q=0.2, gzip;q=0.9, identity;q=0.5")).toBe(true)
    // * stands for identity when identity is not listed: gzip below it loses.
    expect(acceptsGzip("gzip;q=0.5, *;q=1")).toBe(false)
    expect(acceptsGzip("gzip;q=0.5, *;q=1, identity;q=0.1")).toBe(true)
    expect(acceptsGzip("gzip;q=0.5, identity;q=0.5")).toBe(true)
    expect(acceptsGzip("gzip;q=0.4, identity;q=0.5")).toBe(false)
    expect(acceptsGzip("gzip;Q=0")).toBe(false)
    expect(acceptsGzip("gzip;q=0")).toBe(false)
    expect(acceptsGzip("identity, br")).toBe(false)
  })

  it("acceptsGzip and the joined gzip member on edge cases", () => {
    expect(acceptsGzip(null)).toBe(false)
    expect(acceptsGzip("gzip;q=1.000")).toBe(true)
    expect(acceptsGzip("gzip;q=abc")).toBe(false)
    expect(acceptsGzip("*;q=0")).toBe(false)
    const body = new GzipBody()
    for (const [head, tail] of [
      ["", ""],
      ["h", ""],
      ["", "t"],
      ["héad €\n", "x".repeat(100_000)],
    ] as const) {
      expect(gunzipSync(body.build(head, tail, Math.random())).toString()).toBe(head + tail)
    }
    const a = Buffer.from("abc")
    const b = Buffer.from("d".repeat(70_000))
    expect(crc32Combine(crc32(a), crc32(b), b.length)).toBe(crc32(Buffer.concat([a, b])))
  })

  it("a head longer than one stored block (64 KiB) splits into blocks that gzip(1) reads back", () => {
    const head = Array.from({ length: 9000 }, (_, i) => `pollect_probe_duration_seconds{source="s${i}"} 0.00${i}\n`).join("")
    expect(head.length).toBeGreaterThan(2 * 0xffff)
    const tail = 'pollect_loadavg{time="short"} 0.5\n'.repeat(5000)
    const zipped = new GzipBody().build(head, tail, 1)
    expect(gunzipSync(zipped).toString()).toBe(head + tail)
    const gzip = Bun.spawnSync(["gzip", "-d", "-c"], { stdin: zipped })
    expect(gzip.exitCode).toBe(0)
    expect(gzip.stdout.toString()).toBe(head + tail)
    // Stored blocks of at most 65535 bytes: each one byte of header (BFINAL 0, BTYPE 00), LEN, NLEN, then the bytes.
    const blocks = storedBlocks(Buffer.from(head))
    expect(blocks.length).toBe(head.length + Math.ceil(head.length / 0xffff) * 5)
    expect([...blocks.subarray(0, 5)]).toEqual([0, 0xff, 0xff, 0, 0])
    expect(storedBlocks(new Uint8Array(0)).length).toBe(0)
  })
})
