/** The push endpoint on loopback (port 0): methods, token, body limits, replies and refusals; readBody and bearerMatches alone. */
import { afterEach, describe, expect, it } from "bun:test"
import type { Server } from "bun"
import { bearerMatches, readBody, startPushServer } from "./push-server.ts"
import { type MetricDefinition, PushError, type Update } from "./update.ts"

const definitions = new Map<string, MetricDefinition>([["hits", { type: "counter", labels: ["host"] }]])

const running: Server<undefined>[] = []
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop(true)
})

/** A push server on a free loopback port; what it applied and refused. */
function serve(extra: { token?: string; maxBodyBytes?: number; apply?: (updates: Update[]) => void } = {}) {
  const applied: Update[][] = []
  const refused: PushError[] = []
  const server = startPushServer({
    host: "127.0.0.1",
    port: 0,
    token: extra.token,
    maxBodyBytes: extra.maxBodyBytes ?? 1000,
    definitions,
    apply: extra.apply ?? ((updates) => applied.push(updates)),
    refused: (error) => refused.push(error),
  })
  running.push(server)
  return { url: `http://127.0.0.1:${server.port}/any/path`, applied, refused }
}

async function call(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init)
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined, auth: response.headers.get("www-authenticate") }
}

const PUSH = 'hits{host="a"} 2\n'

describe("the push endpoint", () => {
  it("GET and HEAD answer alive (as 1.2); POST and PUT push; other methods are refused with 405", async () => {
    const { url, applied, refused } = serve()
    expect(await call(url)).toEqual({ status: 200, body: { status: "alive" }, auth: null })
    expect((await call(url, { method: "HEAD" })).status).toBe(200)
    expect(await call(url, { method: "POST", body: PUSH })).toEqual({
      status: 200,
      body: { status: "metrics updated", series: 1 },
      auth: null,
    })
    expect(await call(url, { method: "PUT", body: PUSH })).toEqual({
      status: 200,
      body: { status: "metrics updated", series: 1 },
      auth: null,
    })
    expect(await call(url, { method: "DELETE" })).toEqual({
      status: 405,
      body: { error: "method DELETE is not accepted; POST the metrics" },
      auth: null,
    })
    expect(applied).toEqual([[{ metric: "hits", labelValues: ["a"], value: 2 }], [{ metric: "hits", labelValues: ["a"], value: 2 }]])
    expect(refused.map((e) => [e.status, e.reason])).toEqual([[405, "method"]])
  })

  it("a JSON Content-Type (any case) is the JSON body, anything else or none the text format", async () => {
    const { url, applied } = serve()
    const json = '{"metrics":{"hits":{"value":1,"labels":{"host":"j"}}}}'
    expect((await call(url, { method: "POST", body: json, headers: { "Content-Type": "Application/JSON; charset=utf-8" } })).status).toBe(
      200,
    )
    expect((await call(url, { method: "POST", body: new TextEncoder().encode(PUSH) })).status).toBe(200)
    expect(applied.map((updates) => updates[0]!.labelValues[0])).toEqual(["j", "a"])
  })

  it("an empty POST is a push of no series", async () => {
    const { url, applied } = serve()
    expect(await call(url, { method: "POST" })).toEqual({ status: 200, body: { status: "metrics updated", series: 0 }, auth: null })
    expect(applied).toEqual([[]])
  })

  it("with a token: 401 and WWW-Authenticate without it or with another; other refusals carry no WWW-Authenticate", async () => {
    const { url, applied, refused } = serve({ token: "t0k3n" })
    for (const authorization of [undefined, "Bearer t0k3X", "Basic t0k3n", "Bearer t0k3n2"]) {
      const headers: Record<string, string> = authorization ? { Authorization: authorization } : {}
      expect(await call(url, { method: "POST", body: PUSH, headers })).toEqual({
        status: 401,
        body: { error: "a valid Authorization: Bearer token is required" },
        auth: 'Bearer realm="pollect"',
      })
    }
    expect((await call(url, { method: "POST", body: PUSH, headers: { Authorization: "Bearer t0k3n" } })).status).toBe(200)
    const bad = await call(url, { method: "POST", body: "nope 1\n", headers: { Authorization: "Bearer t0k3n" } })
    expect([bad.status, bad.auth]).toEqual([400, null])
    expect(applied).toHaveLength(1)
    expect(refused.map((e) => e.reason)).toEqual(["token", "token", "token", "token", "undeclared metric"])
  })

  it("refusals answer their status and message; the push is not applied", async () => {
    const { url, applied, refused } = serve({ maxBodyBytes: 20 })
    expect(await call(url, { method: "POST", body: "x".repeat(21) })).toEqual({
      status: 413,
      body: { error: "the body is larger than maxBodyBytes (20 bytes)" },
      auth: null,
    })
    expect(await call(url, { method: "POST", body: new Uint8Array([0x68, 0xff, 0xfe]) })).toEqual({
      status: 400,
      body: { error: "the body is not valid UTF-8" },
      auth: null,
    })
    expect(applied).toEqual([])
    expect(refused.map((e) => e.reason)).toEqual(["too large", "encoding"])
  })

  it("a fault that is not a refusal is a 500 naming it", async () => {
    const { url } = serve({
      apply: () => {
        throw new TypeError("store broke")
      },
    })
    expect(await call(url, { method: "POST", body: PUSH })).toEqual({
      status: 500,
      body: { error: "internal error: store broke" },
      auth: null,
    })
  })

  it("a port in use and an address it cannot bind say which", () => {
    const holder = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } })
    try {
      const options = { maxBodyBytes: 10, definitions, apply: () => {}, refused: () => {} }
      expect(() => startPushServer({ ...options, port: holder.port })).toThrow(`port ${holder.port} on all addresses is already in use`)
      expect(() => startPushServer({ ...options, host: "192.0.2.1", port: 0 })).toThrow(/^cannot listen on port 0 on 192\.0\.2\.1: ./)
    } finally {
      holder.stop(true)
    }
  })
})

describe("readBody", () => {
  const post = (body: RequestInit["body"], headers: Record<string, string> = {}) =>
    new Request("http://127.0.0.1/", { method: "POST", body, headers })
  const stream = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk))
        controller.close()
      },
    })
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "read",
      (e: PushError) => `${e.status} ${e.reason}: ${e.message}`,
    )

  it("no body is empty text", async () => {
    expect(await readBody(post(undefined), 10)).toBe("")
  })

  it("a Content-Length over the limit is refused before reading; up to the limit is read", async () => {
    expect(await refusal(readBody(post("abc", { "content-length": "11" }), 10))).toBe(
      "413 too large: the body is larger than maxBodyBytes (10 bytes)",
    )
    expect(await readBody(post("0123456789", { "content-length": "10" }), 10)).toBe("0123456789")
  })

  it("a streamed body is counted as it comes: refused past the limit, read up to it", async () => {
    expect(await refusal(readBody(post(stream(["01234", "56789", "x"])), 10))).toBe(
      "413 too large: the body is larger than maxBodyBytes (10 bytes)",
    )
    expect(await readBody(post(stream(["01234", "56789"])), 10)).toBe("0123456789")
  })

  it("bytes that are not UTF-8 are refused", async () => {
    expect(await refusal(readBody(post(new Uint8Array([0x61, 0xc3])), 10))).toBe("400 encoding: the body is not valid UTF-8")
  })
})

describe("bearerMatches", () => {
  it("takes `Bearer <token>` (any case, spaces or tabs around the token) only with the exact token", () => {
    for (const header of ["Bearer t0k3n", "bearer t0k3n", "BEARER\tt0k3n", "Bearer   t0k3n", "Bearer t0k3n \t"])
      expect([header, bearerMatches(header, "t0k3n")]).toEqual([header, true])
    for (const header of [null, "", "Bearer", "Bearer ", "Bearert0k3n", "xBearer t0k3n", "Bearer t0k3n x", "Bearer t0k3", "Bearer t0k3nn"])
      expect([header, bearerMatches(header, "t0k3n")]).toEqual([header, false])
    expect(bearerMatches("Bearer t0k3X", "t0k3n")).toBe(false)
  })
})

describe("PushError", () => {
  it("carries status, message and reason", () => {
    const error = new PushError(413, "too big", "too large")
    expect([error.status, error.message, error.reason, error instanceof Error]).toEqual([413, "too big", "too large", true])
  })
})
