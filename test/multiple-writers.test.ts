/**
 * `writers: [...]` globally and per executor: identical writer configs share one instance (one
 * TCP connection to the backend), and a failing writer never keeps the others from their data.
 */
import { afterEach, describe, expect, it } from "bun:test"
import type { TCPSocketListener } from "bun"
import * as v from "valibot"
import { Agent } from "../src/agent.ts"
import { resolveConfig } from "../src/config/index.ts"
import { createLogger, silentLogger } from "../src/core/log.ts"
import { Source } from "../src/core/plugin.ts"
import { builtinRegistry } from "../src/registry.ts"
import { DryRunWriter } from "../src/writers/dry-run/index.ts"
import { GraphiteWriter } from "../src/writers/graphite/index.ts"
import { concat, unpickleFrames } from "./helpers/python-pickle.ts"
import { RecordingWriter } from "./helpers/recording-writer.ts"
import { itWithTools } from "./helpers/tools.ts"
import { tempDir } from "./helpers/context.ts"

class ConstSource extends Source<{ value: number }> {
  static override readonly options = v.object({ value: v.number() })
  override probe() {
    return { x: this.config.value }
  }
}

const registry = () =>
  builtinRegistry().addSources({ Const: ConstSource }).addWriters({ Throwing: RecordingWriter, Rejecting: RecordingWriter })

/** A loopback backend that counts connections and keeps their bytes. */
function backend() {
  const chunks: Uint8Array[] = []
  const state = { accepted: 0, closed: 0 }
  const listener: TCPSocketListener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        state.accepted++
      },
      data(_socket, chunk) {
        chunks.push(new Uint8Array(chunk))
      },
      close() {
        state.closed++
      },
    },
  })
  cleanups.push(() => listener.stop(true))
  return { port: listener.port, state, bytes: () => concat(chunks) }
}

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await Bun.sleep(10)
  }
}

async function agentFor(raw: unknown, log = silentLogger): Promise<Agent> {
  // Its own stateDir: push writers keep their queue there (not in the working folder).
  const agent = new Agent(await resolveConfig({ stateDir: tempDir("pollect-multi-"), ...(raw as object) }, registry()), { log })
  cleanups.push(() => agent.stop(1000))
  return agent
}

describe("multiple writers", () => {
  itWithTools(["python3"], "identical Graphite configs, global and per executor, share one instance and one TCP connection", async () => {
    const server = backend()
    const graphite = { type: "Graphite", host: "127.0.0.1", picklePort: server.port }
    const agent = await agentFor({
      tickTime: 1,
      writers: [graphite],
      executors: [
        { collection: "a", sources: [{ type: "Const", value: 1 }] }, // the global writers
        {
          collection: "b",
          sources: [{ type: "Const", value: 2 }],
          writers: [{ picklePort: server.port, type: "Graphite", host: "127.0.0.1" }],
        }, // keys reordered
        { collection: "c", sources: [{ type: "Const", value: 3 }], writer: { ...graphite, bufferSize: 100_000 } }, // the default spelled out
      ],
    })
    expect(agent.writers).toHaveLength(1)
    const [shared] = agent.writers
    expect(shared).toBeInstanceOf(GraphiteWriter)
    for (const executor of agent.executors) expect(executor.writers).toEqual([shared!])

    await agent.startWriters()
    expect(await agent.runOnce()).toBe(true)
    await agent.stop(2000)
    await until(() => server.state.closed === server.state.accepted && server.state.accepted > 0)
    expect(server.state.accepted).toBe(1)
    const decoded = await unpickleFrames(server.bytes())
    expect(decoded.points.map((p) => `${p[0]}=${p[2]}`).sort()).toEqual(["a.const.x=1", "b.const.x=2", "c.const.x=3"])
  })

  it("different configs are different instances, each with its own connection", async () => {
    const one = backend()
    const two = backend()
    const agent = await agentFor({
      writers: [{ type: "Graphite", host: "127.0.0.1", picklePort: one.port }],
      executors: [
        { collection: "a", sources: [{ type: "Const", value: 1 }] },
        {
          collection: "b",
          sources: [{ type: "Const", value: 2 }],
          writers: [{ type: "Graphite", host: "127.0.0.1", picklePort: two.port }],
        },
        {
          collection: "c",
          sources: [{ type: "Const", value: 3 }],
          writers: [{ type: "Graphite", host: "127.0.0.1", picklePort: one.port, prefix: "other" }],
        },
      ],
    })
    expect(agent.writers).toHaveLength(3)
    await agent.startWriters()
    await agent.runOnce()
    await agent.stop(2000)
    await until(() => one.state.accepted >= 2 && two.state.accepted >= 1)
    expect(one.state.accepted).toBe(2)
    expect(two.state.accepted).toBe(1)
  })

  it("a writer that throws or rejects never stops the others: DryRun and Graphite get every tick", async () => {
    const server = backend()
    const lines: string[] = []
    const agent = await agentFor(
      {
        writers: [
          { type: "Throwing", throws: "backend exploded" },
          { type: "DryRun" },
          { type: "Rejecting", rejects: "backend rejected the batch" },
          { type: "Graphite", host: "127.0.0.1", picklePort: server.port },
        ],
        executors: [{ collection: "pollect", sources: [{ type: "Const", value: 7 }] }],
      },
      createLogger({ write: (line) => lines.push(line) }),
    )
    const dryRun = agent.writers.find((w): w is DryRunWriter => w instanceof DryRunWriter)!
    const printed: string[] = []
    dryRun.out = (line) => printed.push(line)
    const graphite = agent.writers.find((w): w is GraphiteWriter => w instanceof GraphiteWriter)!
    await agent.startWriters()
    for (let tick = 0; tick < 3; tick++) expect(await agent.runOnce()).toBe(true)

    const recorded = (type: string) => agent.writers.find((w): w is RecordingWriter => w.config.type === type)!
    const [throwing, rejecting] = [recorded("Throwing"), recorded("Rejecting")]
    expect([throwing.calls, rejecting.calls]).toEqual([3, 3])
    expect(printed).toHaveLength(3)
    expect(printed[0]).toMatch(/^\('pollect\.const\.x', \(\d+, 7\.0\)\)$/)
    await until(() => graphite.framesWritten > 0 && graphite.unsent === 0)
    // Each failure is logged once (not every tick), naming the writer and the reason.
    expect(lines.filter((line) => line.includes("backend exploded"))).toHaveLength(1)
    expect(lines.filter((line) => line.includes("backend rejected the batch"))).toHaveLength(1)
  })
})
