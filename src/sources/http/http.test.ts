import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { redact, secretsSnapshot, silentLogger } from "../../core/log.ts"
import { createSourceContext } from "../../core/source-context.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { HttpSource } from "./index.ts"
import { fetchProxy, maskedUrl, urlPasswords } from "./proxy.ts"
import { metrics } from "./metrics.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import type { SourceResult } from "../../core/source-result.ts"
import { downServerUrl, serveFake } from "../../../test/helpers/fake-server.ts"

/** A golden case's recorded answer: served for the case's URL after `delayMs`; `refused` stands for a server that is down. */
interface Reply {
  status: number
  body: string
  delayMs?: number
  refused?: boolean
}

/**
 * reply.json: one Reply for the case's URL, or `{ "byPath": { "/ok": Reply, ... } }` for a list
 * of URLs. The response time of a request that succeeded is the one value that varies between
 * runs: checked to lie between its reply's delay and the deadline, then written as that delay.
 * A failed request's value (the timeout in ms) is deterministic and kept.
 */
function bucketResponseTimes(sets: ValueSet[], delays: number[]): ValueSet[] {
  const ok = sets.find((set) => set.spec === metrics.ok || set.spec === metrics.okByUrl)!
  for (const set of sets) {
    if (set.spec !== metrics.time && set.spec !== metrics.timeByUrl) continue
    set.values.forEach((value, i) => {
      if (ok.values[i]!.value !== 1) return
      expect(value.value).toBeGreaterThanOrEqual(delays[i]! - 1)
      expect(value.value).toBeLessThan(delays[i]! + 5000)
      value.value = delays[i]!
    })
  }
  return sets
}

/** Serves the case's reply.json on loopback, probes the case's URL(s) there once, and writes the `url` labels back as configured. */
async function golden(testCase: GoldenCase): Promise<ValueSet[][]> {
  const recorded = (await Bun.file(join(testCase.dir, "reply.json")).json()) as Reply | { byPath: Record<string, Reply> }
  const configured = ([] as string[]).concat(testCase.config.url as string | string[]).map((url) => new URL(url))
  const replyFor = (path: string): Reply => ("byPath" in recorded ? recorded.byPath[path]! : recorded)
  const fake = serveFake(async (_request, url) => {
    const reply = replyFor(url.pathname)
    if (reply.delayMs) await Bun.sleep(reply.delayMs)
    return new Response(reply.body, { status: reply.status })
  })
  const down = await downServerUrl()
  try {
    const served = configured.map((url) => `${replyFor(url.pathname).refused ? down : fake.url}${url.pathname}${url.search}`)
    const url = Array.isArray(testCase.config.url) ? served : served[0]
    const sets = await makeSource<HttpSource>(HttpSource, { ...testCase.config, url }).probe()
    const method = (testCase.config.method as string | undefined) ?? "GET"
    const expected = configured.filter((u) => !replyFor(u.pathname).refused).map((u) => `${method} ${u.pathname}`)
    expect(fake.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(expected.sort())
    for (const set of sets)
      for (const value of set.values) value.labelValues = value.labelValues.map((v) => configured[served.indexOf(v)]!.href)
    return [
      bucketResponseTimes(
        sets,
        configured.map((u) => replyFor(u.pathname).delayMs ?? 0),
      ),
    ]
  } finally {
    await fake.stop()
  }
}

sourceConformance({ type: "Http", cls: HttpSource, dir: import.meta.dir, golden })

let server: ReturnType<typeof Bun.serve>
let base = ""

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      if (url.pathname === "/slow") await Bun.sleep(Number(url.searchParams.get("ms") ?? 100))
      if (url.pathname === "/error") return new Response("nope", { status: 503 })
      if (url.pathname === "/redirect") return Response.redirect(`${base}/ok`, 302)
      if (url.pathname === "/echo") return new Response(`${request.method} ${request.headers.get("x-probe")}`)
      return new Response("ok")
    },
  })
  base = `http://127.0.0.1:${server.port}`
})
afterAll(() => server.stop(true))

/** Probes once; returns the time, status and ok values of each URL. */
async function probe(config: Record<string, unknown>, options: { deadlineMs?: number; log?: string[] } = {}) {
  const source = makeSource<HttpSource>(HttpSource, { type: "Http", ...config }, { log: options.log })
  const sets = await Promise.race([
    source.probe(),
    Bun.sleep((options.deadlineMs ?? 5000) + 1000).then(() => {
      throw new Error("probe ignored its deadline")
    }),
  ])
  const [time, status, ok] = sets
  return {
    sets,
    time: time!.values[0]!.value,
    status: status!.values[0],
    ok: ok!.values[0]!.value,
    byUrl: time!.values.map((value, i) => ({
      labels: value.labelValues,
      time: value.value,
      status: status!.values[i]!.value,
      ok: ok!.values[i]!.value,
    })),
  }
}

/** Sets environment variables for `work`, then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]))
  const set = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
  set(vars)
  try {
    return await work()
  } finally {
    set(saved)
  }
}

/** A loopback HTTP proxy that records the absolute URLs it forwarded and the Proxy-Authorization it got. */
function startProxy() {
  const forwarded: { url: string; auth: string | null }[] = []
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      forwarded.push({ url: request.url, auth: request.headers.get("proxy-authorization") })
      const answer = await fetch(request.url, { method: request.method, proxy: false } as RequestInit)
      return new Response(await answer.arrayBuffer(), { status: answer.status })
    },
  })
  return { forwarded, port: server.port!, url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) }
}

const NO_PROXY_ENV = {
  HTTP_PROXY: undefined,
  http_proxy: undefined,
  HTTPS_PROXY: undefined,
  https_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
}

describe("Http", () => {
  it("reports the response time in ms, the status code and ok", async () => {
    const { time, status, ok } = await probe({ url: `${base}/slow?ms=120` })
    expect(time).toBeGreaterThanOrEqual(115)
    expect(time).toBeLessThan(5000)
    expect(status).toEqual({ value: 200, labelValues: [], name: "status" })
    expect(ok).toBe(1)
  })

  it("a server error is a value, not a failed probe: the status as received, the timeout as its time (as 1.2)", async () => {
    const { time, status, ok } = await probe({ url: `${base}/error`, timeout: 3 })
    expect({ time, status: status!.value, ok }).toEqual({ time: 3000, status: 503, ok: 0 })
  })

  it("statusCode: the expected code is ok, another one (even a 200) is a failed request", async () => {
    expect(await probe({ url: `${base}/error`, statusCode: 503 }).then((r) => [r.status!.value, r.ok])).toEqual([503, 1])
    const other = await probe({ url: `${base}/ok`, statusCode: 201, timeout: 2 })
    expect({ time: other.time, status: other.status!.value, ok: other.ok }).toEqual({ time: 2000, status: 200, ok: 0 })
  })

  it("follows redirects", async () => {
    expect((await probe({ url: `${base}/redirect` })).status!.value).toBe(200)
  })

  it("a refused connection reports the timeout in ms, status 0, and is logged once until it answers again", async () => {
    const log: string[] = []
    const url = await downServerUrl()
    const source = makeSource<HttpSource>(HttpSource, { type: "Http", url: `${url}/`, timeout: 4 }, { log })
    for (let i = 0; i < 3; i++) {
      const [time, status, ok] = await source.probe()
      expect([time!.values[0]!.value, status!.values[0]!.value, ok!.values[0]!.value]).toEqual([4000, 0, 0])
    }
    expect(log.filter((line) => line.includes("could not probe"))).toHaveLength(1)
    expect(log[0]).toContain(`could not probe ${url}/: `)
  })

  it("a URL's password is masked in the log and in the url label", async () => {
    const log: string[] = []
    const down = new URL(await downServerUrl())
    const url = `http://admin:plugh%40pw@127.0.0.1:${down.port}/x`
    const { sets } = await probe({ url: [url, `${base}/ok`] }, { log })
    expect(sets[0]!.values.map((value) => value.labelValues)).toEqual([[`http://admin:***@127.0.0.1:${down.port}/x`], [`${base}/ok`]])
    expect(log.join("\n")).toContain(`could not probe http://admin:***@127.0.0.1:${down.port}/x: `)
    expect(log.join("\n")).not.toContain("plugh")
  })

  it("a timeout reports the timeout in ms and gives up at it", async () => {
    const started = performance.now()
    const { time, status, ok } = await probe({ url: `${base}/slow?ms=3000`, timeout: 0.3 })
    expect({ time, status: status!.value, ok }).toEqual({ time: 300, status: 0, ok: 0 })
    expect(performance.now() - started).toBeLessThan(1500)
  })

  it("under the executor's deadline: gives up just before it, so the timeout value is still reported", async () => {
    const handle = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
    const controller = new AbortController()
    handle.setSignal(controller.signal, 500)
    const source = new HttpSource({ type: "Http", url: `${base}/slow?ms=3000`, method: "GET", headers: {}, verifyTls: true }, handle.ctx)
    const deadline = setTimeout(() => controller.abort(new Error("timed out after 0.5 s")), 500)
    try {
      const [time, status] = await source.probe()
      expect(controller.signal.aborted).toBe(false)
      expect([time!.values[0]!.value, status!.values[0]!.value]).toEqual([500, 0])
    } finally {
      clearTimeout(deadline)
    }
  })

  it("the probe's deadline aborts a slow response", async () => {
    const handle = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
    const controller = new AbortController()
    handle.setSignal(controller.signal)
    const source = new HttpSource({ type: "Http", url: `${base}/slow?ms=3000`, method: "GET", headers: {}, verifyTls: true }, handle.ctx)
    const started = performance.now()
    setTimeout(() => controller.abort(new Error("timed out after 0.1 s")), 100)
    await expect(source.probe()).rejects.toThrow("timed out after 0.1 s")
    expect(performance.now() - started).toBeLessThan(2500)
  })

  it("a list of URLs: one series per URL with the label url, requested at once", async () => {
    const down = await downServerUrl()
    const urls = [`${base}/slow?ms=400`, `${base}/slow?ms=400&b`, `${base}/error`, `${down}/`]
    const started = performance.now()
    const { sets, byUrl } = await probe({ url: urls, timeout: 3 })
    expect(performance.now() - started).toBeLessThan(750)
    expect(sets.map((set) => set.labels)).toEqual([["url"], ["url"], ["url"]])
    expect(sets.map((set) => set.values.map((value) => value.name))).toEqual([
      [undefined, undefined, undefined, undefined],
      ["status", "status", "status", "status"],
      ["ok", "ok", "ok", "ok"],
    ])
    expect(byUrl.map((u) => [u.labels, u.status, u.ok] as unknown[])).toEqual([
      [[urls[0]], 200, 1],
      [[urls[1]], 200, 1],
      [[urls[2]], 503, 0],
      [[urls[3]], 0, 0],
    ])
    expect(byUrl[0]!.time).toBeGreaterThanOrEqual(395)
    expect(byUrl.slice(2).map((u) => u.time)).toEqual([3000, 3000])
  })

  it("a list of one URL is labelled too (as 1.2); an empty list is refused", () => {
    expect(() => makeSource(HttpSource, { type: "Http", url: [] })).toThrow()
    return probe({ url: [`${base}/ok`] }).then(({ sets }) => expect(sets[0]!.values[0]!.labelValues).toEqual([`${base}/ok`]))
  })

  it("proxy: every request goes through it, with its credentials; its password never reaches the log", async () => {
    const proxy = startProxy()
    const log: string[] = []
    try {
      const proxyUrl = `http://probe:s3cr%40t-pw@127.0.0.1:${proxy.port}`
      await withEnv(NO_PROXY_ENV, async () => {
        const good = await probe({ url: `${base}/ok`, proxy: proxyUrl }, { log })
        expect(good.ok).toBe(1)
        const bad = await probe({ url: `${base}/error`, proxy: proxyUrl, timeout: 2 }, { log })
        expect([bad.time, bad.status!.value]).toEqual([2000, 503])
      })
      expect(proxy.forwarded.map((f) => f.url)).toEqual([`${base}/ok`, `${base}/error`])
      expect(proxy.forwarded[0]!.auth).toBe(`Basic ${btoa("probe:s3cr@t-pw")}`)
      const failure = log.find((line) => line.includes("could not probe"))!
      expect(failure).toContain(`via proxy http://probe:***@127.0.0.1:${proxy.port}`)
      expect(log.join("\n")).not.toContain("s3cr")
    } finally {
      await proxy.stop()
    }
  })

  it("proxy unset: HTTP_PROXY from the environment is used, NO_PROXY honoured (Bun's fetch default, pinned)", async () => {
    const proxy = startProxy()
    try {
      await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: proxy.url }, () => probe({ url: `${base}/ok` }))
      expect(proxy.forwarded.map((f) => f.url)).toEqual([`${base}/ok`])
      await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" }, () => probe({ url: `${base}/ok?direct` }))
      expect(proxy.forwarded).toHaveLength(1)
    } finally {
      await proxy.stop()
    }
  })

  it("proxy '': no proxy even though HTTP_PROXY is set", async () => {
    const proxy = startProxy()
    try {
      const { ok } = await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: proxy.url, http_proxy: proxy.url }, () =>
        probe({ url: `${base}/ok`, proxy: "" }),
      )
      expect(ok).toBe(1)
      expect(proxy.forwarded).toEqual([])
    } finally {
      await proxy.stop()
    }
  })

  it("a proxy that is not an http(s) URL is refused", () => {
    expect(() => makeSource(HttpSource, { type: "Http", url: base, proxy: "socks5://127.0.0.1:1080" })).toThrow(
      "expected '' or an http:// or https:// URL",
    )
  })

  it("sends the configured method and headers", async () => {
    const source = makeSource<HttpSource>(HttpSource, { type: "Http", url: `${base}/echo`, method: "POST", headers: { "x-probe": "yes" } })
    const sets = await source.probe()
    expect(sets[1]!.values[0]!.value).toBe(200)
    const response = await fetch(`${base}/echo`, { method: "POST", headers: { "x-probe": "yes" } })
    expect(await response.text()).toBe("POST yes")
  })

  it("defaults its timeout to 15 s (its README's, today's), at most the executor's; compat 1.2: 1.2's code's 10 s", () => {
    expect(HttpSource.defaultTimeout).toBe(15)
    const timeoutOf = (config: Record<string, unknown>, compat?: "1.0" | "1.2", budgetMs?: number) => {
      const handle = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp", compat })
      handle.setSignal(new AbortController().signal, budgetMs)
      const entry = { type: "Http", url: base, ...config }
      return new HttpSource({ ...entry, ...v.parse(HttpSource.options, entry) }, handle.ctx).timeoutMs()
    }
    expect(timeoutOf({})).toBe(15000)
    expect(timeoutOf({}, "1.2")).toBe(10000)
    expect(timeoutOf({}, "1.2", 5000)).toBe(5000)
    expect(timeoutOf({ timeout: 30 }, "1.2", 30000)).toBe(30000)
    expect(timeoutOf({}, "1.0", 10000)).toBe(10000)
  })
})

describe("Http side by side with pollect 1.2 (testdata/python-1.2)", () => {
  it("the same config gives 1.2's names, labels and failure values", async () => {
    const dir = join(import.meta.dir, "testdata", "python-1.2")
    const py12 = (await Bun.file(join(dir, "pollect.json")).json()) as {
      executors: { collection: string; sources: Record<string, unknown>[] }[]
    }
    const fake = serveFake((_request, url) => (url.pathname === "/ok" ? new Response("ok") : new Response("boom", { status: 500 })))
    const down = await downServerUrl()
    // 1.2 ran against 19411 (the server) and 19412 (closed); here both are ours.
    const ours = (url: string) => url.replace("http://127.0.0.1:19411", fake.url).replace("http://127.0.0.1:19412", down)
    const results: SourceResult[] = []
    try {
      const executor = py12.executors[0]!
      for (const [i, entry] of executor.sources.entries()) {
        const url = Array.isArray(entry.url) ? (entry.url as string[]).map(ours) : ours(entry.url as string)
        const sets = await makeSource<HttpSource>(HttpSource, { ...entry, url }).probe()
        const labels = (entry.labels ?? {}) as Record<string, string>
        results.push(
          resultOf(sets, { id: `s${i}`, collection: executor.collection, type: "Http", name: entry.name as string | undefined, labels }),
        )
      }
    } finally {
      await fake.stop()
    }
    const exposition = pollectExposition(results).replaceAll(fake.url, "http://127.0.0.1:19411").replaceAll(down, "http://127.0.0.1:19412")
    const { python, ours: mine } = sideBySide(await Bun.file(join(dir, "metrics.txt")).text(), exposition)
    const http = (series: Map<string, number>) => new Map([...series].filter(([key]) => key.startsWith("pollect_Http")))
    expect([...mine.keys()].sort()).toEqual([...http(python).keys()].sort())
    // A failed request's value is the timeout in ms on both sides (2000.0 there); a good one is a time below it.
    const failed = (series: Map<string, number>) =>
      [...series]
        .filter(([, value]) => value === 2000)
        .map(([key]) => key)
        .sort()
    expect(failed(mine)).toEqual(failed(http(python)))
    expect(failed(mine)).toHaveLength(3)
    for (const [key, value] of mine) if (python.get(key) !== 2000) expect(value).toBeLessThan(2000)
  })
})

describe("Http: what the log says, secrets, TLS and the give-up timer", () => {
  it("the log names the status received and the one expected (any 2xx, or statusCode)", async () => {
    const log: string[] = []
    await probe({ url: `${base}/error`, timeout: 2 }, { log })
    await probe({ url: `${base}/ok`, statusCode: 201, timeout: 2 }, { log })
    const failures = log.filter((line) => line.includes("could not probe"))
    expect(failures[0]).toEndWith(`could not probe ${base}/error: status 503, expected 2xx`)
    expect(failures[1]).toEndWith(`could not probe ${base}/ok: status 200, expected 201`)
  })

  it("a status of 300 is not a 2xx: a failed request", async () => {
    const fake = serveFake(() => new Response("choose", { status: 300 }))
    try {
      const { status, ok, time } = await probe({ url: `${fake.url}/`, timeout: 2 })
      expect({ status: status!.value, ok, time }).toEqual({ status: 300, ok: 0, time: 2000 })
    } finally {
      await fake.stop()
    }
  })

  it("a timeout is logged as 'timed out after <timeout> s'", async () => {
    const log: string[] = []
    await probe({ url: `${base}/slow?ms=3000`, timeout: 0.3 }, { log })
    expect(log.find((line) => line.includes("could not probe"))).toEndWith(`could not probe ${base}/slow?ms=3000: timed out after 0.3 s`)
  })

  it("a good answer logs nothing; a URL that answers again after failing is logged once as such", async () => {
    let failing = false
    const fake = serveFake(() => (failing ? new Response("down", { status: 502 }) : new Response("ok")))
    const log: string[] = []
    try {
      const source = makeSource<HttpSource>(HttpSource, { type: "Http", url: `${fake.url}/health`, timeout: 2 }, { log })
      await source.probe()
      expect(log).toEqual([])
      failing = true
      await source.probe()
      await source.probe()
      failing = false
      await source.probe()
      await source.probe()
      expect(log.map((line) => line.replace(/^.*\[Http\] /, ""))).toEqual([
        `could not probe ${fake.url}/health: status 502, expected 2xx`,
        `${fake.url}/health answers again`,
      ])
    } finally {
      await fake.stop()
    }
  })

  it("gives up a little before the executor's deadline (a tenth of it, at most 100 ms) and clears its timer", async () => {
    const realSet = globalThis.setTimeout
    const realClear = globalThis.clearTimeout
    const delays: number[] = []
    const timers: unknown[] = []
    const cleared: unknown[] = []
    const giveUpOf = async (budgetMs: number) => {
      const handle = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
      handle.setSignal(new AbortController().signal, budgetMs)
      const source = new HttpSource(
        { type: "Http", url: `${base}/ok`, method: "GET", headers: {}, verifyTls: true, timeout: 30 },
        handle.ctx,
      )
      delays.length = 0
      globalThis.setTimeout = ((fn: () => void, ms?: number) => {
        const timer = realSet(fn, ms)
        delays.push(ms ?? 0)
        timers.push(timer)
        return timer
      }) as typeof setTimeout
      globalThis.clearTimeout = ((timer: Parameters<typeof clearTimeout>[0]) => {
        cleared.push(timer)
        realClear(timer)
      }) as typeof clearTimeout
      try {
        await source.probe()
      } finally {
        globalThis.setTimeout = realSet
        globalThis.clearTimeout = realClear
      }
      return [...delays]
    }
    expect(await giveUpOf(500)).toContain(450)
    expect(await giveUpOf(10000)).toContain(9900)
    expect(timers.length).toBeGreaterThan(0)
    for (const timer of timers) expect(cleared).toContain(timer)
  })

  itWithTools(["openssl"], "verifyTls: a self-signed certificate fails by default and is accepted with verifyTls false", async () => {
    const dir = tempDir("pollect-http-tls-")
    const { key, cert } = selfSignedCert(dir)
    const fake = serveFake(() => new Response("ok"), { tls: { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") } })
    try {
      const strict = await probe({ url: `${fake.url}/`, timeout: 2 })
      expect([strict.status!.value, strict.ok]).toEqual([0, 0])
      const lax = await probe({ url: `${fake.url}/`, timeout: 2, verifyTls: false })
      expect([lax.status!.value, lax.ok]).toEqual([200, 1])
    } finally {
      await fake.stop()
    }
  })

  it("masks the passwords of its URLs and of the proxy (configured, else the environment's), as written and decoded", async () => {
    const restore = secretsSnapshot()
    try {
      const env = {
        ...NO_PROXY_ENV,
        HTTP_PROXY: "http://u:envpw-one@127.0.0.1:1",
        http_proxy: "http://u:envpw-two@127.0.0.1:1",
        HTTPS_PROXY: "http://u:envpw-three@127.0.0.1:1",
        https_proxy: "http://u:envpw-four@127.0.0.1:1",
      }
      await withEnv(env, async () => {
        makeSource(HttpSource, { type: "Http", url: "http://a:urlpw%40one@127.0.0.1/" })
        makeSource(HttpSource, { type: "Http", url: ["http://127.0.0.1/", "http://b:urlpw-list@127.0.0.1/"] })
      })
      for (const secret of ["envpw-one", "envpw-two", "envpw-three", "envpw-four", "urlpw%40one", "urlpw@one", "urlpw-list"])
        expect(redact(`x ${secret} y`)).toBe("x *** y")
      await withEnv({ ...env, HTTP_PROXY: "http://u:envpw-five@127.0.0.1:1" }, async () => {
        makeSource(HttpSource, { type: "Http", url: "http://127.0.0.1/", proxy: "http://p:cfgpw-proxy@127.0.0.1:3128" })
      })
      expect(redact("x cfgpw-proxy y")).toBe("x *** y")
      expect(redact("x envpw-five y")).toBe("x envpw-five y")
    } finally {
      restore()
    }
  })

  it("a proxy variable of the environment that is not a URL does not stop the source", async () => {
    await withEnv({ ...NO_PROXY_ENV, HTTP_PROXY: "not a url" }, async () => {
      expect(() => makeSource(HttpSource, { type: "Http", url: `${base}/ok` })).not.toThrow()
    })
    expect(urlPasswords("not a url")).toEqual([])
    expect(urlPasswords("http://u:%E0%A4%A@h/")).toEqual(["%E0%A4%A"])
    expect(urlPasswords("http://u@h/")).toEqual([])
  })

  it("masks only the URL's own userinfo; the rest stays as written", () => {
    expect(maskedUrl("http://admin:pw@h:8/x")).toBe("http://admin:***@h:8/x")
    expect(maskedUrl("http://h/cb?to=http://u:p@x/")).toBe("http://h/cb?to=http://u:p@x/")
    expect(fetchProxy("")).toEqual({ proxy: false })
    expect(fetchProxy("http://p:3128")).toEqual({ proxy: "http://p:3128" })
  })

  it("a proxy must start with http:// or https://", () => {
    expect(() => makeSource(HttpSource, { type: "Http", url: base, proxy: "foo http://127.0.0.1:3128" })).toThrow(
      "expected '' or an http:// or https:// URL",
    )
    expect(() => makeSource(HttpSource, { type: "Http", url: base, proxy: "HTTPS://127.0.0.1:3128" })).not.toThrow()
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Http", aliases: [], cls: HttpSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})
