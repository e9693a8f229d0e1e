import { afterEach, describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { validateConfig } from "../../config/schema.ts"
import { ValueSet } from "../../core/value-set.ts"
import { builtinRegistry } from "../../registry.ts"
import { writerConformance } from "../../../test/conformance/writer.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import * as v from "valibot"
import type { Writer } from "../../api.ts"
import { prometheusOptions } from "./index.ts"
import { options } from "./options.ts"
import { optionDescriptions } from "../../../test/helpers/option-descriptions.ts"

const PrometheusSslWriter = builtinRegistry().writer("PrometheusSsl")!
type SslWriter = Writer & { url: string }

const tls = selfSignedCert(tempDir("pollect-prom-ssl-"))
const ca = readFileSync(tls.cert, "utf8")
/** GET over HTTPS, trusting only the test's certificate. */
const get = (url: string) => fetch(url, { tls: { ca } } as RequestInit)
const seriesOf = (text: string) => text.split("\n").filter((line) => line && !line.startsWith("#"))

// The suite's peer is the writer's own /metrics, scraped over HTTPS.
writerConformance({
  type: "PrometheusSsl",
  cls: PrometheusSslWriter,
  dir: import.meta.dir,
  peer: () => ({
    config: { port: 0, key: tls.key, cert: tls.cert },
    received: async (writer) => seriesOf(await (await get(`${(writer as SslWriter).url}/metrics`)).text()),
  }),
})

const started: Writer[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((writer) => writer.stop()))
})

async function start(config: Record<string, unknown>, configDir?: string): Promise<SslWriter> {
  const writer = makeWriter<SslWriter>(PrometheusSslWriter, { type: "PrometheusSsl", ...config }, configDir ? { configDir } : {})
  await writer.start()
  started.push(writer)
  return writer
}

describe("PrometheusSsl", () => {
  it("serves the names and labels pollect 1.2 served over HTTPS (testdata/python-1.2-metrics.txt), not over plain HTTP", async () => {
    const writer = await start({ port: 0, key: tls.key, cert: tls.cert })
    expect(writer.url).toStartWith("https://127.0.0.1:")
    const load = new ValueSet(["time"])
    for (const [time, value] of [
      ["short", 0.5],
      ["mid", 0.25],
      ["long", 0.125],
    ] as const)
      load.add(value, [time])
    await writer.write([resultOf(load, { collection: "pollect", type: "LoadAvg" })])
    const ours = seriesOf(await (await get(`${writer.url}/metrics`)).text()).filter((line) => line.startsWith("pollect_LoadAvg"))
    const theirs = seriesOf(readFileSync(join(import.meta.dir, "testdata/python-1.2-metrics.txt"), "utf8")).filter((line) =>
      line.startsWith("pollect_"),
    )
    const key = (line: string) => line.slice(0, line.lastIndexOf(" "))
    expect(ours.map(key)).toEqual(theirs.map(key))
    expect(ours).toEqual(['pollect_LoadAvg{time="short"} 0.5', 'pollect_LoadAvg{time="mid"} 0.25', 'pollect_LoadAvg{time="long"} 0.125'])
    const plain = await fetch(writer.url.replace("https", "http") + "/metrics").then(
      (r) => r.status,
      () => "refused",
    )
    expect(plain).not.toBe(200)
  })

  it("stop() closes the HTTPS port", async () => {
    const writer = makeWriter<SslWriter>(PrometheusSslWriter, { type: "PrometheusSsl", port: 0, key: tls.key, cert: tls.cert })
    await writer.start()
    const url = `${writer.url}/metrics`
    expect((await get(url)).status).toBe(200)
    await writer.stop()
    expect(
      await get(url).then(
        (r) => r.status,
        () => "refused",
      ),
    ).toBe("refused")
  })

  it("key and cert are relative to the config's folder; a missing one stops the start naming the file", async () => {
    const dir = tempDir("pollect-prom-ssl-rel-")
    const { key, cert } = selfSignedCert(dir)
    const writer = await start({ port: 0, key: "key.pem", cert: "cert.pem" }, dir)
    expect((await fetch(`${writer.url}/metrics`, { tls: { ca: readFileSync(cert, "utf8") } } as RequestInit)).status).toBe(200)
    expect(key).toBe(join(dir, "key.pem"))
    const broken = makeWriter<SslWriter>(
      PrometheusSslWriter,
      { type: "PrometheusSsl", port: 0, key: "nope.key", cert: "cert.pem" },
      { configDir: dir },
    )
    await expect(broken.start()).rejects.toThrow(`cannot read the TLS key ${join(dir, "nope.key")}`)
  })

  it("1.2's config loads as written; key and cert are required, a wrong port type is named by path", () => {
    const sample = Bun.YAML.parse(readFileSync(join(import.meta.dir, "testdata/python-1.2-config.yml"), "utf8"))
    const ok = validateConfig(sample, builtinRegistry())
    expect("problems" in ok ? ok.problems : []).toEqual([])
    expect("warnings" in ok ? ok.warnings : []).toEqual([])
    const bad = validateConfig({ writer: { type: "PrometheusSsl", port: "8000" }, executors: [] }, builtinRegistry())
    expect("problems" in bad ? bad.problems : []).toEqual([
      "writer (PrometheusSsl): port: expected number",
      "writer (PrometheusSsl): key: expected string",
      "writer (PrometheusSsl): cert: expected string",
    ])
  })
})

describe("PrometheusSsl options", () => {
  it("1.2's keys become the Prometheus writer's port and tls files; the port defaults to 8080 as in 1.2", () => {
    const parsed = v.parse(options, { key: "k.pem", cert: "c.pem" })
    expect(parsed).toEqual({ port: 8080, key: "k.pem", cert: "c.pem" })
    expect(prometheusOptions(parsed)).toEqual({ port: 8080, tls: { certFile: "c.pem", keyFile: "k.pem" } })
    const ok = (input: Record<string, unknown>) => v.safeParse(options, { key: "k", cert: "c", ...input }).success
    expect([
      ok({ port: 0 }),
      ok({ port: 65535 }),
      ok({ port: -1 }),
      ok({ port: 65536 }),
      ok({ port: 1.5 }),
      ok({ key: "" }),
      ok({ cert: "" }),
    ]).toEqual([true, true, false, false, false, false, false])
  })

  it("is partial (each source's result as it lands, as the Prometheus writer) and every option has a description", () => {
    expect(makeWriter<SslWriter>(PrometheusSslWriter, { type: "PrometheusSsl", port: 0, key: tls.key, cert: tls.cert }).partial).toBe(true)
    expect(optionDescriptions(options).filter(([, text]) => text.length < 10)).toEqual([])
    expect(optionDescriptions(options).map(([path]) => path)).toEqual(["port", "key", "cert"])
  })
})
