/**
 * remote_write throughput: pollect's RemoteWrite writer (hand-written protobuf encoder and snappy
 * block compressor) side by side with the npm `prometheus-remote-write` client (protobufjs +
 * snappyjs) in the same run, both sending to the same loopback sink (a child process that reads
 * each body and answers 204, so its work is not on our event loop). Not a test: run it by hand.
 *
 *   bun bench/remote-write.ts                  # 10 000 series × 100 ticks = 1M samples
 *   bun bench/remote-write.ts 2000 50          # series, ticks
 *
 * Phases: (1) encode + snappy only (results → compressed request bodies), (2) the compressors
 * alone on the same uncompressed bodies: ours and snappyjs, (3) end to end: write() of every tick
 * until the sink acknowledged every sample, with `queue: false` (memory) and the default durable
 * queue (on disk, fsync every second), (4) the peer client: `pushTimeseries` with the same
 * series, batches of the same size, one request at a time as remote_write wants.
 */
import { tmpdir } from "node:os"
import { mkdtempSync, rmSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
// @ts-expect-error: snappyjs ships no types
import SnappyJS from "snappyjs"
import { pushTimeseries } from "prometheus-remote-write"
import { ValueSet, type SourceResult } from "../src/api.ts"
import { silentLogger } from "../src/core/log.ts"
import { SelfMetrics } from "../src/core/self-metrics.ts"
import { RemoteWriteWriter } from "../src/writers/remote-write/index.ts"
import { SeriesTracker } from "../src/writers/remote-write/series.ts"
import { snappyCompress } from "../src/writers/remote-write/snappy.ts"
import { WriteRequestEncoder } from "../src/writers/remote-write/write-request.ts"

const BATCH = 2000

/** Child: the receiver. Reads each body, counts bytes, answers 204; prints its port. */
async function sink(): Promise<void> {
  let bytes = 0
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      if (new URL(request.url).pathname === "/bytes") return new Response(String(bytes))
      bytes += (await request.arrayBuffer()).byteLength
      return new Response(null, { status: 204 })
    },
  })
  console.log(server.port)
  await new Promise(() => {})
}

/** N series as a few sources report them: 100 series per source, a label per value. */
function ticks(series: number, count: number, t0: number): SourceResult[][] {
  const out: SourceResult[][] = []
  for (let t = 0; t < count; t++) {
    const results: SourceResult[] = []
    for (let s = 0; s < series / 100; s++) {
      const set = new ValueSet(["interface", "direction"])
      for (let i = 0; i < 100; i++) set.add(t * 1000 + i + Math.random(), [`eth${s}.${i >> 1}`, i & 1 ? "rx" : "tx"], "bytes")
      results.push({
        id: `executors[0].sources[${s}]`,
        collection: "pollect",
        type: "Interface",
        labels: { host: "nas" },
        time: Math.floor((t0 + t * 1000) / 1000),
        timeMs: t0 + t * 1000,
        sets: [set],
        timeoutSeconds: 10,
      })
    }
    out.push(results)
  }
  return out
}

/** This process's CPU ms (user + system) since `from`: the machine is shared, wall time is noisy. */
const cpuMs = (from?: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from)
  return (u.user + u.system) / 1000
}

const rate = (n: number, ms: number) => `${((n / ms) * 1000).toLocaleString("en", { maximumFractionDigits: 0 })}/s`

async function main(series: number, count: number): Promise<void> {
  const total = series * count
  console.log(
    `remote_write: ${series} series × ${count} ticks = ${total.toLocaleString("en")} samples, batches of ${BATCH}; Bun ${Bun.version}`,
  )
  const child = Bun.spawn(["bun", import.meta.path, "--sink"], { stdout: "pipe", stderr: "inherit" })
  const reader = child.stdout.getReader()
  const port = Number(new TextDecoder().decode((await reader.read()).value).trim())
  const url = `http://127.0.0.1:${port}/api/v1/write`
  try {
    const t0 = Date.now() - count * 1000
    const data = ticks(series, count, t0)

    // (1) encode + snappy, no send
    {
      const tracker = new SeriesTracker("snake_case", { instance: "nas" }, () => {})
      const encoder = new WriteRequestEncoder()
      const table = new Int32Array(1 << 14)
      let raw = 0
      let compressed = 0
      const bodies: Uint8Array[] = []
      const flush = () => {
        const body = encoder.bytes()
        raw += body.length
        if (bodies.length < 50) bodies.push(body.slice())
        compressed += snappyCompress(body, table).length
        encoder.reset()
      }
      const sinkFn = {
        sample: (labels: Uint8Array, value: number, time: number) => {
          encoder.add(labels, value, time)
          if (encoder.samples >= BATCH) flush()
        },
        stale: (labels: Uint8Array, time: number) => encoder.addStale(labels, time),
      }
      const start = performance.now()
      const cpu = process.cpuUsage()
      for (const tick of data) for (const result of tick) tracker.apply(result, result.timeMs!, sinkFn)
      flush()
      const ms = performance.now() - start
      const used = cpuMs(cpu)
      console.log(
        `(1) encode+snappy (ours):   ${rate(total, ms)} samples wall, ${rate(total, used)} per CPU s; ${(raw / total).toFixed(1)} B/sample raw, ${(compressed / total).toFixed(1)} B/sample snappy (${ms.toFixed(0)} ms)`,
      )

      // (2) the compressors alone, on the same bodies
      const bytes = bodies.reduce((n, b) => n + b.length, 0)
      for (const [name, fn] of [
        ["ours", (b: Uint8Array) => snappyCompress(b, table)],
        ["snappyjs", (b: Uint8Array) => SnappyJS.compress(b) as Uint8Array],
      ] as const) {
        let out = 0
        const s = performance.now()
        for (let round = 0; round < 5; round++) for (const body of bodies) out += fn(body).length
        const t = performance.now() - s
        console.log(
          `(2) snappy ${name.padEnd(9)}      ${((bytes * 5) / 1e6 / (t / 1000)).toFixed(0)} MB/s, ratio ${(out / (bytes * 5)).toFixed(3)}`,
        )
      }
    }

    // (3) end to end through the writer
    for (const queue of [false, "durable"] as const) {
      const dir = mkdtempSync(join(tmpdir(), "pollect-bench-rw-"))
      const selfMetrics = new SelfMetrics()
      const config = v.parse(RemoteWriteWriter.options, {
        type: "RemoteWrite",
        url,
        batchSize: BATCH,
        ...(queue === false ? { queue: false } : {}),
      })
      const writer = new RemoteWriteWriter({ type: "RemoteWrite", ...config } as never, {
        log: silentLogger,
        stateDir: dir,
        configDir: dir,
        selfMetrics,
        once: false,
      })
      await writer.start()
      const sent = () =>
        selfMetrics
          .snapshot()
          .counters.get("pollect_points_sent_total")
          ?.get(JSON.stringify({ writer: "RemoteWrite" })) ?? 0
      const start = performance.now()
      const cpu = process.cpuUsage()
      for (const tick of data) {
        writer.write(tick)
        // Let the delivery loop run between ticks, as between real ticks.
        await Bun.sleep(0)
      }
      const written = performance.now() - start
      while (sent() < total) await Bun.sleep(1)
      const ms = performance.now() - start
      const used = cpuMs(cpu)
      await writer.stop()
      rmSync(dir, { recursive: true, force: true })
      console.log(
        `(3) writer, queue ${String(queue).padEnd(7)}:  ${rate(total, ms)} samples delivered wall, ${rate(total, used)} per CPU s of this process (write() calls took ${written.toFixed(0)} ms, all acknowledged after ${ms.toFixed(0)} ms)`,
      )
    }

    // (4) the peer: prometheus-remote-write (protobufjs + snappyjs), same series, same batch size
    {
      const labelsOf = (value: { labelValues: string[] }) => ({
        __name__: "pollect_interface_bytes",
        host: "nas",
        instance: "nas",
        interface: value.labelValues[0]!,
        direction: value.labelValues[1]!,
      })
      const start = performance.now()
      const cpu = process.cpuUsage()
      let batch: { labels: Record<string, string>; samples: { value: number; timestamp: number }[] }[] = []
      const send = async () => {
        const r = await pushTimeseries(batch as never, { url, fetch: fetch as never })
        if (r.status >= 300) throw new Error(`peer: ${r.status} ${r.errorMessage}`)
        batch = []
      }
      for (const tick of data)
        for (const result of tick)
          for (const set of result.sets)
            for (const value of set.values) {
              batch.push({ labels: labelsOf(value), samples: [{ value: value.value, timestamp: result.timeMs! }] })
              if (batch.length >= BATCH) await send()
            }
      if (batch.length) await send()
      const ms = performance.now() - start
      const used = cpuMs(cpu)
      console.log(
        `(4) prometheus-remote-write: ${rate(total, ms)} samples delivered wall, ${rate(total, used)} per CPU s (${ms.toFixed(0)} ms)`,
      )
    }
  } finally {
    child.kill()
  }
}

if (process.argv[2] === "--sink") await sink()
else await main(Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 100))
