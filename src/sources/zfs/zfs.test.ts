import { afterEach, describe, expect, it } from "bun:test"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { createSourceContext } from "../../core/source-context.ts"
import { createLogger, silentLogger } from "../../core/log.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { isDead, processState } from "../../../test/helpers/fake-tool.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { parseArcstats } from "./arcstats.ts"
import { fakeZpool } from "./fake-zpool.ts"
import { parseZpoolList, POOL_STATES, poolState } from "./health.ts"
import { MAX_LINE, parseIostatLine } from "./iostat-line.ts"
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

describe("Zfs: its README", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Zfs", aliases: [], cls: ZfsSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})

const ARCSTATS = readFileSync(join(import.meta.dir, "testdata/two-pools/proc/spl/kstat/zfs/arcstats"), "utf8")

describe("Zfs: health, ARC and the first wait", () => {
  let undo: (() => void) | undefined
  let source: ZfsSource | undefined
  afterEach(async () => {
    await source?.close()
    source = undefined
    undo?.()
    undo = undefined
    delete process.env.POLLECT_PROCFS
  })

  /** A proc root: pool state files (path relative to spl/kstat/zfs, joined as procPath does) and arcstats. */
  function procRoot(files: Record<string, string> = {}): { root: string; write: (path: string, text: string) => void } {
    const root = tempDir()
    const write = (path: string, text: string) => {
      const file = join(root, "spl/kstat/zfs", path)
      mkdirSync(join(file, ".."), { recursive: true })
      writeFileSync(file, text)
    }
    for (const [path, text] of Object.entries(files)) write(path, text)
    process.env.POLLECT_PROCFS = root
    return { root, write }
  }

  /**
   * A FIFO-fed fake zpool (its `zpool list` printing `list`, failing when undefined) and a source
   * with a log, started; under a probe budget of 400 ms (so a first probe waits 200 ms at most) unless `budgetMs` says otherwise.
   */
  function fed(list: string | undefined, budgetMs: number | null = 400) {
    const dir = tempDir()
    let listFile: string | undefined
    if (list !== undefined) {
      listFile = join(dir, "list.txt")
      writeFileSync(listFile, list)
    }
    const fake = fakeZpool({ listFile })
    undo = fake.onPath()
    const lines: string[] = []
    const handle = createSourceContext({
      log: createLogger({ level: "debug", write: (l) => lines.push(l) }, "Zfs"),
      stateDir: dir,
      configDir: dir,
    })
    handle.setSignal(new AbortController().signal, budgetMs ?? undefined)
    source = new ZfsSource({ type: "Zfs", interval: 1 }, handle.ctx)
    source.start()
    return { fake, source, lines }
  }

  const names = (sets: ValueSet[]) => sets.map((set) => [...new Set(set.values.map((v) => v.name))].join(","))

  it("health from the state files where they are; zpool list (-H -o name,health) only for the pools without one", async () => {
    procRoot({ "a/state": "ONLINE\n", "b/state": "garbage\n" })
    const { fake, source } = fed("a\tDEGRADED\nb\tFAULTED\nc\tOFFLINE\n")
    fake.feed([line("a", 1, 1, 0, 0, 0, 0), line("b", 1, 1, 0, 0, 0, 0)])
    await until("2 lines", () => (source.iostat?.linesRead ?? 0) >= 2).catch(() => undefined)
    const sets = await source.probe()
    expect(table(sets, "health").filter((s) => s.endsWith(" 1"))).toEqual(["a ONLINE 1", "b FAULTED 1"])
    expect(fake.calls().filter((c) => c.startsWith("zpool list"))).toEqual(["zpool list -H -o name,health"])
  })

  it("every pool with a state file: no zpool list at all", async () => {
    procRoot({ "a/state": "ONLINE\n" })
    const { fake, source } = fed(undefined)
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    const sets = await source.probe()
    expect(table(sets, "health").filter((s) => s.endsWith(" 1"))).toEqual(["a ONLINE 1"])
    expect(fake.calls().filter((c) => c.startsWith("zpool list"))).toEqual([])
  })

  it("a pool name that would leave the kstat folder ('..', '.x') is never read from there", async () => {
    const { write } = procRoot()
    write("../state", "ONLINE\n")
    write(".x/state", "ONLINE\n")
    const { fake, source } = fed("..\tDEGRADED\n.x\tFAULTED\n")
    fake.feed([line("..", 1, 1, 0, 0, 0, 0), line(".x", 1, 1, 0, 0, 0, 0)])
    await until("2 lines", () => (source.iostat?.linesRead ?? 0) >= 2).catch(() => undefined)
    const sets = await source.probe()
    expect(table(sets, "health").filter((s) => s.endsWith(" 1"))).toEqual([".. DEGRADED 1", ".x FAULTED 1"])
  })

  it("zpool list failing: one warning, no health values, the rest reported; its recovery is logged", async () => {
    procRoot()
    const listDir = tempDir()
    const { fake, source, lines } = fed(undefined)
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    let sets = await source.probe()
    expect(names(sets)).toEqual(["capacity", "", ""])
    await source.probe()
    const warnings = lines.filter((l) => l.includes("zpool list"))
    expect(warnings.map((l) => l.replace(/^.*\[Zfs\] /, ""))).toEqual([
      "pool health (zpool list) failed: zpool list exited with code 1: fake zpool: no list recorded",
    ])
    // The fake's list appears: health is back, and so says the log.
    writeFileSync(join(listDir, "list.txt"), "a\tONLINE\n")
    const script = join(fake.dir, "bin", "zpool")
    writeFileSync(
      script,
      readFileSync(script, "utf8").replace("echo 'fake zpool: no list recorded' >&2\n    exit 1", `cat '${join(listDir, "list.txt")}'`),
    )
    sets = await source.probe()
    expect(table(sets, "health").filter((s) => s.endsWith(" 1"))).toEqual(["a ONLINE 1"])
    expect(lines.at(-1)).toEndWith("zpool list recovered")
  })

  it("a probe past its deadline while asking zpool list fails, it does not report without health", async () => {
    procRoot()
    const dir = tempDir()
    writeFileSync(join(dir, "list.txt"), "a\tONLINE\n")
    const fake = fakeZpool({ listFile: join(dir, "list.txt") })
    undo = fake.onPath()
    const handle = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: tempDir() })
    const deadline = new AbortController()
    handle.setSignal(deadline.signal)
    source = new ZfsSource({ type: "Zfs", interval: 1 }, handle.ctx)
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    await source.probe()
    deadline.abort(new Error("timed out after 1 s"))
    await expect(source.probe()).rejects.toThrow()
  })

  it("ARC statistics: reported where arcstats is; a garbled file is one warning and left out, its return logged", async () => {
    const { write } = procRoot({ arcstats: "garbage\n" })
    const { fake, source, lines } = fed("a\tONLINE\n")
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    expect(names(await source.probe())).toEqual(["capacity", "", "", "health"])
    await source.probe()
    expect(lines.filter((l) => l.includes("arcstats")).map((l) => l.replace(/^.*\[Zfs\] /, ""))).toEqual([
      "arcstats failed: unexpected format, ARC statistics left out",
    ])
    write("arcstats", ARCSTATS)
    const sets = await source.probe()
    expect(names(sets)).toEqual(["capacity", "", "", "health", "arc_size,arc_c_max", "arc_hits,arc_misses"])
    expect(lines.at(-1)).toEndWith("arcstats recovered")
  })

  it("no pool but ARC statistics: the ARC alone; neither: the probe says no pool was reported", async () => {
    const { write } = procRoot({ arcstats: ARCSTATS })
    const { source } = fed(undefined)
    const sets = await source.probe()
    expect(names(sets)).toEqual(["arc_size,arc_c_max", "arc_hits,arc_misses"])
    write("arcstats", "garbage\n")
    await expect(source.probe()).rejects.toThrow(new Error("zpool iostat has reported no pool (none imported?)"))
  })

  it("start() on a closed source starts nothing", async () => {
    procRoot()
    const fake = fakeZpool({})
    undo = fake.onPath()
    const closed = makeSource<ZfsSource>(ZfsSource, { type: "Zfs", interval: 1 })
    await closed.close()
    closed.start()
    expect(closed.iostat).toBeUndefined()
  })

  it("the first probe waits for the first report (at most 2 s, half the probe's budget); later probes never wait", async () => {
    procRoot({ "a/state": "ONLINE\n" })
    const realSet = globalThis.setTimeout
    const waits: number[] = []
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      if ((ms ?? 0) <= 2000) waits.push(ms ?? 0)
      return realSet(fn, ms)
    }) as typeof setTimeout
    try {
      const { fake, source: s } = fed(undefined, null)
      const first = s.probe()
      fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
      await first
      // One wait, of about 2 s, ended by the report.
      expect(waits).toHaveLength(1)
      expect(waits[0]).toBeGreaterThan(1500)
      expect(waits[0]).toBeLessThanOrEqual(2000)
      waits.length = 0
      const second = await Promise.race([s.probe().then(() => "probed"), Bun.sleep(1000).then(() => "waited")])
      expect(second).toBe("probed")
      expect(waits).toEqual([])
      // Under a probe budget of 1 s: at most 0.5 s.
      await s.close()
      const handle = createSourceContext({ log: silentLogger, stateDir: tempDir(), configDir: tempDir() })
      handle.setSignal(new AbortController().signal, 1000)
      const budgeted = new ZfsSource({ type: "Zfs", interval: 1 }, handle.ctx)
      source = budgeted
      await budgeted.probe().catch(() => undefined)
      expect(waits.length).toBeGreaterThan(0)
      expect(waits[0]).toBeGreaterThan(300)
      expect(waits[0]).toBeLessThanOrEqual(500)
      expect(waits.every((ms) => ms > 0)).toBe(true)
    } finally {
      globalThis.setTimeout = realSet
    }
  })

  it("zpool list runs with a 5 s limit", async () => {
    procRoot()
    const realSet = globalThis.setTimeout
    const delays: number[] = []
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      delays.push(ms ?? 0)
      return realSet(fn, ms)
    }) as typeof setTimeout
    try {
      const { fake, source } = fed("a\tONLINE\n")
      fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
      await source.probe()
      expect(delays).toContain(5000)
    } finally {
      globalThis.setTimeout = realSet
    }
  })

  it("a restarted child is not waited for; its exit is logged at debug as a restart", async () => {
    procRoot({ "a/state": "ONLINE\n" })
    const { fake, source, lines } = fed(undefined)
    fake.feed([line("a", 1, 1, 0, 0, 0, 0)])
    await source.probe()
    const pid = source.iostat!.pid!
    process.kill(pid, "SIGKILL")
    await until("the child's exit", () => source.iostat!.lastExit !== undefined)
    expect(lines.some((l) => l.endsWith("zpool iostat was killed by SIGKILL; restarting"))).toBe(true)
    await until("the restart", () => source.iostat!.starts === 2, 4000)
    const realSet = globalThis.setTimeout
    const waits: number[] = []
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      if ((ms ?? 0) <= 2000) waits.push(ms ?? 0)
      return realSet(fn, ms)
    }) as typeof setTimeout
    try {
      // Its numbers went with the old child: the probe says why, at once.
      await expect(source.probe()).rejects.toThrow("zpool iostat was killed by SIGKILL")
    } finally {
      globalThis.setTimeout = realSet
    }
    expect(waits).toEqual([])
  }, 15000)
})

describe("Zfs parsers: the edges", () => {
  it("iostat lines: up to MAX_LINE characters, CR stripped, extra fields ignored, the pool name as printed", () => {
    const at = (length: number) => {
      const tail = "\t1\t2\t3\t4\t5\t6"
      return `${"p".repeat(length - tail.length)}${tail}`
    }
    expect(parseIostatLine(at(MAX_LINE))?.pool).toHaveLength(MAX_LINE - 12)
    expect(parseIostatLine(at(MAX_LINE + 1))).toBeUndefined()
    expect(parseIostatLine("tank\t1\t2\t3\t4\t5\t6\r")).toEqual({ pool: "tank", alloc: 1, free: 2, rates: [3, 4, 5, 6] })
    expect(parseIostatLine("tank\t1\t2\t3\t4\t5\t6\t7\tx")?.rates).toEqual([3, 4, 5, 6])
    expect(parseIostatLine(" tank\t1\t2\t3\t4\t5\t6")).toBeUndefined()
    expect(parseIostatLine("tank \t1\t2\t3\t4\t5\t6")).toBeUndefined()
    expect(parseIostatLine("my pool\t1\t2\t3\t4\t5\t6")?.pool).toBe("my pool")
    expect(parseIostatLine(`tank\t${"9".repeat(20)}\t2\t3\t4\t5\t6`)?.alloc).toBe(Number("9".repeat(20)))
    expect(parseIostatLine(`tank\t${"9".repeat(21)}\t2\t3\t4\t5\t6`)).toBeUndefined()
    expect(parseIostatLine("tank\t1\t2\t3\t4\t5\t6x")).toBeUndefined()
    // Only a CR at the end is a line ending; one inside is garbage.
    expect(parseIostatLine("tank\t1\r\t2\t3\t4\t5\t6")).toBeUndefined()
    expect(parseIostatLine("tank\t1\t2\t3\t4\t5\t")).toBeUndefined()
  })

  it("arcstats: the four values from `name type value` lines, digits only, all four needed", () => {
    const text = (lines: string[]) => ["13 1 0x01 147 39984 6046587813 432151718429963", "name type data", ...lines].join("\n")
    const all = ["  size   4   10  ", "c_max 4 20", "hits 4 30", "misses 4 40"]
    expect(parseArcstats(text(all))).toEqual({ size: 10, c_max: 20, hits: 30, misses: 40 })
    for (let i = 0; i < 4; i++) expect(parseArcstats(text(all.filter((_, j) => j !== i)))).toBeUndefined()
    expect(parseArcstats(text([...all, "size 4 -1", "hits 4 1e3", `misses 4 ${"1".repeat(21)}`, "c_min 4 5", "size 4"]))).toEqual({
      size: 10,
      c_max: 20,
      hits: 30,
      misses: 40,
    })
    expect(parseArcstats(text(["size 4 x", "c_max 4 20", "hits 4 30", "misses 4 40"]))).toBeUndefined()
  })

  it("pool states: every word zpool prints, in any case and white space; zpool list lines need a name and a known state", () => {
    expect(POOL_STATES).toEqual(["ONLINE", "DEGRADED", "FAULTED", "OFFLINE", "UNAVAIL", "REMOVED", "SUSPENDED"])
    for (const state of POOL_STATES) expect(poolState(` ${state.toLowerCase()}\n`)).toBe(state)
    expect(poolState("")).toBeUndefined()
    expect([...parseZpoolList("a\tdegraded\n\tONLINE\nb\tONLINE\textra\nc ONLINE\nd\tBROKEN\n")]).toEqual([
      ["a", "DEGRADED"],
      ["b", "ONLINE"],
    ])
  })

  it("the pool table: a pool missing from two reports is dropped; a restart skips each pool's first line again", () => {
    const t = new PoolTable()
    const add = (pool: string, r: number) => t.add(parseIostatLine(line(pool, 1, 1, r, r, r, r))!)
    add("a", 100)
    add("b", 100)
    add("a", 2)
    add("b", 4)
    expect(t.size).toBe(2)
    expect(t.take().map((p) => [p.pool, p.rates])).toEqual([
      ["a", [2, 2, 2, 2]],
      ["b", [4, 4, 4, 4]],
    ])
    add("a", 6)
    add("a", 8)
    expect(t.size).toBe(1)
    expect(t.take().map((p) => [p.pool, p.rates])).toEqual([["a", [7, 7, 7, 7]]])
    t.restarted()
    add("a", 50)
    expect(t.take().map((p) => [p.pool, p.rates])).toEqual([["a", [7, 7, 7, 7]]])
    add("a", 10)
    expect(t.take().map((p) => [p.pool, p.rates])).toEqual([["a", [10, 10, 10, 10]]])
    t.clear()
    expect([t.size, t.take()]).toEqual([0, []])
  })

  it("the pool table keeps three pools of one report", () => {
    const t = new PoolTable()
    for (const pool of ["a", "b", "c", "a", "b", "c"]) t.add(parseIostatLine(line(pool, 1, 1, 5, 5, 5, 5))!)
    expect(t.take().map((p) => [p.pool, p.rates])).toEqual([
      ["a", [5, 5, 5, 5]],
      ["b", [5, 5, 5, 5]],
      ["c", [5, 5, 5, 5]],
    ])
  })

  it("the pool table sorts its readings by name", () => {
    const t = new PoolTable()
    for (const pool of ["m", "b", "z", "a"]) t.add(parseIostatLine(line(pool, 1, 1, 0, 0, 0, 0))!)
    expect(t.take().map((p) => p.pool)).toEqual(["a", "b", "m", "z"])
  })
})
