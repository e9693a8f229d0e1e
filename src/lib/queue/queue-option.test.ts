import { describe, expect, it } from "bun:test"
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { v } from "../../api.ts"
import { silentLogger } from "../../core/log.ts"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { DurableQueue } from "./durable-queue.ts"
import { MemoryQueue } from "./memory-queue.ts"
import { DEFAULT_QUEUE_BYTES, defaultQueueDir, openQueue, queueField } from "./queue-option.ts"

const ctx = (stateDir: string) => ({ log: silentLogger, stateDir, configDir: stateDir, selfMetrics: new SelfMetrics(), once: false })

describe("queue option", () => {
  it("defaults to a durable queue of 64 MiB under stateDir, in a folder named by writer and destination", () => {
    const parsed = v.parse(v.object({ queue: queueField }), {})
    expect(parsed.queue).toEqual({ maxBytes: DEFAULT_QUEUE_BYTES, fsyncMs: 1000 })
    const stateDir = tempDir("pollect-qopt-")
    const queue = openQueue(parsed.queue, { ctx: ctx(stateDir), writer: "InfluxDB", destination: "http://db:8086/write?db=x" })
    expect(queue).toBeInstanceOf(DurableQueue)
    const dir = defaultQueueDir(stateDir, "InfluxDB", "http://db:8086/write?db=x")
    expect(dir).toMatch(/queue\/influxdb-[0-9a-f]{12}$/)
    expect(existsSync(dir)).toBe(true)
    expect(defaultQueueDir(stateDir, "InfluxDB", "http://other:8086/write?db=x")).not.toBe(dir)
    queue.close()
  })

  it("false is a memory queue; a relative dir resolves against the config's folder", () => {
    const stateDir = tempDir("pollect-qopt-")
    expect(openQueue(false, { ctx: ctx(stateDir), writer: "Otel", destination: "x" })).toBeInstanceOf(MemoryQueue)
    const queue = openQueue({ dir: "spool", maxBytes: 1 << 20, fsyncMs: 0 }, { ctx: ctx(stateDir), writer: "Otel", destination: "x" })
    expect(existsSync(join(stateDir, "spool"))).toBe(true)
    queue.close()
  })

  it("rejects a size below 64 KiB with its path, and garbage", () => {
    const schema = v.object({ queue: queueField })
    const issues = (value: unknown) => v.safeParse(schema, { queue: value }).issues?.map((i) => i.message) ?? []
    expect(issues({ maxBytes: 10 }).join()).toContain("65536")
    expect(issues("yes").length).toBeGreaterThan(0)
    expect(issues(true).length).toBeGreaterThan(0)
  })

  it("an unwritable folder is one error that says what to set", () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: a regular file where the folder should be makes it impossible instead.
      const stateDir = tempDir("pollect-qopt-")
      writeFileSync(join(stateDir, "queue"), "a file, not a folder")
      expect(() => openQueue({ maxBytes: 1 << 20, fsyncMs: 1000 }, { ctx: ctx(stateDir), writer: "InfluxDB", destination: "x" })).toThrow(
        /cannot open the queue folder .*: (ENOTDIR|EEXIST); set the config's stateDir or the writer's queue.dir/,
      )
      return
    }
    const stateDir = tempDir("pollect-qopt-")
    mkdirSync(join(stateDir, "ro"))
    chmodSync(join(stateDir, "ro"), 0o500)
    expect(() =>
      openQueue({ maxBytes: 1 << 20, fsyncMs: 1000 }, { ctx: ctx(join(stateDir, "ro")), writer: "InfluxDB", destination: "x" }),
    ).toThrow(/cannot open the queue folder .*EACCES/)
  })
})
