/**
 * InfluxDB writer throughput, in values (fields) per second, for ticks of 1000 values:
 * - `encode`: SourceResults → line-protocol lines → request body (encode.ts);
 * - `encode + gzip`: the same, gzip level 1 as the writer sends it;
 * - `writer end to end`: InfluxDBWriter.write() of the ticks (encode, gzip, queue) and the
 *   delivery loop POSTing every batch to a loopback sink (Bun.serve that reads the body and
 *   answers 204), until the sink has acknowledged all of them; with the memory queue and with
 *   the durable queue on disk.
 * Two shapes: `wide` (250 series × 4 fields, an Interface-like set) and `narrow` (1000 series × 1
 * field with two labels, hostile characters in some to exercise escaping).
 *
 *   npx bun bench/influxdb.ts [values=1000000] [rounds=5]
 */
import { silentLogger } from "../src/core/log.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { ValueSet } from "../src/core/value-set.ts"
import { batches, encodeResults } from "../src/writers/influxdb/encode.ts"
import { InfluxDBWriter } from "../src/writers/influxdb/index.ts"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const VALUES = Number(process.argv[2] ?? 1_000_000)
const ROUNDS = Number(process.argv[3] ?? 5)
const PER_TICK = 1000
const TICKS = Math.ceil(VALUES / PER_TICK)

function tick(shape: "wide" | "narrow", i: number): SourceResult[] {
  const set = shape === "wide" ? new ValueSet(["interface"]) : new ValueSet(["device", "mount"])
  if (shape === "wide") {
    for (let s = 0; s < 250; s++) {
      const name = `eth${s}`
      set.add(1e9 + i * 1000 + s, [name], "total_bytes_sent").add(2e9 + s, [name], "total_bytes_recv")
      set.add(i + 0.5, [name], "bytes_sent_sec").add(s / 7, [name], "bytes_recv_sec")
    }
  } else {
    for (let s = 0; s < 1000; s++) set.add(s * 0.001 + i, [`/dev/sd${s}`, s % 10 === 0 ? `/mnt/with space,${s}` : `/srv/${s}`])
  }
  return [
    {
      id: "executors[0].sources[0]",
      collection: "pollect",
      type: shape === "wide" ? "Interface" : "DiskUsage",
      labels: { site: "bench" },
      time: 1_700_000_000 + i,
      timeMs: 1_700_000_000_000 + i * 1000,
      timeoutSeconds: 10,
      sets: [set],
    },
  ]
}

function rate(values: number, ms: number): string {
  return `${(((values / ms) * 1000) / 1e6).toFixed(2)} M values/s`
}

function sink() {
  const state = { requests: 0, bytes: 0 }
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      state.bytes += (await request.arrayBuffer()).byteLength
      state.requests++
      return new Response(null, { status: 204 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, state, stop: () => server.stop(true) }
}

/** CPU ms (user + system) of this process since `from`: figures that mean something on a loaded machine. */
const cpuMs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from)
  return (d.user + d.system) / 1000
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

for (const shape of ["wide", "narrow"] as const) {
  const ticks = Array.from({ length: TICKS }, (_, i) => tick(shape, i))
  const values = TICKS * PER_TICK
  const encodeMs: number[] = []
  const gzipMs: number[] = []
  const encodeCpu: number[] = []
  const gzipCpu: number[] = []
  const endCpu: Record<string, number[]> = { memory: [], durable: [] }
  const endMs: Record<string, number[]> = { memory: [], durable: [] }
  let bodyBytes = 0
  let gzipBytes = 0
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now()
    let c = process.cpuUsage()
    let bytes = 0
    for (const results of ticks)
      for (const b of batches(encodeResults(results, { precision: "ms", tags: {} }).lines, 5000)) bytes += b.body.length
    encodeMs.push(performance.now() - t)
    encodeCpu.push(cpuMs(c))
    bodyBytes = bytes
    t = performance.now()
    c = process.cpuUsage()
    let gz = 0
    for (const results of ticks) {
      for (const b of batches(encodeResults(results, { precision: "ms", tags: {} }).lines, 5000))
        gz += Bun.gzipSync(Buffer.from(b.body), { level: 1 }).length
    }
    gzipMs.push(performance.now() - t)
    gzipCpu.push(cpuMs(c))
    gzipBytes = gz
    for (const queue of ["memory", "durable"] as const) {
      const store = sink()
      const stateDir = mkdtempSync(join(tmpdir(), "pollect-bench-influx-"))
      const selfMetrics = new SelfMetrics()
      const writer = new InfluxDBWriter(
        { type: "InfluxDB", url: store.url, database: "bench", queue: queue === "memory" ? false : { maxBytes: 1 << 30 } } as never,
        { log: silentLogger, stateDir, configDir: stateDir, selfMetrics, once: false },
      )
      await writer.start()
      t = performance.now()
      c = process.cpuUsage()
      for (const results of ticks) writer.write(results)
      while (store.state.requests < TICKS) await Bun.sleep(1)
      endMs[queue]!.push(performance.now() - t)
      endCpu[queue]!.push(cpuMs(c))
      await writer.stop()
      await store.stop()
      rmSync(stateDir, { recursive: true, force: true })
    }
  }
  const lines = shape === "wide" ? TICKS * 250 : TICKS * 1000
  console.log(`${shape}: ${values} values in ${lines} lines, ${ROUNDS} rounds (medians)`)
  const both = (wall: number[], cpu: number[]) => `${rate(values, median(wall))} wall, ${rate(values, median(cpu))} of CPU`
  console.log(`  encode               ${both(encodeMs, encodeCpu)}  (${(bodyBytes / lines).toFixed(0)} bytes/line)`)
  console.log(`  encode + gzip        ${both(gzipMs, gzipCpu)}  (gzip ${((gzipBytes / bodyBytes) * 100).toFixed(1)} % of the text)`)
  console.log(
    `  writer, memory queue ${both(endMs.memory!, endCpu.memory!)}  (encode, gzip, POST to a loopback sink, acknowledged; CPU includes the sink)`,
  )
  console.log(`  writer, disk queue   ${both(endMs.durable!, endCpu.durable!)}`)
}
