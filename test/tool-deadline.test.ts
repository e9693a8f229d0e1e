/**
 * A tool that hangs (a fake `smartctl` on PATH whose child sleeps 60 s) is killed at its probe's
 * deadline by a real Agent, while the other source of the same executor (a fake `sensors`)
 * keeps its schedule; nothing of the hung tool stays behind.
 */
import { afterAll, beforeAll, expect, it } from "bun:test"
import { join } from "node:path"
import { Agent } from "../src/agent.ts"
import { resolveConfig } from "../src/config/index.ts"
import { silentLogger } from "../src/core/log.ts"
import { Registry } from "../src/core/registry.ts"
import { builtinSources } from "../src/sources/index.ts"
import { fakeTools, hangPids, isDead, processState } from "./helpers/fake-tool.ts"
import { RecordingWriter } from "./helpers/recording-writer.ts"

const fake = fakeTools({
  smartctl: [{ args: "--scan --json", hang: true }],
  sensors: [{ args: "-j", stdoutFile: join(import.meta.dir, "../src/sources/sensors/testdata/nct6798-amdgpu-nvme/sensors-j.json") }],
})
let undo = () => {}
beforeAll(() => (undo = fake.onPath()))
afterAll(() => undo())

it("a hanging smartctl is killed at each deadline; Sensors in the same executor gets every tick", async () => {
  const registry = new Registry().addSources(builtinSources).addWriters({ Recording: RecordingWriter })
  const config = await resolveConfig(
    {
      executors: [
        {
          collection: "hw",
          tickTime: 1,
          writer: { type: "Recording", partial: true },
          sources: [{ type: "SmartCtl", timeout: 0.4 }, { type: "Sensors" }],
        },
      ],
    },
    registry,
  )
  const agent = new Agent(config, { log: silentLogger })
  await agent.start()
  await Bun.sleep(3500)
  await agent.stop(5000)
  const received = (agent.writers[0] as RecordingWriter).received

  const smart = received.filter((r) => r.type === "SmartCtl")
  const sensors = received.filter((r) => r.type === "Sensors")
  // Ticks at start and on each second boundary: at least three in 3.5 s even when the first
  // boundary comes so soon after start that the scheduler skips it.
  expect(sensors.length).toBeGreaterThanOrEqual(3)
  for (const result of sensors) {
    expect(result.error).toBeUndefined()
    expect(result.sets.length).toBeGreaterThan(0)
  }
  // SmartCtl failed each time at its deadline, and each tick started a fresh smartctl: the hung
  // one did not keep the source busy.
  expect(smart.length).toBe(sensors.length)
  for (const result of smart) expect(result.error).toBe("timed out after 0.4 s")
  const pids = hangPids(fake)
  expect(pids.length).toBe(2 * smart.length)
  await Bun.sleep(100)
  for (let i = 0; i < pids.length; i += 2) {
    expect(processState(pids[i]!)).toBeUndefined() // the script: killed and reaped, no zombie
    expect(isDead(pids[i + 1]!)).toBe(true) // its sleep: killed with it
  }
}, 20_000)
