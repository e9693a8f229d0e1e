/**
 * Exporter scrape CPU per series: pollect's Prometheus writer serving 10k and 100k series, side
 * by side with node_exporter (Debian prometheus-node-exporter) in the same run. Both run as
 * child processes and are scraped sequentially over loopback by this process; their CPU is read
 * from /proc/<pid>/stat (utime + stime, every thread) before and after, so the scraper's own
 * work is not counted. Not a test: run it by hand.
 *
 *   npx bun bench/exporter.ts                 # 10k and 100k series
 *   npx bun bench/exporter.ts 10000 --scrapes 300 --rounds 5
 *
 * The child (`--serve N`) holds N series as LoadAvg-like values: one gauge with a label, as a
 * source reports them, and also reports what rendering one update of all N cost (write CPU),
 * and what compressing them anew for the first gzip scrape after an update adds (deflate CPU).
 *
 * Each exporter is scraped twice per round: with `Accept-Encoding: identity`, and with `gzip`
 * (the body left compressed: the scraper's decoding is not what is measured). pollect's gzip
 * scrapes of unchanged series reuse the compressed series; the deflate column is the extra
 * cost of the first gzip scrape after each update.
 */
import { readFileSync } from "node:fs"
import * as v from "valibot"
import { silentLogger } from "../src/core/log.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import { ValueSet } from "../src/core/value-set.ts"
import { PrometheusWriter } from "../src/writers/prometheus/index.ts"

const USER_HZ = 100

if (process.argv[2] === "--serve") await serve(Number(process.argv[3]), process.argv[4] ?? "pollect")
else await main()

/** Child: an exporter with `n` series; prints its port and the write CPU, then serves until killed. */
async function serve(n: number, names: string): Promise<void> {
  const config = { ...v.parse(PrometheusWriter.options, { port: 0, host: "127.0.0.1", names }), type: "Prometheus" }
  const writer = new PrometheusWriter(config, {
    log: silentLogger,
    stateDir: "",
    configDir: "",
    selfMetrics: new SelfMetrics(),
    once: false,
  })
  await writer.start()
  const result = (tick: number) => {
    const set = new ValueSet(["instance", "mode"], { help: "Benchmark series" })
    for (let i = 0; i < n; i++) set.add(i * 0.5 + tick, [`host-${i >> 3}`, `m${i & 7}`])
    return {
      id: "bench",
      collection: "pollect",
      type: "Bench",
      labels: {},
      time: Math.floor(Date.now() / 1000),
      sets: [set],
      timeoutSeconds: 10,
    }
  }
  // Updates as a source would: each replaces all n series. The first warms the JIT.
  writer.write([result(0)])
  const updates = 5
  // Built beforehand: what a source's probe costs is not the writer's.
  const results = Array.from({ length: updates }, (_, tick) => result(tick + 1))
  const before = process.cpuUsage()
  for (const next of results) writer.write([next])
  await writer.metrics() // renders the cache, as the first scrape after an update would
  const cpu = process.cpuUsage(before)
  // gzip after an update (series compressed anew) against gzip of unchanged series (cached).
  const micros = (usage: NodeJS.CpuUsage) => usage.user + usage.system
  const gzipUpdates = Array.from({ length: 2 * updates }, (_, tick) => result(tick + updates + 1))
  await writer.metricsGzip() // warms the JIT and zlib
  let miss = 0
  let hit = 0
  for (const next of gzipUpdates) {
    writer.write([next])
    await writer.metrics() // the render, already counted in the write CPU
    let start = process.cpuUsage()
    await writer.metricsGzip()
    miss += micros(process.cpuUsage(start))
    start = process.cpuUsage()
    await writer.metricsGzip()
    hit += micros(process.cpuUsage(start))
  }
  process.stdout.write(
    JSON.stringify({
      port: writer.port,
      writeMicrosPerSeries: micros(cpu) / updates / n,
      deflateMicrosPerSeries: Math.max(0, miss - hit) / gzipUpdates.length / n,
    }) + "\n",
  )
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ
}

function rssBytes(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024
}

async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader()
  let text = ""
  while (!text.includes("\n")) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return text.split("\n")[0]!
}

/**
 * Scrapes `url` `times` times asking for `encoding`; returns CPU seconds the server process
 * used, the series per scrape and the body's size as sent (compressed for gzip).
 */
async function measure(
  pid: number,
  url: string,
  times: number,
  encoding: "identity" | "gzip" = "identity",
): Promise<{ cpu: number; series: number; bytes: number }> {
  const body = await (await fetch(url, { headers: { "Accept-Encoding": "identity" } })).text()
  const series = body.split("\n").filter((line) => line && !line.startsWith("#")).length
  // Bun's fetch would decode gzip: leave the body as sent.
  const init = { headers: { "Accept-Encoding": encoding }, decompress: false } as RequestInit
  const first = await fetch(url, init)
  if (encoding === "gzip" && first.headers.get("content-encoding") !== "gzip") throw new Error(`${url}: no gzip answer to a gzip request`)
  const bytes = (await first.arrayBuffer()).byteLength
  for (let i = 0; i < 5; i++) await (await fetch(url, init)).arrayBuffer() // warm-up
  const before = cpuSeconds(pid)
  for (let i = 0; i < times; i++) await (await fetch(url, init)).arrayBuffer()
  return { cpu: cpuSeconds(pid) - before, series, bytes }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(name)
  return index > 0 ? Number(process.argv[index + 1]) : fallback
}

async function main(): Promise<void> {
  const sizes = process.argv
    .slice(2)
    .filter((a, i, all) => /^\d+$/.test(a) && !all[i - 1]?.startsWith("--"))
    .map(Number)
  const rounds = flag("--rounds", 3)
  const nodePort = await freePort()
  const node = Bun.spawn(["/usr/bin/prometheus-node-exporter", `--web.listen-address=127.0.0.1:${nodePort}`, "--log.level=error"], {
    stdout: "ignore",
    stderr: "ignore",
  })
  const rows: string[] = []
  try {
    const nodeUrl = `http://127.0.0.1:${nodePort}/metrics`
    for (let i = 0; i < 50; i++) {
      if (
        await fetch(nodeUrl).then(
          (r) => r.ok,
          () => false,
        )
      )
        break
      await Bun.sleep(100)
    }
    console.log(
      `bun ${Bun.version}, node_exporter ${(() => {
        const out = Bun.spawnSync(["/usr/bin/prometheus-node-exporter", "--version"])
        return (out.stdout.toString() + out.stderr.toString()).split("\n")[0]
      })()}`,
    )
    console.log(`cpus: ${navigator.hardwareConcurrency}, rounds: ${rounds} (median shown)`)
    console.log(
      "| exporter | series | scrapes | CPU per scrape | CPU per series per scrape | ratio to node_exporter | write CPU per series per update | update + scrape, ratio | body | RSS |",
    )
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (const n of sizes.length ? sizes : [10_000, 100_000]) {
      const scrapes = flag("--scrapes", n >= 100_000 ? 40 : 300)
      const child = Bun.spawn([process.execPath, import.meta.path, "--serve", String(n)], { stdout: "pipe", stderr: "inherit" })
      try {
        const info = JSON.parse(await firstLine(child.stdout)) as {
          port: number
          writeMicrosPerSeries: number
          deflateMicrosPerSeries: number
        }
        const encodings = ["identity", "gzip"] as const
        const ours = { identity: [] as number[], gzip: [] as number[] }
        const theirs = { identity: [] as number[], gzip: [] as number[] }
        const ourBytes = { identity: 0, gzip: 0 }
        const nodeBytes = { identity: 0, gzip: 0 }
        let ourSeries = 0
        let nodeSeries = 0
        const nodeScrapes = 200
        for (let round = 0; round < rounds; round++) {
          for (const encoding of encodings) {
            const a = await measure(child.pid, `http://127.0.0.1:${info.port}/metrics`, scrapes, encoding)
            ourSeries = a.series
            ourBytes[encoding] = a.bytes
            ours[encoding].push((a.cpu / scrapes / a.series) * 1e6)
            const b = await measure(node.pid, nodeUrl, nodeScrapes, encoding)
            nodeSeries = b.series
            nodeBytes[encoding] = b.bytes
            theirs[encoding].push((b.cpu / nodeScrapes / b.series) * 1e6)
          }
        }
        const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`
        const kb = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`
        for (const encoding of encodings) {
          const our = median(ours[encoding])
          const their = median(theirs[encoding])
          const gzip = encoding === "gzip"
          const write = info.writeMicrosPerSeries + (gzip ? info.deflateMicrosPerSeries : 0)
          const writeText = gzip
            ? `${info.writeMicrosPerSeries.toFixed(2)} + ${info.deflateMicrosPerSeries.toFixed(2)} µs deflate`
            : `${info.writeMicrosPerSeries.toFixed(2)} µs`
          rows.push(
            `| pollect (names: pollect), ${encoding} | ${ourSeries} | ${scrapes} | ${((our * ourSeries) / 1000).toFixed(2)} ms | ${our.toFixed(3)} µs | ${(our / their).toFixed(3)}× | ${writeText} | ${((our + write) / their).toFixed(3)}× | ${kb(ourBytes[encoding])} | ${mib(rssBytes(child.pid))} |`,
            `| node_exporter (same run), ${encoding} | ${nodeSeries} | ${nodeScrapes} | ${((their * nodeSeries) / 1000).toFixed(2)} ms | ${their.toFixed(3)} µs | 1× | (collects at scrape) | 1× | ${kb(nodeBytes[encoding])} | ${mib(rssBytes(node.pid))} |`,
          )
          console.log(rows.slice(-2).join("\n"))
        }
      } finally {
        child.kill()
        await child.exited
      }
    }
  } finally {
    node.kill()
    await node.exited
  }
}
