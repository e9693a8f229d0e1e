/**
 * config/default.ts: the config pollect runs without `--config` validates as it is, and its
 * one-line summary (logged at the start) says what it does.
 */
import { describe, expect, it } from "bun:test"
import { builtinRegistry } from "../registry.ts"
import { DEFAULT_CONFIG, DEFAULT_CONFIG_SUMMARY } from "./default.ts"
import { resolveConfig } from "./index.ts"

describe("the embedded default config", () => {
  it("is valid, without a warning: the host's system metrics every 10 s, collection pollect, one Prometheus writer on :9001", async () => {
    const config = await resolveConfig(DEFAULT_CONFIG, builtinRegistry(), { env: {} })
    expect(config.warnings).toEqual([])
    expect(config.tickTime).toBe(10)
    expect(config.executors.map((e) => [e.collection, e.tickTime, e.sources.map((s) => s.type)])).toEqual([
      ["pollect", 10, ["LoadAvg", "MemoryUsage", "DiskUsage", "Interface", "IO"]],
    ])
    expect(config.executors[0]!.writers.map((w) => [w.path, w.type])).toEqual([["writer", "Prometheus"]])
    expect(config.executors[0]!.writers[0]!.config).toMatchObject({ port: 9001, names: "snake_case", path: "/metrics" })
  })

  it("the summary is the config's own: its sources, its tick, its port", () => {
    const types = DEFAULT_CONFIG.executors[0]!.sources.map((s) => s.type)
    const sources = `${types.slice(0, -1).join(", ")} and ${types.at(-1)}`
    expect(DEFAULT_CONFIG_SUMMARY).toBe(`${sources} every ${DEFAULT_CONFIG.tickTime} s on http://*:${DEFAULT_CONFIG.writer.port}/metrics`)
    expect(DEFAULT_CONFIG_SUMMARY).toBe("LoadAvg, MemoryUsage, DiskUsage, Interface and IO every 10 s on http://*:9001/metrics")
  })
})
