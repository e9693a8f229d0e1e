import { describe, expect, it } from "bun:test"
import { otlpOutcome } from "./http-export.ts"
import { appendMetricsPath, displayUrl, parseKeyValueList, resolveOtlpConfig, resourceAttributes } from "./otlp-config.ts"
import { ucumUnit } from "./points.ts"

describe("Otel: resolveOtlpConfig (the SDKs' environment rules)", () => {
  it("defaults: localhost:4318/v1/metrics, protobuf, no compression, 10 s", () => {
    const c = resolveOtlpConfig({}, {})
    expect([c.url.href, c.protocol, c.compression, c.timeoutMs, c.headers, c.problems, c.warnings]).toEqual([
      "http://localhost:4318/v1/metrics",
      "http/protobuf",
      "none",
      10_000,
      {},
      [],
      [],
    ])
  })

  it("endpoint: key (a bare origin gets /v1/metrics) > METRICS_ENDPOINT (as given) > ENDPOINT (+ /v1/metrics)", () => {
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://gen:4318/base", OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "http://met:4318/custom" }
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://gen:4318/base/" }).url.href).toBe("http://gen:4318/base/v1/metrics")
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "http://gen:4318" }).url.href).toBe("http://gen:4318/v1/metrics")
    expect(resolveOtlpConfig({}, env).url.href).toBe("http://met:4318/custom")
    expect(resolveOtlpConfig({}, { ...env, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "  " }).url.href).toBe("http://gen:4318/base/v1/metrics")
    expect(resolveOtlpConfig({ endpoint: "http://key:4318" }, env).url.href).toBe("http://key:4318/v1/metrics")
    expect(resolveOtlpConfig({ endpoint: "http://key:4318/otlp/v1/metrics" }, env).url.href).toBe("http://key:4318/otlp/v1/metrics")
    expect(appendMetricsPath("http://a//")).toBe("http://a/v1/metrics")
  })

  it("signal-specific variables win over generic ones, keys over both", () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_COMPRESSION: "none",
      OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_TIMEOUT: "1000",
      OTEL_EXPORTER_OTLP_METRICS_TIMEOUT: "2500",
    }
    const fromEnv = resolveOtlpConfig({}, env)
    expect([fromEnv.protocol, fromEnv.compression, fromEnv.timeoutMs]).toEqual(["http/protobuf", "gzip", 2500])
    const generic = resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_EXPORTER_OTLP_TIMEOUT: "1000" })
    expect([generic.protocol, generic.timeoutMs]).toEqual(["http/json", 1000])
    const keys = resolveOtlpConfig({ protocol: "http/json", compression: "none", timeout: 42 }, env)
    expect([keys.protocol, keys.compression, keys.timeoutMs]).toEqual(["http/json", "none", 42])
  })

  it("headers merge per (case-insensitive) name: generic, metrics-specific, key", () => {
    const c = resolveOtlpConfig(
      { headers: { "X-Key": "k", authorization: "from key" } },
      { OTEL_EXPORTER_OTLP_HEADERS: "Authorization=generic,A=1", OTEL_EXPORTER_OTLP_METRICS_HEADERS: "a=2,B=%3D%20x" },
    )
    expect(c.headers).toEqual({ authorization: "from key", a: "2", b: "= x", "x-key": "k" })
  })

  it("bad values warn without repeating them; grpc and a non-http endpoint are problems", () => {
    const warnings: string[] = []
    expect(parseKeyValueList("a=1,broken-secret-entry,=x,b=%E0%A4%A,,c= spaced ", "H", warnings)).toEqual({
      a: "1",
      b: "%E0%A4%A",
      c: "spaced",
    })
    expect(warnings).toEqual([
      "H: entry 2 is not key=value; ignored",
      "H: entry 3 is not key=value; ignored",
      "H: the value of b is not valid percent-encoding; used as written",
    ])
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: "grpc" }).problems).toEqual([
      "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: grpc is not supported; use http/protobuf (port 4318) or http/json",
    ])
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://x" }).problems).toEqual([
      "OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:// or https:// URL",
    ])
    expect(resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "not a url" }).problems).toEqual([
      "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: not a URL",
    ])
    const odd = resolveOtlpConfig(
      {},
      { OTEL_EXPORTER_OTLP_PROTOCOL: "thrift", OTEL_EXPORTER_OTLP_COMPRESSION: "zstd", OTEL_EXPORTER_OTLP_TIMEOUT: "-5" },
    )
    expect([odd.protocol, odd.compression, odd.timeoutMs, odd.warnings.length]).toEqual(["http/protobuf", "none", 10_000, 3])
  })

  it("the warnings and problems word for word, naming the variable (or key) they come from", () => {
    const odd = resolveOtlpConfig(
      {},
      {
        OTEL_EXPORTER_OTLP_PROTOCOL: "thrift",
        OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: "zstd",
        OTEL_EXPORTER_OTLP_TIMEOUT: "0",
        OTEL_EXPORTER_OTLP_HEADERS: "novalue",
        OTEL_RESOURCE_ATTRIBUTES: "=x",
      },
    )
    expect([odd.timeoutMs, odd.warnings]).toEqual([
      10_000,
      [
        "OTEL_EXPORTER_OTLP_HEADERS: entry 1 is not key=value; ignored",
        'OTEL_EXPORTER_OTLP_PROTOCOL: unknown protocol "thrift"; using http/protobuf',
        'OTEL_EXPORTER_OTLP_METRICS_COMPRESSION: unknown compression "zstd"; sending uncompressed',
        'OTEL_EXPORTER_OTLP_TIMEOUT: expected milliseconds, got "0"; using 10000',
        "OTEL_RESOURCE_ATTRIBUTES: entry 1 is not key=value; ignored",
      ],
    ])
    expect(resolveOtlpConfig({ endpoint: "http://[bad" }, {}).problems).toEqual(["endpoint: not a URL"])
    expect(resolveOtlpConfig({ endpoint: "ftp://x/v1/metrics" }, {}).problems).toEqual(["endpoint: must be an http:// or https:// URL"])
  })

  it("the explicit defaults and https are no warning; values are trimmed; only a bare origin gets /v1/metrics", () => {
    const c = resolveOtlpConfig(
      { protocol: "http/protobuf", compression: "none" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: " https://gen:4318 ", OTEL_SERVICE_NAME: " svc ", OTEL_EXPORTER_OTLP_HEADERS: " a = 1 , ,b=2" },
    )
    expect([c.url.href, c.warnings, c.problems, c.resource, c.headers]).toEqual([
      "https://gen:4318/v1/metrics",
      [],
      [],
      { "service.name": "svc" },
      { a: "1", b: "2" },
    ])
    const fromEnv = resolveOtlpConfig({}, { OTEL_EXPORTER_OTLP_PROTOCOL: " http/json ", OTEL_EXPORTER_OTLP_COMPRESSION: "gzip " })
    expect([fromEnv.protocol, fromEnv.compression, fromEnv.warnings]).toEqual(["http/json", "gzip", []])
    expect(resolveOtlpConfig({ protocol: "http/json", compression: "gzip" }, {}).warnings).toEqual([])
    expect(resolveOtlpConfig({ endpoint: "http://p/fwd/http://a" }, {}).url.href).toBe("http://p/fwd/http://a")
    expect(displayUrl(new URL("https://user:pw@collector:4318/otlp/v1/metrics?token=t#x"))).toBe("https://collector:4318/otlp/v1/metrics")
  })

  it("resource: pollect's defaults under OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME over its service.name, the key over all", () => {
    const c = resolveOtlpConfig(
      { resourceAttributes: { "host.name": "from-key" } },
      { OTEL_RESOURCE_ATTRIBUTES: "service.name=a,host.name=b,x=%C3%BC", OTEL_SERVICE_NAME: "svc" },
    )
    expect(resourceAttributes(c.resource, "1.2.3", "box")).toEqual({
      "service.name": "svc",
      "service.version": "1.2.3",
      "host.name": "from-key",
      x: "ü",
    })
    expect(resourceAttributes(resolveOtlpConfig({}, {}).resource, "1.2.3", "box")).toEqual({
      "service.name": "pollect",
      "service.version": "1.2.3",
      "host.name": "box",
    })
  })
})

describe("Otel: answers and units", () => {
  it("OTLP's retry rules: 429/502/503/504 retried (Retry-After in seconds or as a date), every other failure not", async () => {
    const now = Date.parse("Wed, 21 Oct 2026 07:28:00 GMT")
    const answer = (status: number, headers: Record<string, string> = {}) => otlpOutcome(new Response("why", { status, headers }), now)
    expect(await answer(200)).toEqual({ ok: true })
    expect(await answer(503, { "retry-after": "120" })).toEqual({ ok: false, retry: true, why: "HTTP 503: why", afterMs: 120_000 })
    expect(await answer(429, { "retry-after": "Wed, 21 Oct 2026 07:28:30 GMT" })).toMatchObject({ retry: true, afterMs: 30_000 })
    for (const status of [502, 504]) expect(await answer(status)).toMatchObject({ ok: false, retry: true })
    for (const status of [400, 401, 404, 413, 500, 501])
      expect(await answer(status)).toEqual({ ok: false, retry: false, why: `HTTP ${status}: why` })
  })

  it("declared units in UCUM", () => {
    const units = ["seconds", "milliseconds", "bytes", "bytes_per_second", "bits_per_second", "per_second", "celsius", "percent", "ratio"]
    expect(units.map(ucumUnit)).toEqual(["s", "ms", "By", "By/s", "bit/s", "1/s", "Cel", "%", "1"])
    expect(["amperes", "volts", "watts", "joules", "hours", "minutes", "kilometers", "rpm", "lux", undefined, "ms"].map(ucumUnit)).toEqual([
      "A",
      "V",
      "W",
      "J",
      "h",
      "min",
      "km",
      "{rpm}",
      "{lux}",
      "",
      "ms",
    ])
  })
})
