import { describe, expect, it } from "bun:test"
import { Agent } from "../src/agent.ts"
import { resolveConfig } from "../src/config/index.ts"
import { silentLogger } from "../src/core/log.ts"
import { builtinRegistry } from "../src/registry.ts"
import { DryRunWriter } from "../src/writers/dry-run/index.ts"
import { RecordingWriter } from "./helpers/recording-writer.ts"

const registry = () => builtinRegistry().addWriters({ Recording: RecordingWriter, Refusing: RecordingWriter })

describe("Agent", () => {
  it("--dry-run replaces every writer by one DryRun", async () => {
    const config = await resolveConfig(
      {
        writer: { type: "Recording", tag: 1 },
        executors: [{ sources: [{ type: "LoadAvg" }] }, { writers: [{ type: "Recording", tag: 2 }], sources: [{ type: "LoadAvg" }] }],
      },
      registry(),
    )
    const agent = new Agent(config, { log: silentLogger, dryRun: true })
    expect(agent.writers.map((w) => w.constructor)).toEqual([DryRunWriter])
  })

  it("identical writer configs share one instance, whatever the key order", async () => {
    const config = await resolveConfig(
      {
        writer: { type: "Recording", tag: "a", partial: false },
        executors: [
          { sources: [{ type: "LoadAvg" }] },
          {
            writers: [
              { partial: false, tag: "a", type: "Recording" },
              { type: "Recording", tag: "b" },
            ],
            sources: [{ type: "LoadAvg" }],
          },
        ],
      },
      registry(),
    )
    RecordingWriter.built = 0
    const agent = new Agent(config, { log: silentLogger })
    expect(RecordingWriter.built).toBe(2)
    expect(agent.executors[0]!.writers[0]).toBe(agent.executors[1]!.writers[0]!)
  })

  it("an executor without any writer prints to stdout (DryRun) and says so", async () => {
    const config = await resolveConfig({ executors: [{ sources: [{ type: "LoadAvg" }] }] }, registry())
    expect(config.warnings).toEqual(["executors[0]: no writer configured (globally or here); values go to DryRun (stdout)"])
    expect(new Agent(config, { log: silentLogger }).writers[0]).toBeInstanceOf(DryRunWriter)
  })

  it("a writer that cannot start stops pollect with its reason", async () => {
    const config = await resolveConfig(
      { writer: { type: "Refusing", refusesStart: "port 9001 is already in use" }, executors: [{ sources: [{ type: "LoadAvg" }] }] },
      registry(),
    )
    await expect(new Agent(config, { log: silentLogger }).start()).rejects.toThrow(
      "writer Refusing cannot start: port 9001 is already in use",
    )
  })

  it("a source's tickTime below its executor's is raised to it; its default timeout is the executor's tick", async () => {
    const config = await resolveConfig(
      {
        executors: [
          {
            tickTime: 30,
            sources: [
              { type: "LoadAvg", tickTime: 5 },
              { type: "LoadAvg", tickTime: 60 },
            ],
          },
        ],
      },
      registry(),
    )
    expect(config.warnings).toContain(
      "executors[0].sources[0] (LoadAvg): tickTime 5 s is shorter than the executor's 30 s; it is probed every 30 s",
    )
    const [fast, slow] = new Agent(config, { log: silentLogger }).executors[0]!.slots
    expect(fast).toMatchObject({ tickTimeMs: 30_000, timeoutMs: 30_000 })
    // A tick waits for its slowest probe, so a default timeout longer than the tick would skip ticks.
    expect(slow).toMatchObject({ tickTimeMs: 60_000, timeoutMs: 30_000 })
  })

  it("runOnce() is false when a probe failed", async () => {
    const config = await resolveConfig(
      { executors: [{ sources: [{ type: "TcpTime", host: "127.0.0.1", port: 1, timeout: 2 }] }] },
      registry(),
    )
    const agent = new Agent(config, { log: silentLogger })
    ;(agent.writers[0] as DryRunWriter).out = () => {}
    expect(await agent.runOnce()).toBe(false)
    await agent.stop()
  })

  it("a source's default timeout never outlasts its executor's tick; an explicit one is kept", async () => {
    const config = await resolveConfig(
      {
        executors: [
          {
            tickTime: 10,
            sources: [
              { type: "Http", url: "http://127.0.0.1:1/" },
              { type: "Http", url: "http://127.0.0.1:1/", timeout: 30 },
              { type: "LoadAvg", tickTime: 60 },
            ],
          },
          { tickTime: 120, sources: [{ type: "Http", url: "http://127.0.0.1:1/" }] },
        ],
      },
      registry(),
    )
    const agent = new Agent(config, { log: silentLogger })
    expect(agent.executors.map((e) => e.slots.map((s) => s.timeoutMs))).toEqual([[10_000, 30_000, 10_000], [15_000]])
  })
})
