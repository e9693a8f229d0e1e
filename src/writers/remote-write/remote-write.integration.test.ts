/**
 * RemoteWrite against the real stores (Debian packages `prometheus` 2.42 and `victoria-metrics`
 * 1.79), started on loopback by the tests: what arrives is queried back through their APIs.
 * Also pollect itself (`bun src/main.ts`) killed with SIGKILL during an outage and restarted:
 * every point it produced before the kill reaches Prometheus.
 */
import { afterAll, describe, expect } from "bun:test"
import { mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { Subprocess } from "bun"
import * as v from "valibot"
import { ValueSet, type SourceResult } from "../../api.ts"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { resultOf, tempDir, writerContext } from "../../../test/helpers/context.ts"
import { freePort, stopProcess } from "../../../test/helpers/processes.ts"
import { findTool, itWithTools } from "../../../test/helpers/tools.ts"
import { RemoteWriteWriter } from "./index.ts"

const ROOT = join(import.meta.dir, "../../..")
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (
      await Promise.resolve()
        .then(check)
        .catch(() => false)
    )
      return true
    await Bun.sleep(100)
  }
  return Promise.resolve()
    .then(check)
    .catch(() => false)
}

interface Server {
  base: string
  port: number
  proc: Subprocess
  stop(): Promise<void>
}

/** Prometheus with the remote-write receiver, no scrapes; `dir` keeps its TSDB across restarts. */
async function startPrometheus(port = freePort(), dir = tempDir("pollect-prom-")): Promise<Server> {
  const config = join(dir, "prometheus.yml")
  writeFileSync(config, "global:\n  scrape_interval: 1m\n")
  const proc = Bun.spawn(
    [
      findTool("prometheus")!,
      "--web.enable-remote-write-receiver",
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--config.file=${config}`,
    ],
    { stdout: "ignore", stderr: "pipe" },
  )
  const base = `http://127.0.0.1:${port}`
  const server = { base, port, proc, stop: () => stopProcess(proc, 5000) }
  cleanups.push(server.stop)
  const ready = await until(async () => (await fetch(`${base}/-/ready`)).ok)
  if (!ready) throw new Error(`prometheus did not get ready: ${await new Response(proc.stderr as ReadableStream).text()}`)
  return server
}

async function startVictoriaMetrics(): Promise<Server> {
  const port = freePort()
  const dir = tempDir("pollect-vm-")
  const proc = Bun.spawn(
    [findTool("victoria-metrics")!, `-storageDataPath=${dir}`, `-httpListenAddr=127.0.0.1:${port}`, "-search.latencyOffset=0s"],
    { stdout: "ignore", stderr: "ignore" },
  )
  const base = `http://127.0.0.1:${port}`
  const server = { base, port, proc, stop: () => stopProcess(proc, 5000) }
  cleanups.push(server.stop)
  expect(await until(async () => (await fetch(`${base}/health`)).ok)).toBe(true)
  return server
}

type Matrix = { metric: Record<string, string>; values: [number, string][] }[]

/** Raw samples of `selector` in the last `range` (a range-vector instant query). */
async function rawSamples(base: string, selector: string, range = "1h", time = Date.now() / 1000): Promise<Matrix> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(`${selector}[${range}]`)}&time=${time}`)
  const body = (await response.json()) as { status: string; data: { result: Matrix } }
  if (body.status !== "success") throw new Error(JSON.stringify(body))
  return body.data.result
}

async function instant(base: string, query: string, time: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}&time=${time / 1000}`)
  const body = (await response.json()) as {
    status: string
    data: { result: { metric: Record<string, string>; value: [number, string] }[] }
  }
  if (body.status !== "success") throw new Error(JSON.stringify(body))
  return body.data.result
}

function writer(url: string, extra: Record<string, unknown> = {}, stateDir = tempDir()) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const config = v.parse(RemoteWriteWriter.options, { type: "RemoteWrite", url, ...extra })
  const ctx = writerContext({ log: createLogger({ level: "debug", write: (line) => lines.push(line) }), selfMetrics, stateDir })
  const w = new RemoteWriteWriter({ type: "RemoteWrite", ...config } as never, ctx, { backoffMinMs: 50, backoffMaxMs: 500 })
  cleanups.push(() => w.stop())
  const counter = (name: string) =>
    selfMetrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "RemoteWrite" })) ?? 0
  return { w, lines, counter }
}

function loadAt(timeMs: number, values: Record<string, number>, fields: Partial<SourceResult> = {}): SourceResult {
  const set = new ValueSet(["time"])
  for (const [key, value] of Object.entries(values)) set.add(value, [key])
  return { ...resultOf(set, { type: "LoadAvg", id: "load", ...fields }), time: Math.floor(timeMs / 1000), timeMs }
}

describe("RemoteWrite → Prometheus 2.42", () => {
  itWithTools(
    ["prometheus"],
    "values arrive with the writer's names, labels and millisecond timestamps; a staleness marker ends a series",
    async () => {
      const prom = await startPrometheus()
      const { w, counter } = writer(`${prom.base}/api/v1/write`, { labels: { instance: "nas" } })
      await w.start()
      const t0 = Date.now() - 10_000
      // Two ticks 500 ms apart (a 0.5 s executor): both kept, thanks to ms timestamps.
      w.write([loadAt(t0 + 1, { short: 0.5, mid: 0.25 }, { labels: { room: "attic" } })])
      w.write([loadAt(t0 + 501, { short: 0.75, mid: 0.125 }, { labels: { room: "attic" } })])
      // `mid` disappears at t0 + 1001.
      w.write([loadAt(t0 + 1001, { short: 1 }, { labels: { room: "attic" } })])
      expect(await until(() => counter("pollect_points_sent_total") === 6)).toBe(true)
      expect(counter("pollect_points_dropped_total")).toBe(0)
      const matrix = await rawSamples(prom.base, "pollect_load_avg")
      const byTime = Object.fromEntries(matrix.map((m) => [m.metric.time, m]))
      expect(byTime.short!.metric).toEqual({ __name__: "pollect_load_avg", instance: "nas", room: "attic", time: "short" })
      expect(byTime.short!.values).toEqual([
        [(t0 + 1) / 1000, "0.5"],
        [(t0 + 501) / 1000, "0.75"],
        [(t0 + 1001) / 1000, "1"],
      ])
      // The marker is not a sample a query returns ...
      expect(byTime.mid!.values).toEqual([
        [(t0 + 1) / 1000, "0.25"],
        [(t0 + 501) / 1000, "0.125"],
      ])
      // ... but it ends the series at once (no 5-minute lookback): there before, gone after.
      expect((await instant(prom.base, 'pollect_load_avg{time="mid"}', t0 + 900)).map((s) => s.value[1])).toEqual(["0.125"])
      expect(await instant(prom.base, 'pollect_load_avg{time="mid"}', t0 + 1500)).toEqual([])
      expect((await instant(prom.base, 'pollect_load_avg{time="short"}', t0 + 1500)).map((s) => s.value[1])).toEqual(["1"])
    },
    60_000,
  )

  itWithTools(
    ["prometheus"],
    "Prometheus refuses an older sample with 400 'out of order': dropped and counted, not retried, later ones delivered",
    async () => {
      const prom = await startPrometheus()
      const { w, counter, lines } = writer(`${prom.base}/api/v1/write`)
      await w.start()
      const t0 = Date.now() - 5000
      w.write([loadAt(t0 + 1000, { short: 1 })])
      w.write([loadAt(t0, { short: 2 })]) // older than the newest
      w.write([loadAt(t0 + 2000, { short: 3 })])
      expect(await until(() => counter("pollect_points_sent_total") === 2)).toBe(true)
      expect(counter("pollect_points_dropped_total")).toBe(1)
      expect(counter("pollect_push_retries_total")).toBe(0)
      expect(lines.find((line) => line.includes(" ERROR "))).toMatch(/HTTP 400: .*out of order/)
      const [series] = await rawSamples(prom.base, "pollect_load_avg")
      expect(series!.values.map(([, value]) => value)).toEqual(["1", "3"])
    },
    60_000,
  )

  itWithTools(
    ["prometheus"],
    "Prometheus down for a while, then started: nothing lost, order kept",
    async () => {
      const port = freePort()
      const { w, counter } = writer(`http://127.0.0.1:${port}/api/v1/write`)
      await w.start()
      const t0 = Date.now() - 20_000
      for (let i = 0; i < 20; i++) {
        w.write([loadAt(t0 + i * 250, { short: i })])
        await Bun.sleep(25)
      }
      expect(counter("pollect_push_retries_total")).toBeGreaterThan(0)
      expect(w.pending).toBe(true)
      const prom = await startPrometheus(port)
      expect(await until(() => counter("pollect_points_sent_total") === 20)).toBe(true)
      const [series] = await rawSamples(prom.base, "pollect_load_avg")
      expect(series!.values).toEqual(Array.from({ length: 20 }, (_, i) => [(t0 + i * 250) / 1000, String(i)]))
      expect(counter("pollect_points_dropped_total")).toBe(0)
    },
    60_000,
  )

  itWithTools(
    ["prometheus"],
    "pollect killed with SIGKILL during an outage and restarted: every point produced before the kill arrives, in order",
    async () => {
      const dir = tempDir("pollect-rw-kill-")
      const port = freePort()
      const produced = join(dir, "produced.txt")
      writeFileSync(produced, "")
      mkdirSync(join(dir, "sources"))
      // A source that counts across restarts and notes each value it produced, before pollect sees it.
      writeFileSync(
        join(dir, "sources", "ticks.ts"),
        `import { appendFileSync, readFileSync } from "node:fs"
import { Source, ValueSet } from "pollect"
const file = ${JSON.stringify(produced)}
let n = readFileSync(file, "utf8").split("\\n").filter(Boolean).length
export class TicksSource extends Source {
  probe() {
    n++
    appendFileSync(file, n + "\\n")
    return new ValueSet().add(n)
  }
}
`,
      )
      const config = join(dir, "config.json")
      writeFileSync(
        config,
        JSON.stringify({
          stateDir: join(dir, "state"),
          tickTime: 0.2,
          writer: { type: "RemoteWrite", url: `http://127.0.0.1:${port}/api/v1/write` },
          executors: [{ collection: "pollect", sources: [{ type: "Ticks" }] }],
        }),
      )
      const run = () => {
        const proc = Bun.spawn([process.execPath, join(ROOT, "src/main.ts"), "--config", config], {
          cwd: dir,
          stdout: "pipe",
          stderr: "pipe",
        })
        cleanups.push(() => proc.kill("SIGKILL"))
        return proc
      }
      const count = () => readFileSync(produced, "utf8").split("\n").filter(Boolean).length
      // Run 1: the store is down the whole time; SIGKILL once ~10 points are produced.
      const first = run()
      expect(await until(() => count() >= 10, 20_000)).toBe(true)
      first.kill("SIGKILL")
      await first.exited
      const beforeKill = count()
      // Run 2: the store is up; the queue from run 1 goes first.
      const prom = await startPrometheus(port)
      const second = run()
      expect(await until(() => count() >= beforeKill + 5, 20_000)).toBe(true)
      const arrivedAll = await until(async () => {
        const [series] = await rawSamples(prom.base, "pollect_ticks")
        return (series?.values.length ?? 0) >= beforeKill + 3
      }, 20_000)
      await stopProcess(second, 10_000)
      const stderr = await new Response(second.stderr as ReadableStream).text()
      expect({ arrivedAll, stderr: arrivedAll ? "" : stderr }).toEqual({ arrivedAll: true, stderr: "" })
      expect(stderr).toContain("queued from before; sending them first")
      const [series] = await rawSamples(prom.base, "pollect_ticks")
      const values = series!.values.map(([, value]) => Number(value))
      // In order: timestamps and counts both increase.
      const times = series!.values.map(([t]) => t)
      expect(times).toEqual([...times].sort((a, b) => a - b))
      expect(values).toEqual([...values].sort((a, b) => a - b))
      // Every value produced before the kill, except perhaps the very last one: the kill may land
      // between the probe noting it and the writer appending it to the queue.
      const missing = Array.from({ length: beforeKill }, (_, i) => i + 1).filter((n) => !values.includes(n))
      expect(missing.filter((n) => n !== beforeKill)).toEqual([])
    },
    90_000,
  )
})

describe("RemoteWrite → VictoriaMetrics 1.79", () => {
  itWithTools(
    ["victoria-metrics"],
    "accepts remote_write on /api/v1/write: names, labels, values and ms timestamps come back from /api/v1/export",
    async () => {
      const vm = await startVictoriaMetrics()
      const { w, counter } = writer(`${vm.base}/api/v1/write`, { names: "pollect", labels: { instance: "nas" } })
      await w.start()
      const t0 = Date.now() - 10_000
      w.write([loadAt(t0 + 7, { mid: 0.25 })])
      w.write([loadAt(t0 + 507, { mid: 0.5 })])
      expect(await until(() => counter("pollect_points_sent_total") === 2)).toBe(true)
      type Line = { metric: Record<string, string>; values: number[]; timestamps: number[] }
      let exported: Line[] = []
      const found = await until(async () => {
        const response = await fetch(
          `${vm.base}/api/v1/export?match[]=${encodeURIComponent("pollect_LoadAvg")}&start=${Math.floor(t0 / 1000) - 60}`,
        )
        const text = await response.text()
        exported = text
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Line)
        return exported[0]?.values.length === 2
      }, 20_000)
      expect({ found, exported }).toMatchObject({ found: true })
      expect(exported).toEqual([
        { metric: { __name__: "pollect_LoadAvg", instance: "nas", time: "mid" }, values: [0.25, 0.5], timestamps: [t0 + 7, t0 + 507] },
      ])
    },
    60_000,
  )
})
