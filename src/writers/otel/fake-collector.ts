/**
 * A loopback OTLP/HTTP receiver for the tests: it decodes what arrives with the official
 * opentelemetry-proto definitions (testdata/proto/, loaded by protobufjs at run time, so the
 * writer's hand-written encoder is checked against the real schema, not against itself), both
 * protobuf and JSON, gzip or not, and answers as scripted (503 with Retry-After, 400, ...).
 *
 * Not built on test/helpers/fake-server.ts: serveFake reads bodies as text, which a binary
 * protobuf body does not survive.
 */
import { join } from "node:path"
import { gunzipSync } from "node:zlib"
import protobuf from "protobufjs"

const PROTO_DIR = join(import.meta.dir, "testdata", "proto")
const REQUEST = "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest"
const RESPONSE = "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse"

let rootPromise: Promise<protobuf.Root> | undefined

/** The official schema, compiled from the .proto files once per test process. */
export function otlpRoot(): Promise<protobuf.Root> {
  rootPromise ??= (async () => {
    const root = new protobuf.Root()
    root.resolvePath = (_origin, target) => join(PROTO_DIR, target)
    await root.load("opentelemetry/proto/collector/metrics/v1/metrics_service.proto")
    return root
  })()
  return rootPromise
}

/** protobufjs' plain-object form: 64-bit integers as decimal strings, enums as numbers, defaults left out. */
const AS_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: false, oneofs: false }

export interface ReceivedRequest {
  at: number
  headers: Headers
  /** `protobuf` or `json`, from Content-Type. */
  encoding: "protobuf" | "json"
  gzip: boolean
  /** The request decoded by the official schema (protobufjs' camelCase names). */
  decoded: any
  /** The JSON body as parsed, for checks of the JSON mapping itself (undefined for protobuf). */
  json?: any
}

export interface ScriptedAnswer {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface FakeCollector {
  /** `http://127.0.0.1:<port>/v1/metrics`. */
  readonly url: string
  readonly port: number
  readonly requests: ReceivedRequest[]
  /** Answers to give, in order, before the default 200. */
  readonly script: ScriptedAnswer[]
  /** Requests that could not be decoded (a test fails on any). */
  readonly undecodable: string[]
  /** One entry per data point: `name kind attributes value time`. */
  points(): string[]
  stop(): Promise<void>
}

/** One line per data point of a decoded request. */
export function pointLines(decoded: any): string[] {
  const lines: string[] = []
  for (const rm of decoded.resourceMetrics ?? [])
    for (const sm of rm.scopeMetrics ?? [])
      for (const metric of sm.metrics ?? []) {
        const kind = metric.sum ? "sum" : metric.gauge ? "gauge" : "other"
        for (const p of (metric.sum ?? metric.gauge)?.dataPoints ?? []) {
          const attrs = (p.attributes ?? []).map((kv: any) => `${kv.key}=${kv.value?.stringValue}`).join(",")
          lines.push(`${metric.name} ${kind} {${attrs}} ${p.asDouble} ${p.timeUnixNano}`)
        }
      }
  return lines
}

const INT64 = new Set(["int64", "uint64", "fixed64", "sfixed64", "sint64"])

/**
 * Where a JSON body breaks OTLP/JSON's rules, checked against the schema: every key must be a
 * field's lowerCamelCase name (protobufjs' fromObject would skip an unknown one silently),
 * 64-bit integers must be decimal strings, enums integers.
 */
export function jsonMappingProblems(type: protobuf.Type, object: any, path: string): string[] {
  const problems: string[] = []
  if (object === null || typeof object !== "object" || Array.isArray(object)) return [`${path || "the body"}: expected an object`]
  for (const [key, value] of Object.entries(object)) {
    const field = type.fields[key]
    const at = path ? `${path}.${key}` : key
    if (!field) {
      problems.push(`${at}: no such field in ${type.name}`)
      continue
    }
    const items = field.repeated ? (Array.isArray(value) ? value : [Symbol("not an array")]) : [value]
    for (const item of items) {
      if (field.resolvedType instanceof protobuf.Type) problems.push(...jsonMappingProblems(field.resolvedType, item, at))
      else if (field.resolvedType instanceof protobuf.Enum) {
        if (typeof item !== "number") problems.push(`${at}: an enum is an integer in OTLP/JSON, got ${JSON.stringify(item)}`)
      } else if (INT64.has(field.type)) {
        if (typeof item !== "string" || !/^-?\d+$/.test(item))
          problems.push(`${at}: a 64-bit integer is a decimal string in OTLP/JSON, got ${String(item)}`)
      }
    }
  }
  return problems
}

export async function startFakeCollector(options: { path?: string; port?: number } = {}): Promise<FakeCollector> {
  const root = await otlpRoot()
  const Request = root.lookupType(REQUEST)
  const Response_ = root.lookupType(RESPONSE)
  const path = options.path ?? "/v1/metrics"
  const requests: ReceivedRequest[] = []
  const script: ScriptedAnswer[] = []
  const undecodable: string[] = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    async fetch(request) {
      const url = new URL(request.url)
      if (request.method !== "POST" || url.pathname !== path) return new Response("not found", { status: 404 })
      let bytes = new Uint8Array(await request.arrayBuffer())
      const gzip = request.headers.get("content-encoding") === "gzip"
      const type = request.headers.get("content-type") ?? ""
      const encoding = type.startsWith("application/json") ? "json" : "protobuf"
      try {
        if (gzip) bytes = new Uint8Array(gunzipSync(bytes))
        let decoded: any
        let json: any
        if (encoding === "json") {
          json = JSON.parse(new TextDecoder().decode(bytes))
          const problems = jsonMappingProblems(Request, json, "")
          if (problems.length) throw new Error(`JSON does not fit the schema: ${problems.join("; ")}`)
          decoded = Request.toObject(Request.fromObject(json), AS_OBJECT)
        } else decoded = Request.toObject(Request.decode(bytes), AS_OBJECT)
        requests.push({ at: Date.now(), headers: request.headers, encoding, gzip, decoded, json })
      } catch (error) {
        undecodable.push(String(error))
        return new Response(`cannot decode: ${error}`, { status: 400 })
      }
      const answer = script.shift()
      if (answer) return new Response(answer.body ?? "", { status: answer.status, headers: answer.headers })
      const ok = encoding === "json" ? "{}" : Response_.encode(Response_.create({})).finish()
      return new Response(ok, { headers: { "content-type": encoding === "json" ? "application/json" : "application/x-protobuf" } })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}${path}`,
    port: server.port!,
    requests,
    script,
    undecodable,
    points: () => requests.flatMap((r) => pointLines(r.decoded)),
    stop: () => server.stop(true),
  }
}
