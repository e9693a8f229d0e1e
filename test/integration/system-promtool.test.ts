/**
 * The system sources through the real Prometheus writer: the original pollect's series names
 * (as its Prometheus exporter served them, checked against the Python original on this machine),
 * and `promtool check metrics` on the snake_case output with all values.
 */
import { afterAll, describe, expect, it } from "bun:test"
import * as v from "valibot"
import { silentLogger } from "../../src/core/log.ts"
import { SelfMetrics } from "../../src/core/self-metrics.ts"
import { PrometheusWriter } from "../../src/writers/prometheus/index.ts"
import type { SourceClass } from "../../src/core/plugin.ts"
import { DiskUsageSource } from "../../src/sources/disk-usage/index.ts"
import { InterfaceSource } from "../../src/sources/interface/index.ts"
import { IOSource } from "../../src/sources/io/index.ts"
import { MemoryUsageSource } from "../../src/sources/memory-usage/index.ts"
import { ProcessSource } from "../../src/sources/process/index.ts"
import { resultOf } from "../helpers/context.ts"
import { makeClockedSource, useFixtureRoots } from "../helpers/proc-fixtures.ts"
import { promtoolCheck, snakeCaseExposition } from "../helpers/prom-exposition.ts"
import { itWithTools } from "../helpers/tools.ts"

const useRoots = useFixtureRoots()

const CASES: Array<[string, SourceClass, Record<string, unknown>]> = [
  ["MemoryUsage", MemoryUsageSource, {}],
  ["DiskUsage", DiskUsageSource, {}],
  ["Interface", InterfaceSource, { includeTotal: true }],
  ["IO", IOSource, {}],
  ["Process", ProcessSource, { name: "nginx", procRegex: "nginx" }],
]

describe("system sources, snake_case names", () => {
  for (const [type, cls, options] of CASES) {
    itWithTools(["promtool"], `promtool finds no problem in ${type}'s output (second probe: rates included)`, async () => {
      const clock = { now: 0 }
      const source = makeClockedSource(cls, { type, ...options }, clock)
      useRoots("proc-edge-a", "sys-edge")
      await source.probe()
      useRoots("proc-edge-b", "sys-edge")
      clock.now += 10_000
      const result = resultOf(await source.probe(), { type, name: options.name as string | undefined })
      expect(result.sets.flatMap((s) => s.values).length).toBeGreaterThan(0)
      const text = snakeCaseExposition(result)
      expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
    })
  }
})

describe("system sources, the original's names on /metrics", () => {
  const writers: PrometheusWriter[] = []
  afterAll(async () => {
    await Promise.all(writers.map((w) => w.stop()))
  })

  it("serves MemoryUsage, DiskUsage, Interface (includeTotal), IO and Process series as the Python pollect named them", async () => {
    const config = { ...v.parse(PrometheusWriter.options, { port: 0, host: "127.0.0.1" }), type: "Prometheus" }
    const writer = new PrometheusWriter(config, {
      log: silentLogger,
      stateDir: "",
      configDir: "",
      selfMetrics: new SelfMetrics(),
      once: false,
    })
    writers.push(writer)
    await writer.start()
    const clock = { now: 0 }
    const sources = CASES.map(([type, cls, options], i) => ({
      type,
      name: options.name as string | undefined,
      id: `executors[0].sources[${i}]`,
      source: makeClockedSource(cls, { type, ...options }, clock),
    }))
    useRoots("proc-edge-a", "sys-edge")
    for (const s of sources) await s.source.probe()
    useRoots("proc-edge-b", "sys-edge")
    clock.now += 10_000
    const results = []
    for (const s of sources) results.push(resultOf(await s.source.probe(), { type: s.type, name: s.name, id: s.id }))
    await writer.write(results)
    const text = await (await fetch(`${writer.url}/metrics`)).text()
    const series = new Set(
      text
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.slice(0, l.lastIndexOf(" "))),
    )
    for (const expected of [
      'pollect_MemoryUsage{type="total"}',
      'pollect_MemoryUsage{type="available"}',
      'pollect_MemoryUsage{type="used"}',
      'pollect_MemoryUsage{type="cached"}',
      'pollect_DiskUsage{disk="_",type="free"}',
      'pollect_DiskUsage{disk="_tmp",type="total"}',
      'pollect_Interface_total_bytes_sent{interface="wan0"}',
      'pollect_Interface_total_packets_recv{interface="eth0_100"}',
      'pollect_Interface_sent_bytes_sec{interface="wan0"}',
      'pollect_Interface_recv_packets_sec{interface="wan0"}',
      'pollect_IO_reads_sec{disk="sda"}',
      'pollect_IO_write_bytes_sec{disk="sda"}',
      'pollect_Process_nginx_load_percent{pidx="0"}',
      'pollect_Process_nginx_virtual_memory{pidx="0"}',
      'pollect_Process_nginx_process_count{pidx="all"}',
    ]) {
      expect(series).toContain(expected)
    }
  })
})
