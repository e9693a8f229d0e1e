import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { Agent } from "../src/agent.ts"
import { resolveConfig } from "../src/config/index.ts"
import { silentLogger } from "../src/core/log.ts"
import { Writer } from "../src/core/plugin.ts"
import type { SourceResult } from "../src/core/source-result.ts"
import { builtinRegistry } from "../src/registry.ts"
import { DryRunWriter } from "../src/writers/dry-run/index.ts"

class CountingWriter extends Writer {
  static override readonly options = v.object({ a: v.optional(v.number()), b: v.optional(v.number()), n: v.optional(v.number()) })
  static started = 0
  static instances = 0
  constructor(...args: ConstructorParameters<typeof Writer>) {
    super(...args)
    CountingWriter.instances++
  }
  override start() {
    CountingWriter.started++
  }
  override write(_: SourceResult[]) {}
}

class RefusingWriter extends Writer {
  override start() {
    throw new Error("port 9001 is already in use")
  }
  override write() {}
}

const registry = () => builtinRegistry().addWriters({ Counting: CountingWriter, Refusing: RefusingWriter })

describe("Agent", () => {
  it("--dry-run replaces every writer by one DryRun", async () => {
    const config = await resolveConfig(
      {
        writer: { type: "Counting", n: 1 },
        executors: [{ sources: [{ type: "LoadAvg" }] }, { writers: [{ type: "Counting", n: 2 }], sources: [{ type: "LoadAvg" }] }],
      },
      registry(),
    )
    const agent = new Agent(config, { log: silentLogger, dryRun: true })
    expect(agent.writers.map((w) => w.constructor)).toEqual([DryRunWriter])
  })

  it("identical writer configs share one instance, whatever the key order", async () => {
    CountingWriter.instances = 0
    const config = await resolveConfig(
      {
        writer: { type: "Counting", a: 1, b: 2 },
        executors: [
          { sources: [{ type: "LoadAvg" }] },
          {
            writers: [
              { b: 2, a: 1, type: "Counting" },
              { type: "Counting", a: 3 },
            ],
            sources: [{ type: "LoadAvg" }],
          },
        ],
      },
      registry(),
    )
    const agent = new Agent(config, { log: silentLogger })
    expect(CountingWriter.instances).toBe(2)
    expect(agent.executors[0]!.writers[0]).toBe(agent.executors[1]!.writers[0]!)
  })

  it("an executor without any writer prints to stdout (DryRun) and says so", async () => {
    const config = await resolveConfig({ executors: [{ sources: [{ type: "LoadAvg" }] }] }, registry())
    expect(config.warnings).toEqual(["executors[0]: no writer configured (globally or here); values go to DryRun (stdout)"])
    expect(new Agent(config, { log: silentLogger }).writers[0]).toBeInstanceOf(DryRunWriter)
  })

  it("a writer that cannot start stops pollect with its reason", async () => {
    const config = await resolveConfig({ writer: { type: "Refusing" }, executors: [{ sources: [{ type: "LoadAvg" }] }] }, registry())
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
