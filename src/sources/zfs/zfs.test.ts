import { afterEach, describe, expect, it } from "bun:test"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { isDead, processState } from "../../../test/helpers/fake-tool.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { parseArcstats } from "./arcstats.ts"
import { fakeZpool } from "./fake-zpool.ts"
import { parseZpoolList, poolState } from "./health.ts"
import { parseIostatLine } from "./iostat-line.ts"
import { ZfsSource } from "./index.ts"
import { PoolTable } from "./pool-table.ts"

/** Runs `fn` with POLLECT_PROCFS at `root`, then puts it back. */
async function withProc<T>(root: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.POLLECT_PROCFS
  process.env.POLLECT_PROCFS = root
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.POLLECT_PROCFS
    else process.env.POLLECT_PROCFS = saved
  }
}

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

/** Replays the case's iostat.txt (and zpool-list.txt, proc/) through a fake zpool; one probe once every line was read. */
async function golden(testCase: GoldenCase) {
  const iostatFile = join(testCase.dir, "iostat.txt")
  const listFile = join(testCase.dir, "zpool-list.txt")
  const fake = fakeZpool({ iostatFile, listFile: existsSync(listFile) ? listFile : undefined })
  const undo = fake.onPath()
  const proc = existsSync(join(testCase.dir, "proc")) ? join(testCase.dir, "proc") : join(testCase.dir, "no-proc")
  const lines = readFileSync(iostatFile, "utf8").split("\n").filter(Boolean).length
  try {
    return await withProc(proc, async () => {
      const source = makeSource<ZfsSource>(ZfsSource, testCase.config, { compat: testCase.compat })
      try {
        source.start()
        await until("the recorded lines", () => (source.iostat?.linesRead ?? 0) >= lines)
        return [await source.probe()]
      } finally {
        await source.close()
      }
    })
  } finally {
    undo()
  }
}

sourceConformance({
  type: "Zfs",
  cls: ZfsSource,
  dir: import.meta.dir,
  golden,
  failing: {
    config: { type: "Zfs" },
    setup: () => {
      const old = process.env.PATH
      process.env.PATH = tempDir()
      return () => {
        process.env.PATH = old
      }
    },
    message: /zpool not found on PATH \(install the zfsutils-linux package\)/,
  },
})

/** `pool io value` of a probe's rate sets, and `pool kind value` of its capacity. */
function table(sets: ValueSet[], name: string): string[] {
  return sets.flatMap((set) => set.values.filter((v) => v.name === name).map((v) => `${v.labelValues.join(" ")} ${v.value}`))
}

const line = (pool: string, alloc: number, free: number, r: number, w: number, rb: number, wb: number) =>
  [pool, alloc, free, r, w, rb, wb].join("\t")

describe("zpool iostat -Hp lines", () => {
  it("parses a pool line", () => {
    expect(parseIostatLine(line("tank", 1, 2, 3, 4, 5, 6))).toEqual({ pool: "tank", alloc: 1, free: 2, rates: [3, 4, 5, 6] })
  })
  it("refuses blank, truncated, non -p and oversized lines", () => {
    for (const bad of [
      "",
      "tank\t1\t2\t3",
      "tank\t1.5T\t2T\t3\t4\t5\t6",
      "tank\t1\t2\t3\t4\t-\t6",
      "\t1\t2\t3\t4\t5\t6",
      `x${"\t1".repeat(3000)}`,
    ])
      expect(parseIostatLine(bad)).toBeUndefined()
  })
})

describe("PoolTable", () => {
  it("keeps each pool apart, skips the since-import line and averages the intervals since the last take", () => {
    const t = new PoolTable()
    for (const l of [
      line("a", 1, 9, 100, 100, 100, 100),
      line("b", 2, 8, 7, 7, 7, 7),
      line("a", 1, 9, 2, 4, 6, 8),
      line("b", 2, 8, 1, 1, 1, 1),
    ])
      t.add(parseIostatLine(l)!)
    t.add(parseIostatLine(line("a", 3, 7, 4, 8, 12, 16))!)
    expect(t.take()).toEqual([
      { pool: "a", alloc: 3, free: 7, rates: [3, 6, 9, 12] },
      { pool: "b", alloc: 2, free: 8, rates: [1, 1, 1, 1] },
    ])
    // no new interval: the previous averages, never a division by zero
    expect(t.take()[0]!.rates).toEqual([3, 6, 9, 12])
  })
})

describe("arcstats and health", () => {
  it("reads size, c_max, hits and misses from a recorded arcstats", () => {
    const text = readFileSync(join(import.meta.dir, "testdata/two-pools/proc/spl/kstat/zfs/arcstats"), "utf8")
    expect(parseArcstats(text)).toEqual({ size: 8581234688, c_max: 16777216000, hits: 918273645, misses: 1234567 })
    expect(parseArcstats("garbage\n")).toBeUndefined()
  })
  it("knows zpool's states only", () => {
    expect(poolState("DEGRADED\n")).toBe("DEGRADED")
    expect(poolState("BROKEN")).toBeUndefined()
    expect([...parseZpoolList("tank\tONLINE\nold\tFAULTED\njunk\n")]).toEqual([
      ["tank", "ONLINE"],
      ["old", "FAULTED"],
    ])
  })
})

describe("the zpool iostat child", () => {
  let undo: (() => void) | undefined
  let source: ZfsSource | undefined
  afterEach(async () => {
    await source?.close()
    source = undefined
    undo?.()
    undo = undefined
  })

  /** A source reading a FIFO-fed fake zpool, with no /proc/spl (health from `zpool list`). */
  function fed(list = "a\tONLINE\nb\tDEGRADED\n") {
    const dir = tempDir()
    const listFile = join(dir, "list.txt")
    Bun.write(listFile, list)
    const fake = fakeZpool({ listFile })
    undo = fake.onPath()
    process.env.POLLECT_PROCFS = join(dir, "no-proc")
    const lines: string[] = []
    source = makeSource<ZfsSource>(ZfsSource, { type: "Zfs", interval: 1 }, { log: lines })
    return { fake, source, lines }
  }
  afterEach(() => {
    delete process.env.POLLECT_PROCFS
  })

  it("reports a pool added and drops a pool removed; a degraded pool's health", async () => {
    const { fake, source } = fed()
    fake.feed([line("a", 10, 90, 0, 0, 0, 0)])
    let sets = await source.probe()
    expect(table(sets, "capacity")).toEqual(["a used 10", "a free 90"])
    expect(table(sets, "operations_per_sec")).toEqual([])
    // b is imported: its first line is its since-import average, so capacity only
    fake.feed([line("a", 11, 89, 2, 4, 6, 8), line("b", 5, 5, 99, 99, 99, 99)])
    await until("4 lines", () => source.iostat!.linesRead >= 3)
    sets = await source.probe()
    expect(table(sets, "capacity")).toEqual(["a used 11", "a free 89", "b used 5", "b free 5"])
    expect(table(sets, "operations_per_sec")).toEqual(["a read 2", "a write 4"])
    expect(table(sets, "health").filter((s) => s.endsWith(" 1"))).toEqual(["a ONLINE 1", "b DEGRADED 1"])
    expect(table(sets, "health")).toHaveLength(14)
    fake.feed([line("a", 12, 88, 4, 4, 4, 4), line("b", 5, 5, 1, 2, 3, 4)])
    await until("6 lines", () => source.iostat!.linesRead >= 5)
    sets = await source.probe()
    expect(table(sets, "bandwidth_per_sec")).toEqual(["a read 4", "a write 4", "b read 3", "b write 4"])
    // b is exported: two reports without it (the second tells the first was complete)
    fake.feed([line("a", 12, 88, 1, 1, 1, 1), line("a", 12, 88, 3, 3, 3, 3)])
    await until("8 lines", () => source.iostat!.linesRead >= 7)
    sets = await source.probe()
    expect(table(sets, "capacity")).toEqual(["a used 12", "a free 88"])
    expect(table(sets, "operations_per_sec")).toEqual(["a read 2", "a write 2"])
  })

  it("a probe with no new line reports the last interval again, not NaN", async () => {
    const { fake, source } = fed()
    fake.feed([line("a", 1, 1, 0, 0, 0, 0), line("a", 1, 1, 5, 6, 7, 8)])
    await source.probe().catch(() => undefined)
    await until("2 lines", () => source.iostat!.linesRead >= 2)
    const first = table(await source.probe(), "operations_per_sec")
    expect(first).toEqual(["a read 5", "a write 6"])
    expect(table(await source.probe(), "operations_per_sec")).toEqual(first)
  })

  it("restarts a child that dies (with backoff), and leaves no zombie", async () => {
    const { fake, source } = fed()
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    await source.probe()
    const pid = source.iostat!.pid!
    process.kill(pid, "SIGKILL")
    await until("the child's exit", () => source.iostat!.lastExit !== undefined)
    expect(isDead(pid)).toBe(true)
    // its numbers went with it: the probe says why, and a new child starts after 1 s
    await expect(source.probe()).rejects.toThrow("zpool iostat was killed by SIGKILL")
    await until("the restart", () => source.iostat!.starts === 2, 4000)
    expect(source.iostat!.pid).not.toBe(pid)
    fake.feed([line("a", 2, 2, 0, 0, 0, 0)])
    await until("a line from the new child", () => source.iostat!.linesRead >= 2)
    expect(table(await source.probe(), "capacity")).toEqual(["a used 2", "a free 2"])
    expect(fake.calls().filter((c) => c.startsWith("zpool iostat"))).toEqual(["zpool iostat -Hp 1", "zpool iostat -Hp 1"])
    // an EOF (the child exits 0) is a restart too
    fake.endFeed()
    await until("the second exit", () => source.iostat!.lastExit === "zpool iostat exited with code 0")
  }, 15000)

  it("close() kills the child and reaps it; no restart after", async () => {
    const { fake, source: s } = fed()
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    await s.probe()
    const pid = s.iostat!.pid!
    expect(processState(pid)?.state).not.toBe("Z")
    await s.close()
    expect(processState(pid)).toBeUndefined() // gone, not a zombie
    await s.close()
    await Bun.sleep(1200)
    expect(s.iostat!.starts).toBe(1)
    await expect(s.probe()).rejects.toThrow("closed")
  })

  it("hostile output: garbage and an endless line are skipped, the next good line counts", async () => {
    const { fake, source } = fed()
    fake.feed(["garbage", "\t\t\t", `${"x".repeat(20000)}`, line("a", 7, 3, 0, 0, 0, 0)])
    await source.probe().catch(() => undefined)
    await until("the good line", () => source.iostat!.linesRead >= 3)
    expect(source.iostat!.linesRead).toBe(3) // the endless line is no line
    expect(table(await source.probe(), "capacity")).toEqual(["a used 7", "a free 3"])
  })

  it("a zpool that fails at once: its message, restarts backing off", async () => {
    const fake = fakeZpool({ iostatFails: "The ZFS modules are not loaded.\nTry running '/sbin/modprobe zfs' as root to load them." })
    undo = fake.onPath()
    source = makeSource<ZfsSource>(ZfsSource, { type: "Zfs" })
    await expect(source.probe()).rejects.toThrow("zpool iostat exited with code 1: The ZFS modules are not loaded.")
    await Bun.sleep(1500)
    // 1 s, then 2 s: two starts in 1.5 s, not one per probe or per millisecond
    expect(source.iostat!.starts).toBe(2)
  })

  it("no zpool: one clear message, nothing started, nothing logged by the source", async () => {
    const old = process.env.PATH
    process.env.PATH = tempDir()
    undo = () => (process.env.PATH = old)
    const lines: string[] = []
    source = makeSource<ZfsSource>(ZfsSource, { type: "Zfs" }, { log: lines })
    for (let i = 0; i < 3; i++) await expect(source.probe()).rejects.toThrow("zpool not found on PATH (install the zfsutils-linux package)")
    expect(source.iostat).toBeUndefined()
    expect(lines).toEqual([])
  })
})

describe("side by side with pollect 1.2", () => {
  it("the same series names and labels as 1.2's /metrics for the same zpool output", async () => {
    const dir = join(import.meta.dir, "testdata/python-1.2")
    const fake = fakeZpool({ iostatFile: join(dir, "iostat.txt") })
    const undo = fake.onPath()
    const source = makeSource<ZfsSource>(ZfsSource, { type: "Zfs", name: "nas" }, { compat: "1.2" })
    try {
      source.start()
      await until("2 lines", () => (source.iostat?.linesRead ?? 0) >= 2)
      const sets = await withProc(join(dir, "no-proc"), () => source.probe())
      const ours = pollectExposition([resultOf(sets, { type: "Zfs", name: "nas" })])
      const { python, ours: mine } = sideBySide(readFileSync(join(dir, "metrics.txt"), "utf8"), ours)
      expect([...mine.keys()].sort()).toEqual([...python.keys()].sort())
      expect(python.size).toBe(6)
      // ours: the interval's rates (1.2 averaged in the since-import line: 11 and 35)
      expect(mine.get('pollect_Zfs_nas_operations_per_sec{io="read",pool="tank"}')).toBe(10)
      expect(python.get('pollect_Zfs_nas_operations_per_sec{io="read",pool="tank"}')).toBe(11)
    } finally {
      await source.close()
      undo()
    }
  })
})
