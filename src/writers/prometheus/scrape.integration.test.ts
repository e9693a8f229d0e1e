/**
 * A real Prometheus server (Debian package prometheus, /usr/bin/prometheus) scrapes pollect's
 * exporter on loopback every second; its query API returns the values pollect served, in both
 * naming modes side by side and through TLS with basic auth, and pollect's own metrics.
 */
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { afterAll, expect } from "bun:test"
import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { silentLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { PrometheusWriter } from "./index.ts"
import { resultOf, tempDir } from "../../../test/helpers/context.ts"
import { findTool, itWithTools } from "../../../test/helpers/tools.ts"
import { freePort } from "../../../test/helpers/processes.ts"

const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function startExporter(
  names: "pollect" | "snake_case",
  extra: Record<string, unknown> = {},
  configDir = "",
): Promise<PrometheusWriter> {
  const config = { ...v.parse(PrometheusWriter.options, { port: 0, host: "127.0.0.1", names, ...extra }), type: "Prometheus" }
  const selfMetrics = new SelfMetrics()
  selfMetrics.observeProbe("pollect", "LoadAvg", 0.002, true)
  const writer = new PrometheusWriter(config, { log: silentLogger, stateDir: "", configDir, selfMetrics, once: false })
  await writer.start()
  cleanups.push(() => writer.stop())
  const results = [
    resultOf(new ValueSet(["time"], { help: "System load average" }).add(0.5, ["short"]).add(0.25, ["mid"]).add(0.125, ["long"]), {
      type: "LoadAvg",
      id: "a",
    }),
    resultOf(new ValueSet([], { unit: "milliseconds", help: "HTTP response time" }).add(12.5), { type: "Http", name: "local", id: "b" }),
  ]
  writer.write(results)
  return writer
}

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

async function query(base: string, promql: string): Promise<Sample[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(promql)}`)
  const body = (await response.json()) as { status: string; data?: { result: Sample[] } }
  if (body.status !== "success") throw new Error(`query ${promql}: ${JSON.stringify(body)}`)
  return body.data!.result
}

itWithTools(
  ["prometheus", "openssl"],
  "a real Prometheus scrapes the exporter every second (plain, and TLS with basic auth) and its API returns the values",
  async () => {
    const dir = tempDir("pollect-prometheus-")
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    selfSignedCert(dir)
    const original = await startExporter("pollect")
    const snake = await startExporter("snake_case")
    const passwordHash = Bun.password.hashSync("scrape-me", { algorithm: "bcrypt", cost: 4 })
    const secured = await startExporter(
      "snake_case",
      { tls: { certFile: "cert.pem", keyFile: "key.pem" }, basicAuth: { user: "prometheus", passwordHash } },
      dir,
    )
    writeFileSync(
      join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "  evaluation_interval: 1s",
        "scrape_configs:",
        "  - job_name: pollect",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${original.port}"]`,
        "        labels: {names: pollect}",
        `      - targets: ["127.0.0.1:${snake.port}"]`,
        "        labels: {names: snake_case}",
        "  - job_name: secured",
        "    scheme: https",
        "    basic_auth: {username: prometheus, password: scrape-me}",
        `    tls_config: {ca_file: ${join(dir, "cert.pem")}}`,
        "    static_configs:",
        `      - targets: ["127.0.0.1:${secured.port}"]`,
        "",
      ].join("\n"),
    )
    const port = freePort()
    const proc = Bun.spawn(
      [
        findTool("prometheus")!,
        `--config.file=${join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdout: "pipe", stderr: "pipe" },
    )
    cleanups.push(async () => {
      proc.kill()
      await proc.exited
    })
    const base = `http://127.0.0.1:${port}`

    // Wait until both targets have been scraped (up == 1) and the values are in.
    const deadline = Date.now() + 30_000
    let up: Sample[] = []
    while (Date.now() < deadline) {
      up = await query(base, 'up{job="pollect"} == 1').catch(() => [])
      const loaded = up.length === 2 ? await query(base, "pollect_LoadAvg").catch(() => []) : []
      if (loaded.length === 3) break
      await Bun.sleep(500)
    }
    if (up.length !== 2)
      throw new Error(`Prometheus did not scrape both exporters within 30 s: ${await new Response(proc.stderr).text().catch(() => "")}`)

    const values = async (promql: string) =>
      Object.fromEntries((await query(base, promql)).map((s) => [s.metric.time ?? s.metric.__name__ ?? "", Number(s.value[1])]))
    expect(await values("pollect_LoadAvg")).toEqual({ short: 0.5, mid: 0.25, long: 0.125 })
    expect(await values('pollect_load_avg{job="pollect"}')).toEqual({ short: 0.5, mid: 0.25, long: 0.125 })
    // Through TLS and basic auth too (it may need a moment longer: the first bcrypt check).
    let securedUp: Sample[] = []
    for (let i = 0; i < 20 && securedUp.length === 0; i++) {
      securedUp = await query(base, 'up{job="secured"} == 1')
      if (!securedUp.length) await Bun.sleep(500)
    }
    expect(securedUp).toHaveLength(1)
    expect(await values('pollect_load_avg{job="secured"}')).toEqual({ short: 0.5, mid: 0.25, long: 0.125 })
    expect((await query(base, "pollect_Http_local"))[0]?.value[1]).toBe("12.5")
    expect((await query(base, 'pollect_http_local_seconds{job="pollect"}'))[0]?.value[1]).toBe("0.0125")
    expect((await query(base, 'pollect_probe_duration_seconds{source="LoadAvg"}')).length).toBe(3)
    expect((await query(base, "pollect_build_info")).map((s) => s.value[1])).toEqual(["1", "1", "1"])

    // A few more scrapes: a changed value arrives, and Prometheus saw no scrape errors.
    snake.write([
      resultOf(new ValueSet(["time"]).add(0.75, ["short"]).add(0.25, ["mid"]).add(0.125, ["long"]), { type: "LoadAvg", id: "a" }),
    ])
    const until = Date.now() + 10_000
    let short = 0
    while (Date.now() < until && short !== 0.75) {
      await Bun.sleep(500)
      short = Number((await query(base, 'pollect_load_avg{job="pollect",time="short"}'))[0]?.value[1])
    }
    expect(short).toBe(0.75)
    expect(await query(base, "scrape_samples_scraped < 1")).toEqual([])
    // Scraped again and again for a few seconds, every scrape a success.
    let scrapes: Sample[] = []
    for (let i = 0; i < 30; i++) {
      scrapes = await query(base, "count_over_time(up[1m])")
      if (scrapes.length === 3 && scrapes.every((s) => Number(s.value[1]) >= 3)) break
      await Bun.sleep(500)
    }
    expect(scrapes.map((s) => Number(s.value[1]) >= 3)).toEqual([true, true, true])
    expect(await query(base, "up == 0")).toEqual([])
    // Prometheus asks for gzip: it got gzip (built by joining cached deflate blocks) and decoded it.
    for (const writer of [original, snake, secured]) expect(writer.gzipDeflations).toBeGreaterThan(0)
    expect(snake.gzipDeflations).toBeGreaterThan(1) // the changed value was compressed anew
  },
  60_000,
)
