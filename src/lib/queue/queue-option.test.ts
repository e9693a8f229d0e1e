import { describe, expect, it, spyOn } from "bun:test"
import * as fs from "node:fs"
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { v } from "../../api.ts"
import { createLogger, silentLogger } from "../../core/log.ts"
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

  it("what a queue drops is counted per writer and logged with its reason; a memory queue holds memoryBytes (16 MiB by default)", () => {
    const lines: string[] = []
    const context = { ...ctx(tempDir("pollect-qopt-")), log: createLogger({ level: "debug", write: (line) => lines.push(line) }) }
    const small = openQueue(false, { ctx: context, writer: "Otel", destination: "x", memoryBytes: 10 })
    small.append(new Uint8Array(10), 1)
    small.append(new Uint8Array(11), 7)
    expect(small.stats().batches).toBe(1)
    expect(
      context.selfMetrics
        .snapshot()
        .counters.get("pollect_points_dropped_total")
        ?.get(JSON.stringify({ writer: "Otel" })),
    ).toBe(7)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toEndWith(" WARN  Otel: dropped 7 point(s) in 1 batch(es): a batch larger than the queue")
    const big = openQueue(false, { ctx: context, writer: "Otel", destination: "x" })
    big.append(new Uint8Array(16 << 20), 1)
    expect(big.stats().batches).toBe(1)
    big.append(new Uint8Array(1), 1)
    expect(big.stats().batches).toBe(1) // the first went to make room
  })

  it("a durable queue takes maxBytes, fsyncMs and an absolute dir as given; its warnings name the writer", () => {
    const lines: string[] = []
    const stateDir = tempDir("pollect-qopt-")
    const context = { ...ctx(stateDir), log: createLogger({ level: "debug", write: (line) => lines.push(line) }) }
    const dir = join(tempDir("pollect-qopt-abs-"), "spool")
    const sync = spyOn(fs, "fdatasyncSync")
    try {
      const queue = openQueue({ dir, maxBytes: 64 << 10, fsyncMs: 0 }, { ctx: context, writer: "InfluxDB", destination: "x" })
      queue.append(new Uint8Array(1000), 1)
      expect(sync).toHaveBeenCalledTimes(1) // fsyncMs 0: every append
      expect(fs.readdirSync(dir).filter((f) => f.endsWith(".seg"))).toHaveLength(1)
      for (let i = 0; i < 70; i++) queue.append(new Uint8Array(1000), 1) // past 64 KiB: the oldest go
      expect(queue.stats().bytes).toBeLessThanOrEqual(64 << 10)
      expect(lines.some((l) => l.includes(" WARN  InfluxDB: dropped "))).toBe(true)
      queue.close()
      fs.appendFileSync(
        join(
          dir,
          fs
            .readdirSync(dir)
            .filter((f) => f.endsWith(".seg"))
            .sort()
            .at(-1)!,
        ),
        "torn",
      )
      lines.length = 0
      openQueue({ dir, maxBytes: 64 << 10, fsyncMs: 1000 }, { ctx: context, writer: "InfluxDB", destination: "x" }).close()
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(" WARN  InfluxDB: queue ")
      expect(lines[0]).toContain("torn or corrupt")
    } finally {
      sync.mockRestore()
    }
  })

  it("an error without an errno code is named by its message", () => {
    const stateDir = tempDir("pollect-qopt-")
    const open = spyOn(DurableQueue, "open").mockImplementation(() => {
      throw new Error("disk on fire")
    })
    try {
      expect(() => openQueue({ maxBytes: 1 << 20, fsyncMs: 1000 }, { ctx: ctx(stateDir), writer: "InfluxDB", destination: "x" })).toThrow(
        `cannot open the queue folder ${defaultQueueDir(stateDir, "InfluxDB", "x")}: disk on fire; set the config's stateDir or the writer's queue.dir to a writable folder, or queue: false`,
      )
    } finally {
      open.mockRestore()
    }
  })

  it("the schema: maxBytes between 64 KiB and 1 TiB, whole; fsyncMs 0 to an hour; dir non-empty", () => {
    const schema = v.object({ queue: queueField })
    const ok = (queue: unknown) => v.safeParse(schema, { queue }).success
    expect(ok(false)).toBe(true)
    expect(ok({ maxBytes: 64 << 10 })).toBe(true)
    expect(ok({ maxBytes: (64 << 10) - 1 })).toBe(false)
    expect(ok({ maxBytes: 2 ** 40 })).toBe(true)
    expect(ok({ maxBytes: 2 ** 40 + 1 })).toBe(false)
    expect(ok({ maxBytes: 100_000.5 })).toBe(false)
    expect(ok({ maxBytes: "1M" })).toBe(false)
    expect(ok({ fsyncMs: 0 })).toBe(true)
    expect(ok({ fsyncMs: -1 })).toBe(false)
    expect(ok({ fsyncMs: 3_600_000 })).toBe(true)
    expect(ok({ fsyncMs: 3_600_001 })).toBe(false)
    expect(ok({ fsyncMs: 1.5 })).toBe(false)
    expect(ok({ dir: "" })).toBe(false)
    expect(ok({ dir: "q" })).toBe(true)
    expect(ok({ dir: 5 })).toBe(false)
    expect(v.parse(schema, { queue: { dir: "q" } }).queue).toEqual({ dir: "q", maxBytes: 64 << 20, fsyncMs: 1000 })
    expect(DEFAULT_QUEUE_BYTES).toBe(64 * 1024 * 1024)
    const json = JSON.stringify(queueField)
    for (const text of [
      "Folder of the queue's segment files",
      "Bytes on disk at most",
      "ms between fdatasyncs of the queue",
      "Where points wait while the store is unreachable",
    ])
      expect(json).toContain(text)
  })
})
