/** Agent.reload(): what is kept, rebuilt, started and stopped when a new config is swapped in. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { Agent } from "../src/agent.ts"
import { resolveConfig } from "../src/config/index.ts"
import { createLogger, silentLogger } from "../src/core/log.ts"
import { Source } from "../src/core/plugin.ts"
import { reload } from "../src/run.ts"
import { builtinRegistry } from "../src/registry.ts"
import { FakeClock } from "./helpers/fake-clock.ts"
import { RecordingWriter } from "./helpers/recording-writer.ts"

/** Counts its probes (a rebuilt instance starts again at 1); `delayMs` makes a probe slow. */
class CountingSource extends Source<{ delayMs?: number; tag?: string }> {
  static override readonly options = v.object({ delayMs: v.optional(v.number()), tag: v.optional(v.string()) })
  static closed: CountingSource[] = []
  probes = 0
  override async probe() {
    if (this.config.delayMs) await Bun.sleep(this.config.delayMs)
    return ++this.probes
  }
  override close() {
    CountingSource.closed.push(this)
  }
}

const registry = () =>
  builtinRegistry().addSources({ Counting: CountingSource }).addWriters({ Recording: RecordingWriter, Refusing: RecordingWriter })
const load = (raw: unknown) => resolveConfig(raw, registry())
const sourcesOf = (agent: Agent) => agent.executors.flatMap((e) => e.slots.map((slot) => slot.source as CountingSource))
const recording = (agent: Agent, tag: string) => agent.writers.find((w) => (w.config as { tag?: string }).tag === tag) as RecordingWriter

describe("Agent.reload", () => {
  it("keeps unchanged executors, sources and writers (same instances), rebuilds changed ones, stops removed ones", async () => {
    const agent = new Agent(
      await load({
        tickTime: 60,
        writer: { type: "Recording", tag: "main", partial: true },
        executors: [
          { collection: "a", sources: [{ type: "Counting", name: "one" }] },
          {
            collection: "b",
            sources: [
              { type: "Counting", name: "two" },
              { type: "Counting", name: "three" },
            ],
          },
          { collection: "c", writer: { type: "Recording", tag: "side" }, sources: [{ type: "Counting", name: "four" }] },
        ],
      }),
      { log: silentLogger },
    )
    await agent.start()
    const [one, two, three, four] = sourcesOf(agent)
    const [a] = agent.executors
    const main = recording(agent, "main")
    const side = recording(agent, "side")
    CountingSource.closed = []

    const summary = await agent.reload(
      await load({
        tickTime: 60,
        writer: { type: "Recording", partial: true, tag: "main" },
        executors: [
          { collection: "a", sources: [{ type: "Counting", name: "one" }] },
          {
            collection: "b",
            sources: [
              { type: "Counting", name: "two" },
              { type: "Counting", name: "three", tag: "changed" },
              { type: "Counting", name: "five" },
            ],
          },
          { collection: "c", writer: { type: "Recording", tag: "side2" }, sources: [{ type: "Counting", name: "four" }] },
        ],
      }),
    )
    expect(summary).toEqual({
      executors: { kept: 1, rebuilt: 2 },
      sources: { kept: 2, added: 3, removed: 2 },
      writers: { kept: 1, added: 1, removed: 1 },
    })
    const [one2, two2, three2, five, four2] = sourcesOf(agent)
    expect(agent.executors[0]).toBe(a!)
    expect(one2).toBe(one!)
    expect(two2).toBe(two!)
    expect(three2).not.toBe(three!)
    // "four" is unchanged but its writer is not: it is rebuilt with it.
    expect(four2).not.toBe(four!)
    expect(five).toBeInstanceOf(CountingSource)
    expect(CountingSource.closed).toEqual([three!, four!])
    expect(recording(agent, "main")).toBe(main)
    expect(main.stops).toBe(0)
    expect(side.stops).toBe(1)
    expect(recording(agent, "side2").starts).toBe(1)
    await agent.stop()
  })

  it("a removed source's series leave partial writers (an empty result under its id); a kept source's stay", async () => {
    const config = (names: string[]) =>
      load({
        tickTime: 60,
        writer: { type: "Recording", partial: true },
        executors: [{ sources: names.map((name) => ({ type: "Counting", name })) }],
      })
    const agent = new Agent(await config(["kept", "gone"]), { log: silentLogger })
    await agent.start()
    await Bun.sleep(20)
    const writer = agent.writers[0] as RecordingWriter
    writer.batches.length = 0
    await agent.reload(await config(["kept"]))
    // Then the rebuilt executor's first tick: "kept" is the same instance, at its second probe.
    await Bun.sleep(20)
    expect(writer.received.map((r) => [r.id, r.name, r.sets[0]?.values[0]?.value])).toEqual([
      ["executors[0].sources[1]", "gone", undefined],
      ["executors[0].sources[0]", "kept", 2],
    ])
    await agent.stop()
  })

  it("a tick in progress finishes with the old set before removed writers stop and removed sources close", async () => {
    const agent = new Agent(
      await load({
        tickTime: 60,
        writer: { type: "Recording", tag: "old" },
        executors: [{ sources: [{ type: "Counting", name: "slow", delayMs: 300 }] }],
      }),
      { log: silentLogger },
    )
    await agent.start()
    const old = recording(agent, "old")
    const slow = sourcesOf(agent)[0]!
    CountingSource.closed = []
    await agent.reload(await load({ tickTime: 60, writer: { type: "Recording", tag: "new" }, executors: [{ sources: [] }] }))
    expect(old.received.map((r) => r.name)).toEqual(["slow"])
    expect(old.stops).toBe(1)
    expect(CountingSource.closed).toEqual([slow])
    await agent.stop()
  })

  it("a new writer that cannot start fails the reload as a whole: the old config keeps running", async () => {
    const agent = new Agent(
      await load({ tickTime: 60, writer: { type: "Recording", tag: "old" }, executors: [{ sources: [{ type: "Counting" }] }] }),
      { log: silentLogger },
    )
    await agent.start()
    const before = { executors: agent.executors, writers: agent.writers, sources: sourcesOf(agent) }
    CountingSource.closed = []
    await expect(
      agent.reload(
        await load({
          tickTime: 60,
          writers: [
            { type: "Recording", tag: "old" },
            { type: "Refusing", refusesStart: "port 9001 is already in use" },
            { type: "Recording", tag: "new" },
          ],
          executors: [{ sources: [{ type: "Counting" }] }],
        }),
      ),
    ).rejects.toThrow("writer Refusing cannot start: port 9001 is already in use")
    expect(agent.executors).toEqual(before.executors)
    expect(agent.writers).toEqual(before.writers)
    expect(sourcesOf(agent)).toEqual(before.sources)
    expect((before.writers[0] as RecordingWriter).stops).toBe(0)
    // The source made for the new config is closed again.
    expect(CountingSource.closed).toHaveLength(1)
    expect(CountingSource.closed[0]).not.toBe(before.sources[0]!)
    await agent.stop()
  })

  it("a writer replacing one of its type is tried again once that one stopped; failing again, that one starts again", async () => {
    const lines: string[] = []
    const clock = new FakeClock()
    const agent = new Agent(
      await load({ tickTime: 60, writer: { type: "Recording", tag: "old" }, executors: [{ sources: [{ type: "Counting" }] }] }),
      { log: createLogger({ write: (line) => lines.push(line) }), clock },
    )
    await agent.start()
    const old = agent.writers[0] as RecordingWriter
    const error = await agent
      .reload(
        await load({
          tickTime: 60,
          writer: { type: "Recording", tag: "new", refusesStart: "port 9001 is already in use" },
          executors: [{ sources: [{ type: "Counting" }] }],
        }),
      )
      .catch((e: Error) => e)
    expect(String(error)).toContain("writer Recording cannot start: port 9001 is already in use")
    expect(lines.join("\n")).toContain("stopping the Recording writer it replaces first, then trying again")
    expect([old.stops, old.starts]).toEqual([1, 2])
    expect(agent.writers).toEqual([old])
    // Still scheduled: the old executor goes on ticking into it.
    await clock.advance(120_000)
    expect(old.calls).toBeGreaterThanOrEqual(2)
    await agent.stop()
  })

  it("forgets the probe self-metrics of removed sources", async () => {
    const config = (names: string[]) =>
      load({ tickTime: 60, writer: { type: "Recording" }, executors: [{ sources: names.map((name) => ({ type: "Counting", name })) }] })
    const agent = new Agent(await config(["kept", "gone"]), { log: silentLogger })
    await agent.start()
    await Bun.sleep(20)
    await agent.reload(await config(["kept"]))
    expect(agent.selfMetrics.snapshot().probes.map((p) => p.source)).toEqual(["Counting.kept"])
    await agent.stop()
  })

  it("SIGHUP without --config: nothing to re-read, logged, nothing changes", async () => {
    const lines: string[] = []
    const log = createLogger({ write: (line) => lines.push(line) })
    const agent = new Agent(await load({ writer: { type: "Recording" }, executors: [{ sources: [{ type: "Counting" }] }] }), { log })
    const writers = agent.writers
    expect(await reload(agent, undefined, log)).toBe(true)
    expect(lines.join("\n")).toContain("SIGHUP: running the embedded default config (no --config): nothing to re-read")
    expect(agent.writers).toEqual(writers)
  })
})
