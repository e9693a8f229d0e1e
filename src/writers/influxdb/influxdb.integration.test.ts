/**
 * Against the real stores: InfluxDB 1.6 (Debian `influxdb`) read back through /query, and
 * VictoriaMetrics 1.79 (Debian `victoria-metrics`) through its export API.
 */
import { afterEach, describe, expect } from "bun:test"
import type { Subprocess } from "bun"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { ValueSet } from "../../api.ts"
import { createLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { InfluxDB } from "../../../test/helpers/influxdb.ts"
import { freePort, stopProcess } from "../../../test/helpers/processes.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { startFakeInfluxDB } from "./fake-influxdb.ts"
import { InfluxDBWriter } from "./index.ts"

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function influxdb(options: { auth?: boolean } = {}): Promise<InfluxDB> {
  const server = new InfluxDB(options)
  cleanups.push(() => server.stop())
  await server.start()
  return server
}

async function writer(config: Record<string, unknown>, stateDir = tempDir()) {
  const lines: string[] = []
  const selfMetrics = new SelfMetrics()
  const w = makeWriter<InfluxDBWriter>(
    InfluxDBWriter,
    { type: "InfluxDB", ...config },
    { selfMetrics, log: createLogger({ level: "debug", write: (line) => lines.push(line) }), stateDir },
  )
  cleanups.push(() => w.stop())
  await w.start()
  // Short backoff: the tests' outages last seconds.
  ;(w as unknown as { delivery: { options: { backoff: unknown } } }).delivery.options.backoff = { minMs: 100, maxMs: 500 }
  const counter = (name: string) =>
    selfMetrics
      .snapshot()
      .counters.get(name)
      ?.get(JSON.stringify({ writer: "InfluxDB" })) ?? 0
  return { w, lines, counter }
}

async function until(check: () => Promise<boolean> | boolean, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return true
    await Bun.sleep(100)
  }
  return check()
}

const HOSTILE = ["with space", "comma,inside", "equals=inside", 'quote"inside', "back\\slash", "trailing\\", "ünïcödé ✓", "new\nline"]

describe("InfluxDB 1.6", () => {
  itWithTools(["influxd"], "values arrive with their measurement, tags, fields and ms timestamps; hostile labels round-trip", async () => {
    const influx = await influxdb()
    const { w } = await writer({ url: influx.url, database: "pollect", createDatabase: true, tags: { host: "web 1" } })
    const load = new ValueSet(["time"]).add(0.5, ["short"]).add(0.25, ["mid"])
    const iface = new ValueSet(["interface"]).add(123, ["eth0"], "total_bytes_sent").add(456, ["eth0"], "total_bytes_recv")
    const hostile = new ValueSet(["dev"])
    HOSTILE.forEach((text, i) => hostile.add(i, [text]))
    w.write([
      resultOf(load, { type: "LoadAvg", timeMs: 1508478781250 }),
      resultOf(iface, { type: "Interface", labels: { site: "home" }, timeMs: 1508478781250 }),
      resultOf(hostile, { type: "Hostile", name: "a b,c", timeMs: 1508478781500 }),
    ])
    const load2 = () => influx.rows('SELECT * FROM "pollect_LoadAvg"', "pollect")
    expect(await until(async () => (await load2()).length === 2)).toBe(true)
    expect(await load2()).toEqual([
      { _measurement: "pollect_LoadAvg", time: 1508478781250, host: "web 1", time_: "mid", value: 0.25 },
      { _measurement: "pollect_LoadAvg", time: 1508478781250, host: "web 1", time_: "short", value: 0.5 },
    ])
    expect(await influx.rows('SELECT * FROM "pollect_Interface"', "pollect")).toEqual([
      {
        _measurement: "pollect_Interface",
        time: 1508478781250,
        host: "web 1",
        interface: "eth0",
        site: "home",
        total_bytes_recv: 456,
        total_bytes_sent: 123,
      },
    ])
    const rows = await influx.rows('SELECT * FROM "pollect_Hostile_a b,c"', "pollect")
    const stored = Object.fromEntries(rows.map((row) => [row.value as number, row.dev]))
    expect(stored).toEqual(Object.fromEntries(HOSTILE.map((text, i) => [i, text.replace(/\n/g, " ").replace(/\\(?=[\\,= ]|$)/g, "/")])))
  })

  itWithTools(["influxd"], "a missing database: one clear error; the points wait and arrive once it is created", async () => {
    const influx = await influxdb()
    const { w, lines } = await writer({ url: influx.url, database: "later" })
    w.write([resultOf(1, { timeMs: 1_700_000_000_000 })])
    expect(await until(() => lines.some((l) => l.includes(" ERROR ")))).toBe(true)
    expect(lines.filter((l) => l.includes(" ERROR "))).toEqual([
      expect.stringContaining('database "later" does not exist (HTTP 404): create it with CREATE DATABASE "later"'),
    ])
    await influx.query('CREATE DATABASE "later"')
    expect(await until(async () => (await influx.rows("SELECT * FROM pollect_Test", "later")).length === 1)).toBe(true)
  })

  itWithTools(["influxd"], "wrong credentials: 401 with a clear error, not retried; the right ones write", async () => {
    const influx = await influxdb({ auth: true })
    // The first user may be created without credentials.
    expect((await influx.query("CREATE USER admin WITH PASSWORD 'right' WITH ALL PRIVILEGES")).results[0]?.error).toBeUndefined()
    await influx.query("CREATE DATABASE secure", { auth: ["admin", "right"] })
    const wrong = await writer({ url: influx.url, database: "secure", user: "admin", password: "wrong-pw-4417" })
    wrong.w.write([resultOf(1)])
    expect(await until(() => wrong.counter("pollect_points_dropped_total") === 1)).toBe(true)
    expect(wrong.lines.filter((l) => l.includes(" ERROR ")).join("\n")).toContain("InfluxDB refused the credentials (HTTP 401")
    expect(wrong.lines.join("\n")).not.toContain("wrong-pw-4417")
    expect(wrong.counter("pollect_push_retries_total")).toBe(0)
    const right = await writer({ url: `http://admin:right@127.0.0.1:${influx.port}`, database: "secure" })
    right.w.write([resultOf(2)])
    expect(await until(async () => (await influx.rows("SELECT * FROM pollect_Test", "secure", ["admin", "right"])).length === 1)).toBe(true)
  })

  itWithTools(
    ["influxd"],
    "InfluxDB down for a while and back: nothing lost, order kept",
    async () => {
      const influx = await influxdb()
      await influx.query("CREATE DATABASE d")
      const { w, counter } = await writer({ url: influx.url, database: "d", batchSize: 1 })
      const t0 = 1_700_000_000_000
      w.write([resultOf(0, { timeMs: t0 })])
      expect(await until(() => counter("pollect_points_sent_total") === 1)).toBe(true)
      await influx.stop()
      for (let i = 1; i < 30; i++) w.write([resultOf(i, { timeMs: t0 + i * 500 })])
      expect(await until(() => counter("pollect_push_retries_total") >= 2)).toBe(true)
      await influx.start()
      expect(await until(() => counter("pollect_points_sent_total") === 30)).toBe(true)
      const rows = await influx.rows("SELECT * FROM pollect_Test", "d")
      expect(rows.map((r) => [r.time, r.value])).toEqual(Array.from({ length: 30 }, (_, i) => [t0 + i * 500, i]))
    },
    60_000,
  )

  itWithTools(
    ["influxd"],
    "pollect SIGKILLed during an outage and restarted: every point produced before the kill arrives",
    async () => {
      const influx = await influxdb()
      await influx.query("CREATE DATABASE pk")
      await influx.stop()
      // The always-up reference sees every tick as it is produced.
      const reference = startFakeInfluxDB()
      cleanups.push(reference.stop)
      const dir = tempDir()
      const config = join(dir, "config.json")
      writeFileSync(
        config,
        JSON.stringify({
          tickTime: 0.5,
          stateDir: dir,
          writers: [
            { type: "InfluxDB", url: influx.url, database: "pk" },
            { type: "InfluxDB", url: reference.url, database: "reference", queue: false },
          ],
          executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }],
        }),
      )
      const run = () => {
        const child = Bun.spawn([process.execPath, "src/main.ts", "--config", config], {
          cwd: join(import.meta.dir, "../../.."),
          stdout: "pipe",
          stderr: "pipe",
        })
        cleanups.push(() => (child.exitCode === null ? stopProcess(child, 3000) : undefined))
        return child
      }
      const first: Subprocess = run()
      const ticks = () => new Set(reference.points.map((p) => p.time))
      expect(await until(() => ticks().size >= 6)).toBe(true)
      first.kill("SIGKILL")
      await first.exited
      const produced = ticks()
      await influx.start()
      const second = run()
      const stored = async () => {
        const rows = await influx.rows("SELECT * FROM pollect_LoadAvg", "pk")
        return rows.map((r) => r.time as number)
      }
      expect(
        await until(async () => {
          const times = new Set(await stored())
          return [...produced].every((t) => times.has(t))
        }, 30_000),
      ).toBe(true)
      const times = await stored()
      // Three LoadAvg series per tick; InfluxDB keeps a repeated point (same series and time) once.
      const missing = [...produced].filter((t) => !times.includes(t))
      expect({ produced: produced.size, missing }).toEqual({ produced: produced.size, missing: [] })
      await stopProcess(second, 5000)
      expect(reference.errors).toEqual([])
    },
    90_000,
  )
})

describe("VictoriaMetrics 1.79", () => {
  itWithTools(["victoria-metrics"], "takes the lines on /write: metric <measurement>_<field>, db as a label", async () => {
    const port = freePort()
    const vm = Bun.spawn(
      [
        "victoria-metrics",
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${tempDir()}`,
        "-search.latencyOffset=0s",
        "-loggerLevel=ERROR",
      ],
      { stdout: "ignore", stderr: "pipe" },
    )
    cleanups.push(() => stopProcess(vm, 5000))
    const url = `http://127.0.0.1:${port}`
    expect(await until(async () => (await fetch(`${url}/health`).catch(() => null))?.ok === true)).toBe(true)
    const { w, counter } = await writer({ url, database: "pollect" })
    const now = Date.now()
    w.write([
      resultOf(new ValueSet(["time"]).add(0.5, ["mid"]), { type: "LoadAvg", timeMs: now }),
      resultOf(new ValueSet(["interface"]).add(123, ["eth0"], "total_bytes_sent"), { type: "Interface", timeMs: now }),
    ])
    expect(await until(() => counter("pollect_points_sent_total") === 2)).toBe(true)
    const series = async () => {
      await fetch(`${url}/internal/force_flush`)
      const text = await (await fetch(`${url}/api/v1/export?match[]={__name__=~"pollect_.*"}`)).text()
      return text
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { metric: Record<string, string>; values: number[]; timestamps: number[] })
        .sort((a, b) => a.metric.__name__!.localeCompare(b.metric.__name__!))
    }
    expect(await until(async () => (await series()).length === 2)).toBe(true)
    expect(await series()).toEqual([
      { metric: { __name__: "pollect_Interface_total_bytes_sent", db: "pollect", interface: "eth0" }, values: [123], timestamps: [now] },
      { metric: { __name__: "pollect_LoadAvg_value", db: "pollect", time_: "mid" }, values: [0.5], timestamps: [now] },
    ])
    // And the query API sees it within a second or so (-search.latencyOffset=0s; the default 30 s would hide it).
    const queried = async () => {
      const answer = (await (await fetch(`${url}/api/v1/query?query=pollect_LoadAvg_value&time=${now / 1000}`)).json()) as {
        data: { result: { value: [number, string] }[] }
      }
      return answer.data.result.map((r) => r.value[1])
    }
    expect(await until(async () => (await queried()).length > 0)).toBe(true)
    expect(await queried()).toEqual(["0.5"])
  })
})
