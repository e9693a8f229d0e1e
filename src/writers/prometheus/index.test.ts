/** The exporter's details over loopback: status and url, the start log and errors, headers of every answer, the index page, log levels. */
import { afterEach, describe, expect, it } from "bun:test"
import { join } from "node:path"
import * as v from "valibot"
import type { Logger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { resultOf, tempDir, writerContext } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { FAILED_REQUESTS, PrometheusWriter, type PrometheusOptions } from "./index.ts"

const started: PrometheusWriter[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((writer) => writer.stop()))
})

function leveledLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: () => {},
    info: (m) => lines.push(`info: ${m}`),
    warn: (m) => lines.push(`warn: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    child: () => log,
  }
  return log
}

function makeWriter(config: Record<string, unknown> = {}, configDir?: string) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const parsed = v.parse(PrometheusWriter.options, { port: 0, ...config }) as PrometheusOptions
  const ctx = writerContext({ log: leveledLogger(lines), selfMetrics, ...(configDir ? { configDir } : {}) })
  const writer = new PrometheusWriter({ ...parsed, type: "Prometheus" }, ctx)
  return { writer, lines, selfMetrics }
}

async function startWriter(config: Record<string, unknown> = {}) {
  const made = makeWriter({ host: "127.0.0.1", ...config })
  await made.writer.start()
  started.push(made.writer)
  return made
}

describe("Prometheus exporter: status, url, start", () => {
  it("status: stopped before start and after stop; serving its url and path while running; logged at start", async () => {
    const { writer, lines } = makeWriter({ host: "127.0.0.1", port: 0, path: "/prom" })
    expect(writer.status()).toEqual({ state: "stopped", detail: "port 0" })
    expect(writer.port).toBe(0)
    await writer.start()
    started.push(writer)
    expect(writer.port).toBeGreaterThan(0)
    expect(writer.url).toBe(`http://127.0.0.1:${writer.port}`)
    expect(writer.status()).toEqual({ state: "ok", detail: `serving http://127.0.0.1:${writer.port}/prom` })
    expect(lines).toEqual([`info: serving http://127.0.0.1:${writer.port}/prom (names: pollect)`])
    await writer.stop()
    expect(writer.status()).toEqual({ state: "stopped", detail: "port 0" })
  })

  it("without a host it serves every address, shown as *", async () => {
    const { writer, lines } = makeWriter({ names: "snake_case" })
    await writer.start()
    started.push(writer)
    expect(writer.status()).toEqual({ state: "ok", detail: `serving http://*:${writer.port}/metrics` })
    expect(lines).toEqual([`info: serving http://*:${writer.port}/metrics (names: snake_case)`])
    expect(writer.url).toBe(`http://127.0.0.1:${writer.port}`)
    expect((await fetch(`${writer.url}/metrics`)).status).toBe(200)
  })

  it("url: a wildcard address is reached on 127.0.0.1, an IPv6 address in brackets, https with TLS", () => {
    const url = (config: Record<string, unknown>) => makeWriter({ port: 9100, ...config }).writer.url
    expect(url({ host: "0.0.0.0" })).toBe("http://127.0.0.1:9100")
    expect(url({ host: "::" })).toBe("http://127.0.0.1:9100")
    expect(url({ host: "::1" })).toBe("http://[::1]:9100")
    expect(url({ host: "localhost" })).toBe("http://localhost:9100")
    expect(url({})).toBe("http://127.0.0.1:9100")
    expect(url({ host: "::1", tls: { certFile: "c.pem", keyFile: "k.pem" } })).toBe("https://[::1]:9100")
  })

  it("with TLS and without a host: https on every address; a missing certificate or key is named as such", async () => {
    const dir = tempDir()
    selfSignedCert(dir)
    const { writer, lines } = makeWriter({ tls: { certFile: "cert.pem", keyFile: "key.pem" } }, dir)
    await writer.start()
    started.push(writer)
    expect(writer.status()).toEqual({ state: "ok", detail: `serving https://*:${writer.port}/metrics` })
    expect(lines).toEqual([`info: serving https://*:${writer.port}/metrics (names: pollect)`])
    const noCert = makeWriter({ host: "127.0.0.1", tls: { certFile: "none.pem", keyFile: "key.pem" } }, dir).writer
    await expect(noCert.start()).rejects.toThrow(`cannot read the TLS certificate ${join(dir, "none.pem")}: `)
    const noKey = makeWriter({ host: "127.0.0.1", tls: { certFile: "cert.pem", keyFile: "none.pem" } }, dir).writer
    await expect(noKey.start()).rejects.toThrow(`cannot read the TLS key ${join(dir, "none.pem")}: `)
  })

  it("a certificate file that is not PEM is a start error naming port, all addresses and the TLS library's reason", async () => {
    const dir = tempDir()
    selfSignedCert(dir)
    await Bun.write(join(dir, "garbage.pem"), "not a certificate\n")
    const { writer } = makeWriter({ tls: { certFile: "garbage.pem", keyFile: "key.pem" } }, dir)
    const error = await writer.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    if (!error) started.push(writer)
    expect(error?.message).toStartWith("cannot listen on port 0 on all addresses: ")
    expect(error?.message).toContain("PEM")
  })

  it("a port in use is named as such, on the host or on all addresses", async () => {
    const squatter = Bun.serve({ port: 0, fetch: () => new Response("") })
    try {
      const onHost = makeWriter({ host: "127.0.0.1", port: squatter.port }).writer
      await expect(onHost.start()).rejects.toThrow(
        `port ${squatter.port} on 127.0.0.1 is already in use (another exporter or pollect running?)`,
      )
      const everywhere = makeWriter({ port: squatter.port }).writer
      await expect(everywhere.start()).rejects.toThrow(
        `port ${squatter.port} on all addresses is already in use (another exporter or pollect running?)`,
      )
    } finally {
      await squatter.stop(true)
    }
  })

  it("stop() ends a request still in progress rather than waiting for it", async () => {
    const { writer } = await startWriter()
    let release!: () => void
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    writer.metrics = async () => {
      entered()
      await new Promise<void>((resolve) => (release = resolve))
      return "late\n"
    }
    const answer = fetch(`${writer.url}/metrics`, { headers: { "Accept-Encoding": "identity" } }).then(
      (response) => response.text(),
      () => "aborted",
    )
    await inside
    const stopping = writer.stop()
    release()
    expect(await answer).toBe("aborted")
    await stopping
  })

  it("an address it cannot bind is a start error naming port and address", async () => {
    const { writer } = makeWriter({ host: "203.0.113.7", port: 0 })
    const error = await writer.start().then(
      () => undefined,
      (e: unknown) => e as Error,
    )
    if (!error) started.push(writer)
    expect(error?.message).toStartWith("cannot listen on port 0 on 203.0.113.7: ")
  })

  it("metrics(): pollect's own metrics, an empty line, then the sources' series", async () => {
    const { writer } = makeWriter()
    writer.write([resultOf(new ValueSet(["time"]).add(1, ["mid"]), { type: "LoadAvg" })])
    const text = await writer.metrics()
    expect(text).toEndWith(
      'pollect_build_info{version="' +
        text.split('pollect_build_info{version="')[1]!.split('"')[0] +
        '"} 1\n\n# HELP pollect_LoadAvg pollect_LoadAvg\n# TYPE pollect_LoadAvg gauge\npollect_LoadAvg{time="mid"} 1\n',
    )
  })
})

describe("Prometheus exporter: answers", () => {
  it("HEAD /metrics is 200 without a body; other methods get 405 with Allow", async () => {
    const { writer } = await startWriter()
    const head = await fetch(`${writer.url}/metrics`, { method: "HEAD" })
    expect(head.status).toBe(200)
    expect(head.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
    expect(await head.text()).toBe("")
    const post = await fetch(`${writer.url}/metrics`, { method: "POST" })
    expect(post.status).toBe(405)
    expect(post.headers.get("allow")).toBe("GET, HEAD")
    expect(await post.text()).toBe("Method Not Allowed\n")
    const notFound = await fetch(`${writer.url}/nope`)
    expect(notFound.status).toBe(404)
    expect(await notFound.text()).toBe("Not Found\n")
  })

  it("a 401 asks for basic auth with realm and charset", async () => {
    const hash = Bun.password.hashSync("pw", { algorithm: "bcrypt", cost: 4 })
    const { writer, lines } = await startWriter({ basicAuth: { user: "prom", passwordHash: hash } })
    const denied = await fetch(`${writer.url}/metrics`)
    expect(denied.status).toBe(401)
    expect(denied.headers.get("www-authenticate")).toBe('Basic realm="pollect", charset="UTF-8"')
    expect(await denied.text()).toBe("Unauthorized\n")
    expect(lines.at(-1)).toBe(
      `warn: a request without valid basic-auth credentials got 401; further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="unauthorized"}`,
    )
    const ok = await fetch(`${writer.url}/metrics`, { headers: { Authorization: `Basic ${btoa("prom:pw")}` } })
    expect(ok.status).toBe(200)
  })

  it("the index page links to the metrics path, HTML-escaped", async () => {
    const { writer } = await startWriter({ path: '/a&b<c>"d' })
    const page = await fetch(`${writer.url}/`)
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8")
    expect(await page.text()).toBe(
      '<!doctype html>\n<html><head><title>pollect exporter</title></head><body><h1>pollect exporter</h1><p><a href="/a&amp;b&lt;c&gt;&quot;d">Metrics</a></p></body></html>\n',
    )
  })

  it("a long path or method is cut to 100 characters in the log; 404 and 405 are warnings, a 500 an error", async () => {
    const { writer, lines } = await startWriter()
    const long = "/" + "a".repeat(150)
    expect((await fetch(writer.url + long)).status).toBe(404)
    expect(lines.at(-1)).toBe(
      `warn: a request for ${JSON.stringify(long.slice(0, 100) + "…")} got 404 (metrics are at /metrics); further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="not_found"}`,
    )
    const exact = "/" + "b".repeat(99)
    writer["failLogged"].clear()
    expect((await fetch(writer.url + exact)).status).toBe(404)
    expect(lines.at(-1)).toContain(`a request for "${exact}" got 404`)
    writer.metrics = () => Promise.reject(new Error("boom"))
    const failed = await fetch(`${writer.url}/metrics`, { headers: { "Accept-Encoding": "identity" } })
    expect(failed.status).toBe(500)
    expect(await failed.text()).toBe("internal error\n")
    expect(lines.at(-1)).toBe(
      `error: a request failed: boom; further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="error"}`,
    )
  })

  it("a request whose target and Host make no URL is a 400, counted and logged once", async () => {
    const { writer, lines, selfMetrics } = await startWriter()
    const ask = () =>
      new Promise<string>((resolve, reject) => {
        let text = ""
        Bun.connect({
          hostname: "127.0.0.1",
          port: writer.port,
          socket: {
            open: (socket) => {
              socket.write("GET /metrics HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n")
            },
            data: (_socket, chunk) => {
              text += chunk.toString()
            },
            close: () => resolve(text),
            error: (_socket, error) => reject(error),
          },
        }).catch(reject)
      })
    const first = await ask()
    expect(first).toStartWith("HTTP/1.1 400 ")
    expect(first).toEndWith("\r\n\r\nBad Request\n")
    await ask()
    expect(
      selfMetrics
        .snapshot()
        .counters.get(FAILED_REQUESTS)
        ?.get(JSON.stringify({ reason: "bad_request" })),
    ).toBe(2)
    expect(lines.filter((line) => line.startsWith("warn"))).toEqual([
      `warn: a request with an unreadable target got 400; further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="bad_request"}`,
    ])
  })
})
