import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { join } from "node:path"
import { silentLogger } from "../../core/log.ts"
import { createSourceContext } from "../../core/source-context.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { HttpSource } from "./index.ts"
import { metrics } from "./metrics.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { serveFake } from "../../../test/helpers/fake-server.ts"
import { freePort } from "../../../test/helpers/processes.ts"

/** A golden case's recorded answer: served for the case's URL after `delayMs`. */
interface Reply {
  status: number
  body: string
  delayMs?: number
}

/** The one timing-dependent value: checked to lie between the server's delay and the deadline, then written as that delay. */
function bucketResponseTime(sets: ValueSet[], delayMs: number): ValueSet[] {
  for (const set of sets) {
    if (set.spec !== metrics.time) continue
    for (const value of set.values) {
      expect(value.value).toBeGreaterThanOrEqual(delayMs - 1)
      expect(value.value).toBeLessThan(delayMs + 5000)
      value.value = delayMs
    }
  }
  return sets
}

/** Serves the case's reply.json on loopback, probes the case's URL there once. */
async function golden(testCase: GoldenCase): Promise<ValueSet[][]> {
  const reply = (await Bun.file(join(testCase.dir, "reply.json")).json()) as Reply
  const fake = serveFake(async () => {
    if (reply.delayMs) await Bun.sleep(reply.delayMs)
    return new Response(reply.body, { status: reply.status })
  })
  try {
    const configured = new URL(testCase.config.url as string)
    const url = `${fake.url}${configured.pathname}${configured.search}`
    const sets = await makeSource<HttpSource>(HttpSource, { ...testCase.config, url }).probe()
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`${testCase.config.method ?? "GET"} ${configured.pathname}`])
    return [bucketResponseTime(sets, reply.delayMs ?? 0)]
  } finally {
    await fake.stop()
  }
}

sourceConformance({
  type: "Http",
  cls: HttpSource,
  dir: import.meta.dir,
  golden,
  failing: { config: { type: "Http", url: `http://127.0.0.1:${freePort()}/health` }, message: /Unable to connect/ },
})

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

/** Probes once with the deadline the executor would arm. */
async function probe(config: Record<string, unknown>, deadlineMs = 5000) {
  const source = makeSource<HttpSource>(HttpSource, { type: "Http", ...config })
  const sets = await Promise.race([
    source.probe(),
    Bun.sleep(deadlineMs + 1000).then(() => {
      throw new Error("probe ignored its deadline")
    }),
  ])
  return { time: sets[0]!.values[0]!.value, status: sets[1]!.values[0] }
}

describe("Http", () => {
  it("reports the response time in ms and the status code", async () => {
    const { time, status } = await probe({ url: `${base}/slow?ms=120` })
    expect(time).toBeGreaterThanOrEqual(115)
    expect(time).toBeLessThan(5000)
    expect(status).toEqual({ value: 200, labelValues: [], name: "status" })
  })

  it("a server error is a value, not a failed probe", async () => {
    expect((await probe({ url: `${base}/error` })).status!.value).toBe(503)
  })

  it("follows redirects", async () => {
    expect((await probe({ url: `${base}/redirect` })).status!.value).toBe(200)
  })

  it("a refused connection fails the probe", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() })
    const port = closed.port
    closed.stop(true)
    await expect(probe({ url: `http://127.0.0.1:${port}/` })).rejects.toThrow()
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

  it("sends the configured method and headers", async () => {
    const source = makeSource<HttpSource>(HttpSource, { type: "Http", url: `${base}/echo`, method: "POST", headers: { "x-probe": "yes" } })
    const sets = await source.probe()
    expect(sets[1]!.values[0]!.value).toBe(200)
    const response = await fetch(`${base}/echo`, { method: "POST", headers: { "x-probe": "yes" } })
    expect(await response.text()).toBe("POST yes")
  })

  it("defaults its timeout to 15 s", () => {
    expect(HttpSource.defaultTimeout).toBe(15)
  })
})
