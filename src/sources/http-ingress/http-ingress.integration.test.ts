/** HttpIngress over real HTTP on loopback: pushes, every refusal with its message, limits, token, close. */
import { afterEach, describe, expect, it } from "bun:test"
import { connect } from "node:net"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { HttpIngressSource } from "./index.ts"

const open: HttpIngressSource[] = []
afterEach(async () => {
  for (const source of open.splice(0)) await source.close()
})

const METRICS = {
  temp: { labels: ["room"] },
  hits: { type: "counter", labels: ["host"] },
}

function start(extra: Record<string, unknown> = {}, log?: string[]): { source: HttpIngressSource; url: string } {
  const port = freePort()
  const source = makeSource<HttpIngressSource>(
    HttpIngressSource,
    { type: "HttpIngress", host: "127.0.0.1", port, metrics: METRICS, ...extra },
    { log },
  )
  open.push(source)
  source.listen()
  return { source, url: `http://127.0.0.1:${port}/` }
}

async function post(url: string, body: string | Uint8Array, type = "application/json", headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": type, ...headers }, body })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** The probe's series as `metric{labels} value` lines. */
function state(source: HttpIngressSource): string[] {
  return source.probe().flatMap((set) => set.values.map((value) => `${value.name}{${value.labelValues.join(",")}} ${value.value}`))
}

describe("HttpIngress over HTTP", () => {
  it("JSON and text pushes: counters add, gauges set, values kept between probes", async () => {
    const { source, url } = start()
    expect(await post(url, '{"metrics":{"temp":{"value":20,"labels":{"room":"k"}},"hits":{"value":2,"labels":{"host":"a"}}}}')).toEqual({
      status: 200,
      body: { status: "metrics updated", series: 2 },
    })
    expect((await post(url, 'temp{room="k"} 18.5\nhits{host="a"} 3\nhits{host="b"} 1\n', "text/plain")).status).toBe(200)
    expect(state(source)).toEqual(["temp{k} 18.5", "hits{a} 5", "hits{b} 1"])
    expect(state(source)).toEqual(["temp{k} 18.5", "hits{a} 5", "hits{b} 1"])
    // curl --data-binary's default Content-Type is taken as the text format too, as a pushgateway does.
    expect((await post(url, 'hits{host="b"} 1\n', "application/x-www-form-urlencoded")).status).toBe(200)
    expect(state(source)).toContain("hits{b} 2")
    // GET is 1.2's liveness answer.
    const alive = await fetch(url)
    expect([alive.status, await alive.json()]).toEqual([200, { status: "alive" }])
  })

  it("refuses every bad push with its exact problem, and applies none of it", async () => {
    const lines: string[] = []
    const { source, url } = start({ maxSeries: 2 }, lines)
    await post(url, '{"metrics":{"hits":{"value":1,"labels":{"host":"a"}}}}')
    const cases: [string, string, number, string][] = [
      ["application/json", "{nope", 400, "the body is not JSON: "],
      [
        "application/json",
        '{"metrics":{"nope":{"value":1}}}',
        400,
        'metrics.nope: metric "nope" is not declared (declared: "temp", "hits")',
      ],
      [
        "application/json",
        '{"metrics":{"hits":{"value":1,"labels":{"host":"a","x":"1"}}}}',
        400,
        'metrics.hits: label "x" is not declared for hits',
      ],
      ["application/json", '{"metrics":{"hits":{"value":1}}}', 400, 'metrics.hits: label "host" is missing'],
      [
        "application/json",
        '{"metrics":{"hits":{"value":"2","labels":{"host":"a"}}}}',
        400,
        "metrics.hits.value: expected a number, got string",
      ],
      // The first series is fine, the second is not: the first is not applied either.
      [
        "application/json",
        '{"metrics":{"hits":[{"value":5,"labels":{"host":"a"}},{"value":-1,"labels":{"host":"a"}}]}}',
        400,
        "metrics.hits[1]: a counter only goes up",
      ],
      ["text/plain", 'hits{host="a"} 5\nhits{host="a"} 1 1700000000\n', 400, "line 2, column 18: timestamps are not accepted"],
      ["text/plain", 'hits{host="a"} 5\nhits{host="a"} x\n', 400, 'line 2, column 16: "x" is not a number'],
      ["text/plain", 'hits{host="a"} 5\nnope 1\n', 400, 'line 2: metric "nope" is not declared'],
      [
        "text/plain",
        'hits{host="b"} 1\nhits{host="c"} 1\n',
        400,
        "metric hits would have 3 series, more than maxSeries (2); nothing was updated",
      ],
      ["text/plain", new Uint8Array([0x68, 0xff, 0xfe]) as unknown as string, 400, "the body is not valid UTF-8"],
    ]
    for (const [type, body, status, message] of cases) {
      const answer = await post(url, body, type)
      expect({ body: String(body).slice(0, 30), status: answer.status, error: String(answer.body.error).slice(0, message.length) }).toEqual(
        {
          body: String(body).slice(0, 30),
          status,
          error: message,
        },
      )
    }
    expect(state(source)).toEqual(["hits{a} 1"])
    const method = await fetch(url, { method: "DELETE" })
    expect([method.status, await method.json()]).toEqual([405, { error: "method DELETE is not accepted; POST the metrics" }])
    // Each kind of refusal logged once: a flood of the same is one line.
    for (let i = 0; i < 20; i++) await post(url, "{nope")
    expect(lines.filter((line) => line.includes("the body is not JSON")).length).toBe(1)
  })

  it("refuses a body over maxBodyBytes with 413, by Content-Length and while reading a chunked one", async () => {
    const { source, url } = start({ maxBodyBytes: 100 })
    const big = `hits{host="a"} 1\n`.repeat(10)
    expect(await post(url, big, "text/plain")).toEqual({ status: 413, body: { error: "the body is larger than maxBodyBytes (100 bytes)" } })
    // Chunked (no Content-Length): refused as soon as the stream passes the limit.
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 10_000_000) return controller.close()
        sent += 1000
        controller.enqueue(new TextEncoder().encode("#".repeat(999) + "\n"))
      },
    })
    const response = await fetch(url, { method: "POST", headers: { "Content-Type": "text/plain" }, body: stream })
    expect(response.status).toBe(413)
    expect(sent).toBeLessThan(10_000_000)
    // Exactly at the limit is fine.
    expect((await post(url, `hits{host="a"} 1\n`.padEnd(100, "#"), "text/plain")).status).toBe(200)
    expect(state(source)).toEqual(["hits{a} 1"])
  })

  it("takes pushes only with the bearer token, which never reaches the log", async () => {
    const lines: string[] = []
    const { source, url } = start({ token: "s3cret-token" }, lines)
    const body = '{"metrics":{"hits":{"value":1,"labels":{"host":"a"}}}}'
    for (const auth of [undefined, "Bearer wrong", "Bearer s3cret-tokeX", "Basic s3cret-token", "Bearer s3cret-token-longer"]) {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}) },
        body,
      })
      expect({ auth, status: response.status, wwwAuth: response.headers.get("www-authenticate") }).toEqual({
        auth,
        status: 401,
        wwwAuth: 'Bearer realm="pollect"',
      })
    }
    expect((await post(url, body, "application/json", { Authorization: "Bearer s3cret-token" })).status).toBe(200)
    expect(state(source)).toEqual(["hits{a} 1"])
    source.ctx.log.info("token is s3cret-token")
    expect(lines.join("\n")).not.toContain("s3cret-token")
  })

  it("concurrent pushes all count, none lost", async () => {
    const { source, url } = start()
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        post(
          url,
          i % 2 ? `hits{host="a"} 1\n` : '{"metrics":{"hits":{"value":1,"labels":{"host":"a"}}}}',
          i % 2 ? "text/plain" : "application/json",
        ),
      ),
    )
    expect(state(source)).toEqual(["hits{a} 200"])
  })

  it("a port in use is a failed probe, tried again on the next; close() frees the port", async () => {
    const port = freePort()
    const holder = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } })
    const source = makeSource<HttpIngressSource>(HttpIngressSource, { type: "HttpIngress", host: "127.0.0.1", port, metrics: METRICS })
    open.push(source)
    expect(() => source.probe()).toThrow(`port ${port} on 127.0.0.1 is already in use`)
    holder.stop(true)
    expect(source.probe()).toHaveLength(2)
    expect(source.port).toBe(port)
    await source.close()
    await source.close()
    // The port is free again: something else can listen on it at once, and nothing answers there.
    const again = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } })
    again.stop(true)
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1")
      socket.on("connect", () => (socket.destroy(), resolve(false)))
      socket.on("error", () => resolve(true))
    })
    expect(refused).toBe(true)
    expect(() => source.probe()).toThrow("closed")
  })
})
