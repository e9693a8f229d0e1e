/**
 * A loopback remote_write receiver for tests: decodes each request with the reference tools
 * (snappyjs' block decoder and protobufjs with Prometheus' own remote.proto/types.proto from
 * testdata/proto), keeps what arrived, and answers as scripted (status, Retry-After, auth).
 */
import { join } from "node:path"
import protobuf from "protobufjs"
// @ts-expect-error: snappyjs ships no types
import SnappyJS from "snappyjs"

const root = protobuf.loadSync(join(import.meta.dir, "testdata/proto/remote.proto"))
const WriteRequest = root.lookupType("prometheus.WriteRequest")

export interface ReceivedSample {
  name: string
  /** Labels without `__name__`, in the order they arrived. */
  labels: Record<string, string>
  /** Label names as they arrived, `__name__` included (remote_write wants them sorted). */
  order: string[]
  value: number
  timestamp: number
  /** The value is a NaN (the writer's only NaN in these tests is the staleness marker). */
  stale: boolean
  /** `name{a="1",b="2"}`, labels sorted. */
  series: string
}

export interface ReceivedRequest {
  headers: Headers
  /** The snappy-compressed body as it came. */
  body: Uint8Array
  samples: ReceivedSample[]
}

/** One scripted answer: a status, with headers (`Retry-After`) and a body. */
export type Answer = number | { status: number; headers?: Record<string, string>; body?: string }

export interface FakeReceiverOptions {
  /** Answers of the first requests, in order; then 204. A refused request's samples are not kept. */
  answers?: Answer[]
  /** The `Authorization` header required; others get 401. */
  authorization?: string
  tls?: { cert: string; key: string }
  port?: number
}

export interface FakeReceiver {
  readonly url: string
  readonly port: number
  /** Accepted requests, in order. */
  readonly requests: ReceivedRequest[]
  /** Every request, accepted or not, with its status. */
  readonly attempts: { status: number; at: number; headers: Headers }[]
  /** Accepted samples, in order of arrival. */
  samples(): ReceivedSample[]
  stop(): Promise<void>
}

/** Decodes a remote_write body: snappy block, then WriteRequest. */
export function decodeBody(body: Uint8Array): ReceivedSample[] {
  const raw = new Uint8Array(SnappyJS.uncompress(body))
  const request = WriteRequest.toObject(WriteRequest.decode(raw), { longs: Number, defaults: true }) as {
    timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[]
  }
  const out: ReceivedSample[] = []
  for (const ts of request.timeseries) {
    const labels: Record<string, string> = {}
    let name = ""
    for (const { name: key, value } of ts.labels) {
      if (key === "__name__") name = value
      else labels[key] = value
    }
    const text = Object.keys(labels)
      .sort()
      .map((key) => `${key}="${labels[key]}"`)
      .join(",")
    for (const sample of ts.samples)
      out.push({
        name,
        labels,
        order: ts.labels.map((l) => l.name),
        value: sample.value,
        timestamp: Number(sample.timestamp),
        stale: Number.isNaN(sample.value),
        series: text ? `${name}{${text}}` : name,
      })
  }
  return out
}

export function startFakeReceiver(options: FakeReceiverOptions = {}): FakeReceiver {
  const answers = [...(options.answers ?? [])]
  const requests: ReceivedRequest[] = []
  const attempts: { status: number; at: number; headers: Headers }[] = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    tls: options.tls,
    async fetch(request) {
      const body = new Uint8Array(await request.arrayBuffer())
      if (options.authorization !== undefined && request.headers.get("authorization") !== options.authorization) {
        attempts.push({ status: 401, at: Date.now(), headers: request.headers })
        return new Response("authentication required\n", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="test"' } })
      }
      const next = answers.shift() ?? 204
      const answer = typeof next === "number" ? { status: next } : next
      attempts.push({ status: answer.status, at: Date.now(), headers: request.headers })
      if (answer.status < 300) {
        try {
          requests.push({ headers: request.headers, body, samples: decodeBody(body) })
        } catch (error) {
          return new Response(`cannot decode: ${error}`, { status: 400 })
        }
      }
      return new Response(answer.body ?? (answer.status < 300 ? null : `scripted ${answer.status}\n`), {
        status: answer.status,
        headers: answer.headers,
      })
    },
  })
  const scheme = options.tls ? "https" : "http"
  return {
    url: `${scheme}://127.0.0.1:${server.port}/api/v1/write`,
    port: server.port ?? 0,
    requests,
    attempts,
    samples: () => requests.flatMap((r) => r.samples),
    stop: async () => {
      await server.stop(true)
    },
  }
}
