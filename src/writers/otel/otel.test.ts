import { afterEach, describe, expect, it } from "bun:test"
import { readdirSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import * as v from "valibot"
import { version, ValueSet, type SourceResult } from "../../api.ts"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { resultOf, tempDir, writerContext } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { pointLines, startFakeCollector, type FakeCollector } from "./fake-collector.ts"
import { OtelWriter, type OtelTiming } from "./index.ts"
import type { Env } from "./otlp-config.ts"

const collectors: FakeCollector[] = []
const writers: OtelWriter[] = []
afterEach(async () => {
  for (const w of writers.splice(0)) await w.stop()
  for (const c of collectors.splice(0)) await c.stop()
})

async function collector(): Promise<FakeCollector> {
  const c = await startFakeCollector()
  collectors.push(c)
  return c
}

/** A writer built as pollect builds it, with its own environment, fast timing, a log and self-metrics to look at. */
function otel(
  config: Record<string, unknown>,
  env: Env = {},
  timing: Partial<OtelTiming> = { backoffMinMs: 20, backoffMaxMs: 100, stopGraceMs: 300 },
) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const ctx = writerContext({ log: createLogger({ level: "debug", write: (line) => lines.push(line) }), selfMetrics })
  const writer = new OtelWriter({ type: "Otel", ...v.parse(OtelWriter.options, config) } as never, ctx, env, timing)
  writers.push(writer)
  if (!writer.otlp.problems.length) writer.start()
  const sent = () =>
    selfMetrics
      .snapshot()
      .counters.get("pollect_points_sent_total")
      ?.get(JSON.stringify({ writer: "Otel" })) ?? 0
  const dropped = () =>
    selfMetrics
      .snapshot()
      .counters.get("pollect_points_dropped_total")
      ?.get(JSON.stringify({ writer: "Otel" })) ?? 0
  const invalid = () =>
    selfMetrics
      .snapshot()
      .counters.get("pollect_points_invalid_total")
      ?.get(JSON.stringify({ writer: "Otel" })) ?? 0
  return { writer, lines, sent, dropped, invalid, selfMetrics, warnings: () => lines.filter((l) => / (WARN|ERROR) /.test(l)) }
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end && !check()) await Bun.sleep(10)
  return check()
}

const T0 = 1_700_000_000

/** A tick of LoadAvg-like gauges (one set, label `time`, unnamed values) and Interface-like counters. */
function tick(time: number, sent = 1000): SourceResult[] {
  const load = new ValueSet(["time"], { unit: "ratio", help: "Load average" }).add(0.5, ["short"]).add(0.25, ["mid"])
  const bytes = new ValueSet(["interface"], { kind: "counter", unit: "bytes", help: "Bytes sent" })
    .add(sent, ["eth0"], "total_bytes_sent")
    .add(7, ["eth0"], "total_bytes_recv")
  return [
    resultOf(load, { type: "LoadAvg", time }),
    resultOf(bytes, { type: "Interface", name: "wan", labels: { site: "home" }, time, id: "executors[0].sources[1]" }),
  ]
}

const metricsOf = (c: FakeCollector, request = 0): any[] => c.requests[request]!.decoded.resourceMetrics[0].scopeMetrics[0].metrics
const attrs = (list: any[] | undefined) => Object.fromEntries((list ?? []).map((kv: any) => [kv.key, kv.value.stringValue]))

writerConformance({
  type: "Otel",
  cls: OtelWriter,
  dir: import.meta.dir,
  peer: async () => {
    const c = await startFakeCollector()
    return { config: { endpoint: c.url }, received: () => c.points(), close: () => c.stop() }
  },
})

describe("Otel: what arrives, decoded with the official opentelemetry-proto definitions", () => {
  for (const protocol of ["http/protobuf", "http/json"] as const) {
    it(`${protocol}: names, attributes, kinds, units, times and the resource`, async () => {
      const c = await collector()
      const { writer } = otel({ endpoint: c.url, protocol })
      writer.write(tick(T0))
      expect(await until(() => c.requests.length === 1)).toBe(true)
      expect(c.undecodable).toEqual([])
      const request = c.requests[0]!
      expect(request.encoding).toBe(protocol === "http/json" ? "json" : "protobuf")
      expect(request.headers.get("content-type")).toBe(protocol === "http/json" ? "application/json" : "application/x-protobuf")
      const rm = request.decoded.resourceMetrics
      expect(rm).toHaveLength(1)
      expect(attrs(rm[0].resource.attributes)).toEqual({ "service.name": "pollect", "service.version": version, "host.name": hostname() })
      expect(rm[0].scopeMetrics[0].scope).toEqual({ name: "pollect", version })

      const metrics = metricsOf(c)
      expect(metrics.map((m) => m.name)).toEqual([
        "pollect.loadavg",
        "pollect.interface.wan.total_bytes_sent",
        "pollect.interface.wan.total_bytes_recv",
      ])
      const [load, sent] = metrics
      // A gauge: no start time, the set's help and unit (ratio → "1").
      expect(load).toMatchObject({ description: "Load average", unit: "1" })
      expect(load.sum).toBeUndefined()
      expect(load.gauge.dataPoints).toEqual([
        { attributes: [{ key: "time", value: { stringValue: "short" } }], timeUnixNano: `${T0}000000000`, asDouble: 0.5 },
        { attributes: [{ key: "time", value: { stringValue: "mid" } }], timeUnixNano: `${T0}000000000`, asDouble: 0.25 },
      ])
      // A declared counter: a cumulative (2) monotonic Sum with a start time; static labels after the set's.
      expect(sent).toMatchObject({ description: "Bytes sent", unit: "By" })
      expect(sent.gauge).toBeUndefined()
      expect(sent.sum.aggregationTemporality).toBe(2)
      expect(sent.sum.isMonotonic).toBe(true)
      expect(sent.sum.dataPoints).toEqual([
        {
          attributes: [
            { key: "interface", value: { stringValue: "eth0" } },
            { key: "site", value: { stringValue: "home" } },
          ],
          startTimeUnixNano: `${T0}000000000`,
          timeUnixNano: `${T0}000000000`,
          asDouble: 1000,
        },
      ])
    })
  }

  it("JSON and protobuf carry the same request; the JSON keeps OTLP/JSON's rules (camelCase, int64 as strings, enums as integers)", async () => {
    const c = await collector()
    for (const protocol of ["http/protobuf", "http/json"] as const) {
      const { writer } = otel({ endpoint: c.url, protocol })
      writer.write(tick(T0 + 0.25))
      await writer.stop()
    }
    expect(c.undecodable).toEqual([])
    expect(c.requests.map((r) => r.encoding)).toEqual(["protobuf", "json"])
    expect(c.requests[1]!.decoded).toEqual(c.requests[0]!.decoded)
    const sum = c.requests[1]!.json.resourceMetrics[0].scopeMetrics[0].metrics[1].sum
    expect(sum.aggregationTemporality).toBe(2)
    expect(sum.dataPoints[0].timeUnixNano).toBe(`${T0}250000000`) // nanoseconds, as a string
    expect(sum.dataPoints[0].startTimeUnixNano).toBe(`${T0}250000000`)
  })

  it("a counter's start time is when its series was first seen, kept across ticks; a lower value restarts it", async () => {
    const c = await collector()
    const { writer } = otel({ endpoint: c.url })
    writer.write(tick(T0, 1000))
    expect(await until(() => c.requests.length === 1)).toBe(true)
    writer.write(tick(T0 + 30, 2000))
    expect(await until(() => c.requests.length === 2)).toBe(true)
    writer.write(tick(T0 + 60, 10)) // the counter went back: a reset
    expect(await until(() => c.requests.length === 3)).toBe(true)
    const sent = (i: number) => metricsOf(c, i)[1].sum.dataPoints[0]
    expect([0, 1, 2].map((i) => [sent(i).startTimeUnixNano, sent(i).timeUnixNano, sent(i).asDouble])).toEqual([
      [`${T0}000000000`, `${T0}000000000`, 1000],
      [`${T0}000000000`, `${T0 + 30}000000000`, 2000],
      [`${T0 + 60}000000000`, `${T0 + 60}000000000`, 10],
    ])
    // The other counter kept its own start.
    expect(metricsOf(c, 2)[2].sum.dataPoints[0].startTimeUnixNano).toBe(`${T0}000000000`)
  })

  it("two values of one source never share a metric; a failed source sends nothing; NaN is left out and counted", async () => {
    const c = await collector()
    const { writer, invalid } = otel({ endpoint: c.url })
    const multi = new ValueSet().add(1, [], "a").add(2, [], "b").add(Number.NaN, [], "c")
    writer.write([
      resultOf(multi, { type: "Multi", name: "x" }),
      { ...resultOf(new ValueSet().add(5, [], "gone"), { type: "Broken", id: "b" }), sets: [], error: "down" },
    ])
    expect(await until(() => c.requests.length === 1)).toBe(true)
    expect(c.points()).toEqual([`pollect.multi.x.a gauge {} 1 1508478781000000000`, `pollect.multi.x.b gauge {} 2 1508478781000000000`])
    expect(invalid()).toBe(1)
  })

  it("non-ASCII label values and many points (the encoder's buffer grows) decode intact", async () => {
    const c = await collector()
    const { writer } = otel({ endpoint: c.url })
    const set = new ValueSet(["room"])
    for (let i = 0; i < 20_000; i++) set.add(i, [i === 0 ? "Küche 🌡" : `room-${i}`], `v${i % 3}`)
    writer.write([resultOf(set, { type: "Rooms" })])
    expect(await until(() => c.points().length === 20_000)).toBe(true)
    expect(c.requests.length).toBe(3) // 8192 points per request at most
    expect(c.points()).toContain(`pollect.rooms.v0 gauge {room=Küche 🌡} 0 1508478781000000000`)
    expect(c.points()).toContain(`pollect.rooms.v2 gauge {room=room-19997} 19997 1508478781000000000`)
  })

  for (const protocol of ["http/protobuf", "http/json"] as const) {
    it(`${protocol} with gzip: Content-Encoding gzip, the body decodes`, async () => {
      const c = await collector()
      const { writer } = otel({ endpoint: c.url, protocol, compression: "gzip" })
      writer.write(tick(T0))
      expect(await until(() => c.requests.length === 1)).toBe(true)
      expect(c.requests[0]!.gzip).toBe(true)
      expect(c.requests[0]!.headers.get("content-encoding")).toBe("gzip")
      expect(c.points()).toHaveLength(4)
    })
  }
})

describe("Otel: configuration from the environment and the keys", () => {
  it("headers from OTEL_EXPORTER_OTLP_HEADERS (percent-decoded), the metrics-specific variable and the key, in that precedence", async () => {
    const c = await collector()
    const { writer } = otel(
      { endpoint: c.url, headers: { "X-From-Key": "key", "X-Both": "key wins" } },
      {
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Basic%20eHh4OnNlY3JldA==, X-Generic=g,X-Both=generic,X-Metrics=generic",
        OTEL_EXPORTER_OTLP_METRICS_HEADERS: "X-Metrics=metrics%2Cwins",
      },
    )
    writer.write(tick(T0))
    expect(await until(() => c.requests.length === 1)).toBe(true)
    const h = c.requests[0]!.headers
    expect([h.get("authorization"), h.get("x-generic"), h.get("x-metrics"), h.get("x-from-key"), h.get("x-both")]).toEqual([
      "Basic eHh4OnNlY3JldA==",
      "g",
      "metrics,wins",
      "key",
      "key wins",
    ])
  })

  it("the generic endpoint gets /v1/metrics, the metrics endpoint is used as given, the key wins over both", async () => {
    const c = await startFakeCollector({ path: "/custom/otlp" })
    collectors.push(c)
    const base = c.url.replace("/custom/otlp", "")
    const generic = await collector()
    const genericBase = generic.url.replace("/v1/metrics", "")
    // Metrics-specific wins over generic, as given (no /v1/metrics appended).
    let w = otel({}, { OTEL_EXPORTER_OTLP_ENDPOINT: genericBase, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${base}/custom/otlp` }).writer
    w.write(tick(T0))
    expect(await until(() => c.requests.length === 1)).toBe(true)
    // Generic alone: /v1/metrics appended (a trailing slash too).
    w = otel({}, { OTEL_EXPORTER_OTLP_ENDPOINT: genericBase + "/" }).writer
    w.write(tick(T0))
    expect(await until(() => generic.requests.length === 1)).toBe(true)
    // The key wins over the variables.
    w = otel({ endpoint: generic.url }, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${base}/custom/otlp` }).writer
    w.write(tick(T0))
    expect(await until(() => generic.requests.length === 2)).toBe(true)
    expect(c.requests.length).toBe(1)
  })

  it("protocol and compression from the environment; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES shape the resource", async () => {
    const c = await collector()
    const { writer } = otel(
      { endpoint: c.url, resourceAttributes: { "deployment.environment.name": "home" } },
      {
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/json",
        OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
        OTEL_RESOURCE_ATTRIBUTES: "service.name=ignored,host.name=nas%201,rack=r2",
        OTEL_SERVICE_NAME: "pollect-nas",
      },
    )
    writer.write(tick(T0))
    expect(await until(() => c.requests.length === 1)).toBe(true)
    expect([c.requests[0]!.encoding, c.requests[0]!.gzip]).toEqual(["json", true])
    expect(attrs(c.requests[0]!.decoded.resourceMetrics[0].resource.attributes)).toEqual({
      "service.name": "pollect-nas",
      "service.version": version,
      "host.name": "nas 1",
      rack: "r2",
      "deployment.environment.name": "home",
    })
  })

  it("grpc is refused at start with a reason; a bad timeout is one warning", () => {
    expect(() => otel({}, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }).writer.start()).toThrow(/grpc is not supported/)
    const { writer, warnings } = otel({}, { OTEL_EXPORTER_OTLP_TIMEOUT: "soon" })
    expect(writer.otlp.timeoutMs).toBe(10_000)
    expect(warnings()).toEqual([expect.stringContaining('OTEL_EXPORTER_OTLP_TIMEOUT: expected milliseconds, got "soon"')])
  })

  it("header values never reach the log, even when the collector echoes them", async () => {
    const c = await collector()
    const token = "Bearer s3cr3t-t0ken-from-env"
    const { writer, lines } = otel({ endpoint: c.url }, { OTEL_EXPORTER_OTLP_HEADERS: `Authorization=${encodeURIComponent(token)}` })
    c.script.push({ status: 401, body: `unauthorized: ${token}` })
    writer.write(tick(T0))
    expect(await until(() => lines.some((l) => l.includes("HTTP 401")))).toBe(true)
    expect(lines.join("\n")).not.toContain("s3cr3t-t0ken-from-env")
    expect(lines.join("\n")).toContain("unauthorized: ***")
  })
})

describe("Otel: delivery (lib/queue's loop, OTLP's retry rules)", () => {
  it("a 503 with Retry-After: 1 is retried after a second, then delivered once, nothing dropped", async () => {
    const c = await collector()
    const { writer, dropped, sent } = otel({ endpoint: c.url })
    c.script.push({ status: 503, headers: { "retry-after": "1" }, body: "overloaded" })
    writer.write(tick(T0))
    expect(await until(() => c.requests.length === 2, 5000)).toBe(true)
    const waited = c.requests[1]!.at - c.requests[0]!.at
    expect(waited).toBeGreaterThanOrEqual(950)
    expect(waited).toBeLessThan(3000)
    expect(await until(() => sent() === 4)).toBe(true)
    expect(dropped()).toBe(0)
  })

  it("429, 502 and 504 without Retry-After are retried with backoff; one warning, then the recovery", async () => {
    const c = await collector()
    const { writer, dropped, lines, sent } = otel({ endpoint: c.url })
    c.script.push({ status: 429 }, { status: 502 }, { status: 504 })
    writer.write(tick(T0))
    expect(await until(() => sent() === 4)).toBe(true)
    expect(c.requests.length).toBe(4)
    expect(dropped()).toBe(0)
    expect(lines.filter((l) => l.includes(" WARN "))).toHaveLength(1)
    expect(lines.some((l) => l.includes("INFO") && l.includes("answers again"))).toBe(true)
  })

  it("a 400 (and a 500: OTLP retries only 429/502/503/504) is not retried: one clear error with the status and the body's first bytes, dropped and counted", async () => {
    const c = await collector()
    const { writer, dropped, lines } = otel({ endpoint: c.url })
    c.script.push({ status: 400, body: `invalid metric name${"x".repeat(1000)}` }, { status: 500, body: "boom" })
    writer.write(tick(T0))
    writer.write(tick(T0 + 30))
    expect(await until(() => dropped() === 8)).toBe(true)
    await Bun.sleep(100)
    expect(c.requests.length).toBe(2)
    const errors = lines.filter((l) => l.includes(" ERROR "))
    expect(errors).toHaveLength(2)
    expect(errors[0]).toContain("HTTP 400: invalid metric name")
    expect(errors[0]!.length).toBeLessThan(600) // the body is cut
    expect(errors[1]).toContain("HTTP 500: boom")
  })

  it("a receiver that is down: no crash, one warning, points wait in the durable queue and arrive, in order, once it is up", async () => {
    const port = freePort()
    const { writer, dropped, warnings, lines, sent, selfMetrics } = otel({ endpoint: `http://127.0.0.1:${port}/v1/metrics` })
    for (let i = 0; i < 5; i++) writer.write(tick(T0 + i * 30))
    await Bun.sleep(300)
    expect(warnings()).toHaveLength(1)
    expect(warnings()[0]).toContain("127.0.0.1")
    expect(
      selfMetrics
        .snapshot()
        .gauges.get("pollect_queue_points")
        ?.get(JSON.stringify({ writer: "Otel" })),
    ).toBe(20)
    const c = await startFakeCollector({ port })
    collectors.push(c)
    expect(await until(() => sent() === 20)).toBe(true)
    expect(dropped()).toBe(0)
    expect(c.requests.map((r) => pointLines(r.decoded)[0]!.split(" ").at(-1))).toEqual(
      [0, 1, 2, 3, 4].map((i) => `${T0 + i * 30}000000000`),
    )
    expect(lines.join("\n")).not.toContain("    at ") // no stack trace
  })

  it("queue: false keeps points in memory; at stop what the collector did not take is dropped and counted", async () => {
    const hanging = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) })
    try {
      const { writer, dropped } = otel({ endpoint: `http://127.0.0.1:${hanging.port}/v1/metrics`, queue: false })
      writer.write(tick(T0))
      await Bun.sleep(20)
      const started = Date.now()
      await writer.stop()
      expect(Date.now() - started).toBeLessThan(1500) // the grace (300 ms here), not the request's 10 s timeout
      expect(dropped()).toBe(4)
      writer.write(tick(T0 + 1)) // after stop: ignored, no throw
    } finally {
      hanging.stop(true)
    }
  })

  it("stop() sends what is queued", async () => {
    const c = await collector()
    const { writer } = otel({ endpoint: c.url })
    writer.write(tick(T0))
    await writer.stop()
    expect(c.points()).toHaveLength(4)
  })

  it("a request past `timeout` is retried", async () => {
    let calls = 0
    const slow = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async () => {
        if (++calls === 1) await Bun.sleep(500)
        return new Response("")
      },
    })
    try {
      const { writer, dropped, sent } = otel({ endpoint: `http://127.0.0.1:${slow.port}/v1/metrics`, timeout: 100 })
      writer.write(tick(T0))
      expect(await until(() => sent() === 4)).toBe(true)
      expect(calls).toBe(2)
      expect(dropped()).toBe(0)
    } finally {
      slow.stop(true)
    }
  })
})

describe("Otel: the writer's own state", () => {
  it("status and pending before start, after start and after stop; a write before start or after stop sends nothing", async () => {
    const c = await collector()
    const ctx = writerContext({})
    const writer = new OtelWriter({ type: "Otel", ...v.parse(OtelWriter.options, { endpoint: c.url, queue: false }) } as never, ctx, {}, {})
    writers.push(writer)
    expect(writer.status()).toEqual({ state: "connecting", detail: c.url })
    expect(writer.pending).toBe(false)
    writer.write(tick(T0))
    writer.start()
    writer.start()
    expect(writer.status().state).toBe("ok")
    await writer.stop()
    writer.write(tick(T0 + 1))
    await Bun.sleep(50)
    expect(c.requests).toEqual([])
    expect(writer.status().state).toBe("stopped")
    const never = new OtelWriter({ type: "Otel", ...v.parse(OtelWriter.options, { endpoint: c.url, queue: false }) } as never, ctx, {}, {})
    await never.stop()
    expect(never.status()).toEqual({ state: "stopped", detail: c.url })
    // A start() after stop() starts nothing, even when the writer had never started.
    never.start()
    expect(never.status()).toEqual({ state: "stopped", detail: c.url })
    expect(never.pending).toBe(false)
  })

  it("a second start() keeps the one delivery: what waits for a collector that is down is dropped and counted at stop", async () => {
    const { writer, dropped } = otel({ endpoint: `http://127.0.0.1:${freePort()}/v1/metrics`, queue: false })
    writer.write(tick(T0))
    expect(writer.pending).toBe(true)
    writer.start()
    expect(writer.pending).toBe(true)
    await writer.stop()
    expect(dropped()).toBe(4)
  })

  it("the default timing: a 503 without Retry-After is retried after about a second; a batch waiting in memory keeps its body while the next tick is encoded", async () => {
    const c = await collector()
    c.script.push({ status: 503 })
    const { writer, sent } = otel({ endpoint: c.url, queue: false }, {}, {})
    writer.write(tick(T0, 1000))
    expect(await until(() => c.requests.length === 1)).toBe(true)
    // Encoded into the same reused buffer while the first batch waits for its retry.
    writer.write(tick(T0 + 30, 2000))
    expect(await until(() => c.requests.length === 3, 4000)).toBe(true)
    const waited = c.requests[1]!.at - c.requests[0]!.at
    expect(waited).toBeGreaterThanOrEqual(700)
    expect(waited).toBeLessThan(3000)
    const bytesSent = (r: number) => pointLines(c.requests[r]!.decoded).find((line) => line.includes("total_bytes_sent"))
    expect([bytesSent(0), bytesSent(1), bytesSent(2)]).toEqual([
      expect.stringContaining(" 1000"),
      expect.stringContaining(" 1000"),
      expect.stringContaining(" 2000"),
    ])
    expect(await until(() => sent() === 8)).toBe(true)
  })

  it("pending while a request waits for the collector", async () => {
    const c = await collector()
    c.script.push({ status: 503 }, { status: 503 }, { status: 503 })
    const { writer } = otel({ endpoint: c.url, queue: false })
    writer.write(tick(T0))
    expect(writer.pending).toBe(true)
    expect(await until(() => !writer.pending)).toBe(true)
    expect(c.requests.length).toBe(4)
  })

  it("a tick with nothing to send sends no request; a clean one counts nothing invalid (not even 0)", async () => {
    const c = await collector()
    const { writer, selfMetrics } = otel({ endpoint: c.url, queue: false })
    writer.write([{ ...resultOf(null, { type: "Down" }), error: "down" }])
    writer.write(tick(T0))
    expect(await until(() => c.requests.length === 1)).toBe(true)
    await Bun.sleep(50)
    expect(c.requests.length).toBe(1)
    expect(selfMetrics.snapshot().counters.get("pollect_points_invalid_total")).toBeUndefined()
  })

  it("two ticks queued before the first is sent keep their own bodies (the encoder's buffer is reused)", async () => {
    const c = await collector()
    const { writer } = otel({ endpoint: c.url, queue: false })
    writer.write(tick(T0, 1000))
    writer.write(tick(T0 + 30, 2000))
    expect(await until(() => c.requests.length === 2)).toBe(true)
    const sent = (r: number) => pointLines(c.requests[r]!.decoded).find((line) => line.includes("total_bytes_sent"))
    expect([sent(0), sent(1)]).toEqual([expect.stringContaining(" 1000"), expect.stringContaining(" 2000")])
  })

  it("User-Agent pollect/<version>; JSON leaves out an empty unit and description (proto3's JSON mapping)", async () => {
    const c = await collector()
    const { writer } = otel({ endpoint: c.url, protocol: "http/json", queue: false })
    writer.write([resultOf(new ValueSet().add(1, [], "plain"), { type: "Bare" })])
    expect(await until(() => c.requests.length === 1)).toBe(true)
    expect(c.requests[0]!.headers.get("user-agent")).toBe(`pollect/${version}`)
    const metric = c.requests[0]!.json.resourceMetrics[0].scopeMetrics[0].metrics[0]
    expect(Object.keys(metric)).toEqual(["name", "gauge"])
  })

  it("every problem is in the start's error; the queue is <stateDir>/queue/otel-<hash> of endpoint, protocol and compression", async () => {
    const { writer: bad } = otel({ endpoint: "ftp://x/v1/metrics" }, { OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })
    expect(() => bad.start()).toThrow(/^Otel: .*must be an http:\/\/ or https:\/\/ URL; .*grpc is not supported/)
    const stateDir = tempDir()
    for (const config of [{}, { protocol: "http/json" }, { compression: "gzip" }, {}]) {
      const w = new OtelWriter(
        { type: "Otel", ...v.parse(OtelWriter.options, { endpoint: "http://127.0.0.1:1/v1/metrics", ...config }) } as never,
        writerContext({ stateDir }),
        {},
        {},
      )
      writers.push(w)
      w.start()
    }
    const dirs = readdirSync(join(stateDir, "queue"))
    expect(dirs).toHaveLength(3)
    expect(dirs.every((dir) => /^otel-[0-9a-f]+$/.test(dir))).toBe(true)
  })
})
