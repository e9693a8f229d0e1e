/**
 * The Graphite writer against a real carbon-cache (Debian graphite-carbon) on loopback: what
 * pollect sends is read back from carbon's whisper files with whisper-fetch.
 */
import { afterAll, beforeAll, describe, expect } from "bun:test"
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { GraphiteWriter } from "./index.ts"
import { CarbonCache } from "../../../test/helpers/carbon-cache.ts"
import { makeWriter, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { itWithTools, missingTools } from "../../../test/helpers/tools.ts"

const TOOLS = ["carbon-cache", "whisper-fetch", "python3"]
let carbon: CarbonCache
const writers: GraphiteWriter[] = []

beforeAll(async () => {
  if (missingTools(TOOLS).length) return
  carbon = new CarbonCache()
  await carbon.start()
}, 60_000)

afterAll(async () => {
  await Promise.all(writers.map((w) => w.stop(500)))
  if (!carbon) return
  await carbon.stop()
  rmSync(carbon.dir, { recursive: true, force: true })
})

function writer(config: Record<string, unknown>, selfMetrics = new SelfMetrics()): GraphiteWriter {
  const w = makeWriter<GraphiteWriter>(
    GraphiteWriter,
    { type: "Graphite", host: "127.0.0.1", picklePort: carbon.ports.pickle, ...config },
    selfMetrics,
  )
  writers.push(w)
  w.start()
  return w
}

function dropped(metrics: SelfMetrics): number {
  return (
    metrics
      .snapshot()
      .counters.get("pollect_points_dropped_total")
      ?.get(JSON.stringify({ writer: "Graphite" })) ?? 0
  )
}

/** carbon's own log of rejected input: listener.log, or its console when it logs there. */
function carbonLog(): string {
  const dir = join(carbon.dir, "log")
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile())
  return files.map((entry) => readFileSync(join(entry.parentPath, entry.name), "utf8")).join("\n") + carbon.output
}

/** Timestamps well inside the 1 h whisper retention. */
const now = () => Math.floor(Date.now() / 1000)

describe("Graphite writer → real carbon-cache", () => {
  itWithTools(
    TOOLS,
    "pickle: carbon stores every value at its timestamp, under graphitePath()",
    async () => {
      const base = now() - 600
      const mids = [0.1, -3.5, 2 ** 40, 123456789.125, 1e300]
      const w = writer({})
      mids.forEach((mid, i) => w.write([resultOf({ short: i, mid, long: -(2 ** 33) - i }, { type: "LoadAvg", time: base + i * 10 })]))
      await w.stop()
      const from = base - 1
      const until = base + 60
      const stored = await carbon.waitFor("pollect.loadavg.long", from, until, (p) => p.size === 5)
      expect(stored).toEqual(new Map(mids.map((_, i) => [base + i * 10, -(2 ** 33) - i])))
      expect(await carbon.fetch("pollect.loadavg.mid", from, until)).toEqual(new Map(mids.map((mid, i) => [base + i * 10, mid])))
      expect(await carbon.fetch("pollect.loadavg.short", from, until)).toEqual(new Map(mids.map((_, i) => [base + i * 10, i])))
    },
    30_000,
  )

  itWithTools(
    TOOLS,
    "the pollect CLI with the README's Graphite config stores pollect.loadavg.mid",
    async () => {
      const dir = tempDir()
      const config = join(dir, "config.json")
      writeFileSync(
        config,
        JSON.stringify({
          tickTime: 30,
          writer: { type: "Graphite", picklePort: carbon.ports.pickle, host: "127.0.0.1" },
          executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }],
        }),
      )
      const before = now()
      const cli = Bun.spawn([process.execPath, join(import.meta.dir, "../../main.ts"), "--config", config, "--once"], {
        stdout: "pipe",
        stderr: "pipe",
      })
      const [code, errors] = [await cli.exited, await new Response(cli.stderr).text()]
      const after = now()
      rmSync(dir, { recursive: true, force: true })
      expect({ code, errors: errors.includes("ERROR") ? errors : "" }).toEqual({ code: 0, errors: "" })
      const loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number)
      for (const path of ["pollect.loadavg.short", "pollect.loadavg.mid", "pollect.loadavg.long"]) {
        const stored = await carbon.waitFor(path, before - 2, after + 2, (p) => p.size === 1)
        const [[time, value]] = [...stored.entries()] as [[number, number]]
        expect(time).toBeGreaterThanOrEqual(before)
        expect(time).toBeLessThanOrEqual(after)
        expect(value).toBeGreaterThanOrEqual(0)
        expect(value).toBeLessThan(Math.max(...loadavg) * 2 + 5)
      }
    },
    30_000,
  )

  itWithTools(
    TOOLS,
    "carbon refuses the Python pollect's pickled objects, and stores our plain tuples",
    async () => {
      // What the Python pollect sent: a pickle that names its own class. carbon's safe unpickler
      // refuses it; this proves the check is on in this carbon, so ours being stored means something.
      const encode = (text: string) => new TextEncoder().encode(text)
      const path = encode("pollect.unsafe.value")
      const global = encode("cpollect.core.ValueSet\nValueSet\n")
      const body = [0x80, 2, 0x5d, 0x28, 0x58, ...u32le(path.length), ...path, ...global, 0x29, 0x81, 0x86, 0x65, 0x2e]
      const socket = await Bun.connect({ hostname: "127.0.0.1", port: carbon.ports.pickle, socket: { data() {} } })
      socket.write(new Uint8Array([...u32be(body.length), ...body]))
      socket.end()

      const base = now() - 500
      const w = writer({ prefix: "safe" })
      w.write([resultOf({ value: 42.5 }, { type: "Plain", time: base })])
      await w.stop()
      expect(await carbon.waitFor("safe.pollect.plain.value", base - 1, base + 5, (p) => p.size === 1)).toEqual(new Map([[base, 42.5]]))

      const deadline = Date.now() + 10_000
      while (!carbonLog().includes("unsafe module pollect.core.ValueSet") && Date.now() < deadline) await Bun.sleep(100)
      expect(carbonLog()).toContain("Attempting to unpickle unsafe module pollect.core.ValueSet")
      expect(await Bun.file(carbon.file("pollect.unsafe.value")).exists()).toBe(false)
    },
    30_000,
  )

  itWithTools(
    TOOLS,
    "more than 1 MiB at once is split into frames carbon accepts; every point is stored",
    async () => {
      const paths = 20
      const times = 2500 // 50 000 points of ~200 bytes: about 10 MB of pickle
      const base = now() - 3000
      const name = (j: number) => `${"m".repeat(150)}_${j}`
      const metrics = new SelfMetrics()
      const w = writer({}, metrics)
      const results = []
      for (let i = 0; i < times; i++) {
        const set = new ValueSet()
        for (let j = 0; j < paths; j++) set.add(i * 1000 + j + 0.5, [], name(j))
        results.push(resultOf(set, { type: "Big", time: base + i }))
      }
      w.write(results)
      await w.stop(20_000)
      expect(w.framesWritten).toBeGreaterThanOrEqual(8)
      expect(dropped(metrics)).toBe(0)
      for (let j = 0; j < paths; j++) {
        const stored = await carbon.waitFor(`pollect.big.${name(j)}`, base - 1, base + times + 1, (p) => p.size === times)
        expect(stored.size).toBe(times)
        for (let i = 0; i < times; i++)
          if (stored.get(base + i) !== i * 1000 + j + 0.5) throw new Error(`path ${j} at ${i}: ${stored.get(base + i)}`)
      }
    },
    60_000,
  )

  itWithTools(
    TOOLS,
    "carbon stopped for several ticks and restarted: every point of the outage arrives",
    async () => {
      const base = now() - 1200
      const metrics = new SelfMetrics()
      const w = writer({}, metrics)
      let i = 0
      const tick = async () => {
        w.write([resultOf({ v: i * 1.5 }, { type: "Outage", time: base + i })])
        i++
        await Bun.sleep(100)
      }
      while (i < 10) await tick()
      await carbon.waitFor("pollect.outage.v", base - 1, base + 200, (p) => p.size === 10)

      // Stop carbon gracefully while ticks go on, keep it down for several ticks, start it again.
      let down = false
      const stopping = carbon.stop().then(() => (down = true))
      while (!down) await tick()
      await stopping
      const outageFrom = i
      let heldWhileDown = 0
      for (let k = 0; k < 8; k++) {
        await tick()
        heldWhileDown = Math.max(heldWhileDown, w.unsent)
      }
      let up = false
      const starting = carbon.start().then(() => (up = true))
      while (!up) await tick()
      await starting
      const outageTo = i
      for (let k = 0; k < 10; k++) await tick()
      await w.stop(20_000)

      expect(heldWhileDown).toBeGreaterThanOrEqual(8) // the writer did buffer through the outage
      expect(w.connections).toBeGreaterThanOrEqual(2)
      expect(outageTo - outageFrom).toBeGreaterThanOrEqual(8)
      const stored = await carbon.waitFor("pollect.outage.v", base - 1, base + i + 1, (p) => p.size === i)
      const missing = Array.from({ length: i }, (_, k) => k).filter((k) => stored.get(base + k) !== k * 1.5)
      expect(missing).toEqual([])
      expect(stored.size).toBe(i)
      expect(dropped(metrics)).toBe(0)
    },
    60_000,
  )

  itWithTools(
    TOOLS,
    "plaintext: lines to carbon's line receiver are stored the same way",
    async () => {
      const base = now() - 400
      const values = [0.1, 1e300, -7, 2 ** 40 + 0.5]
      const w = writer({ plaintextPort: carbon.ports.line, prefix: "text" })
      values.forEach((value, i) => w.write([resultOf({ value }, { type: "Line", time: base + i })]))
      await w.stop()
      const stored = await carbon.waitFor("text.pollect.line.value", base - 1, base + 10, (p) => p.size === values.length)
      expect(stored).toEqual(new Map(values.map((value, i) => [base + i, value])))
    },
    30_000,
  )
})

function u32le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]
}

function u32be(n: number): number[] {
  return u32le(n).reverse()
}
