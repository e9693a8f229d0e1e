import { describe, expect, it } from "bun:test"
import { dirname, join } from "node:path"
import * as v from "valibot"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { cpus, totalmem } from "node:os"
import { pointHostAt, replayHostCase, withRoots } from "../../../test/helpers/host-replay.ts"
import { ProcessSource } from "./index.ts"
import { validateConfig } from "../../config/schema.ts"
import { Registry } from "../../core/registry.ts"
import { builtinSources } from "../index.ts"
import { byGraphitePath, byPromSeries, FIXTURES, makeClockedSource, useFixtureRoots } from "../../../test/helpers/proc-fixtures.ts"
import { makeSource, tempDir } from "../../../test/helpers/context.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { cpSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { promName } from "../../core/naming.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import type { ProbeResult } from "../../api.ts"
import type { OpenProcFile } from "./open-proc-file.ts"

sourceConformance({
  type: "Process",
  cls: ProcessSource,
  dir: import.meta.dir,
  golden: (testCase) => replayHostCase(ProcessSource, testCase),
  failing: {
    config: { type: "Process", procRegex: "nginx" },
    // testdata/broken has a /proc/42/stat that is not one (and no config.json: not a golden case).
    setup: () => pointHostAt(join(import.meta.dir, "testdata/broken/proc")),
    message: /unexpected \/proc\/<pid>\/stat content: "garbage/,
  },
})

const useRoots = useFixtureRoots()

describe("Process", () => {
  it("the original's series by pidx in pid order; CPU percent from utime+stime deltas from the 2nd probe; exited processes drop out", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", name: "nginx", procRegex: "nginx" }, clock)
    useRoots("proc-edge-a")
    // pid 400 is listed but gone (no stat): not an error, not counted
    expect(Object.fromEntries(byPromSeries(await source.probe(), "Process", "nginx"))).toEqual({
      'pollect_Process_nginx_virtual_memory{pidx="0"}': 104857600,
      'pollect_Process_nginx_virtual_memory{pidx="1"}': 105906176,
      'pollect_Process_nginx_virtual_memory{pidx="2"}': 105906176,
      'pollect_Process_nginx_resident_memory{pidx="0"}': 8000 * 1024,
      'pollect_Process_nginx_resident_memory{pidx="1"}': 12000 * 1024,
      'pollect_Process_nginx_resident_memory{pidx="2"}': 12000 * 1024,
      'pollect_Process_nginx_process_count{pidx="all"}': 3,
    })
    useRoots("proc-edge-b")
    clock.now += 10_000
    const result = await source.probe()
    const series = byPromSeries(result, "Process", "nginx")
    // pid 100: 150 ticks in 10 s = 15 % of a core; pid 101: 1000 ticks = 100 %; 102 is new; 300 exited
    expect(series.get('pollect_Process_nginx_load_percent{pidx="0"}')).toBe(15)
    expect(series.get('pollect_Process_nginx_load_percent{pidx="1"}')).toBe(100)
    expect(series.has('pollect_Process_nginx_load_percent{pidx="2"}')).toBe(false)
    expect(series.get('pollect_Process_nginx_resident_memory{pidx="1"}')).toBe(14000 * 1024)
    expect(series.get('pollect_Process_nginx_process_count{pidx="all"}')).toBe(3)
    expect(byGraphitePath(result, "Process", "nginx").get("pollect.process.nginx.load_percent.0")).toBe(15)
  })

  it("searches the whole command line (joined by spaces); kernel threads (no command line) by name", async () => {
    useRoots("proc-edge-a")
    const count = async (procRegex: string) =>
      byPromSeries(
        await makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex }, { now: 0 }).probe(),
        "Process",
      ).get('pollect_Process_process_count{pidx="all"}')
    expect(await count("daemon off;")).toBe(1)
    expect(await count("^kworker/")).toBe(1)
    expect(await count("my odd --flag")).toBe(1)
    expect(await count("^nomatch$")).toBe(0)
  })

  it("memory and load switches", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "nginx", memory: false }, clock)
    useRoots("proc-edge-a")
    await source.probe()
    useRoots("proc-edge-b")
    clock.now += 10_000
    expect([...byPromSeries(await source.probe(), "Process").keys()]).toEqual([
      'pollect_Process_load_percent{pidx="0"}',
      'pollect_Process_load_percent{pidx="1"}',
      'pollect_Process_process_count{pidx="all"}',
    ])
    const noLoad = makeClockedSource<ProcessSource>(
      ProcessSource,
      { type: "Process", procRegex: "nginx", load: false, memory: false },
      clock,
    )
    expect([...byPromSeries(await noLoad.probe(), "Process").keys()]).toEqual(['pollect_Process_process_count{pidx="all"}'])
  })

  it("a pid reused by another process is a new process: no CPU delta across the two", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "my odd" }, clock)
    useRoots("proc-edge-a")
    await source.probe()
    useRoots("proc-edge-b") // pid 600 again, but started later: another process with more CPU time
    clock.now += 10_000
    const series = byPromSeries(await source.probe(), "Process")
    expect(series.get('pollect_Process_process_count{pidx="all"}')).toBe(1)
    expect(series.has('pollect_Process_load_percent{pidx="0"}')).toBe(false)
    clock.now += 10_000
    expect(byPromSeries(await source.probe(), "Process").get('pollect_Process_load_percent{pidx="0"}')).toBe(0)
  })

  it("an invalid procRegex is a config error", () => {
    expect(v.safeParse(ProcessSource.options, { procRegex: "(" }).issues?.[0]?.message).toMatch(
      /procRegex is not a valid regular expression/,
    )
  })

  it("backreferences and lookaround (no RE2 syntax) are config errors naming the path and why", () => {
    const registry = new Registry().addSources(builtinSources)
    const problems = (procRegex: string) =>
      (validateConfig({ executors: [{ sources: [{ type: "Process", procRegex }] }] }, registry) as { problems?: string[] }).problems
    expect(problems("(a)\\1")).toEqual([
      "executors[0].sources[0] (Process): procRegex: procRegex is not a valid regular expression: backreferences (`\\1`) are not supported (RE2 syntax: no backreferences or lookaround, so that matching takes linear time)",
    ])
    expect(problems("nginx(?=:)")?.[0]).toMatch(
      /^executors\[0\]\.sources\[0\] \(Process\): procRegex: .*lookahead and lookbehind \(`\(\?=`\) are not supported/,
    )
    expect(problems("(?<!x)nginx")?.[0]).toMatch(/lookahead and lookbehind \(`\(\?<!`\) are not supported/)
    // Python's inline flags, which the original's configs may use, are RE2 syntax
    expect(problems("(?i)NGINX")).toBeUndefined()
  })

  it("without /proc (macOS) the process list from systeminformation, same names", async () => {
    useRoots("does-not-exist")
    const tag = `pollect-si-${process.pid}-${Date.now()}`
    const child = Bun.spawn(["/bin/sh", "-c", `sleep 30 # ${tag}`], { stdout: "ignore", stderr: "ignore" })
    try {
      // until the child runs sh with the tag (not the forked runtime still): no fixed sleep under load
      for (let i = 0; i < 500 && !readFileSync(`/proc/${child.pid}/cmdline`, "utf8").includes(tag); i++) await Bun.sleep(10)
      const series = byPromSeries(
        await makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: tag }, { now: 0 }).probe(),
        "Process",
      )
      expect(series.get('pollect_Process_process_count{pidx="all"}')).toBe(1)
      // A live `sleep`: resident memory is some pages, below the machine's memory; ps's %cpu is
      // a percent of one core, so at most 100 per core.
      const resident = series.get('pollect_Process_resident_memory{pidx="0"}')!
      expect(resident).toBeGreaterThan(0)
      expect(resident).toBeLessThan(totalmem())
      expect(series.get('pollect_Process_virtual_memory{pidx="0"}')!).toBeGreaterThanOrEqual(resident)
      const load = series.get('pollect_Process_load_percent{pidx="0"}')!
      expect(load).toBeGreaterThanOrEqual(0)
      expect(load).toBeLessThanOrEqual(100 * cpus().length)
    } finally {
      child.kill()
    }
  })

  it("osRows: matches command + params or the name, pid order, kB → bytes", () => {
    const source = makeClockedSource<ProcessSource>(
      ProcessSource,
      { type: "Process", procRegex: "nginx: worker|^kernel_task$" },
      { now: 0 },
    )
    const row = (pid: number, name: string, command: string, params: string, cpu: number) => ({
      pid,
      name,
      command,
      params,
      cpu,
      memVsz: 100,
      memRss: 10,
    })
    expect(
      source.osRows([
        row(20, "nginx", "nginx:", "worker process", 1.5),
        row(3, "kernel_task", "", "", 7),
        row(9, "nginx", "nginx:", "master process", 0),
      ]),
    ).toEqual([
      { loadPercent: 7, virtualBytes: 102400, residentBytes: 10240 },
      { loadPercent: 1.5, virtualBytes: 102400, residentBytes: 10240 },
    ])
  })
})

describe("Process with a catastrophic regex (issue 12)", () => {
  // A backtracking engine tries every way to split 40 `a`s into 20 `.*a` before failing at `!`:
  // it never returns, and being synchronous it freezes the daemon. RE2 fails in one pass.
  const BAIT = `${"a".repeat(40)}!`

  it(`"(.*a){20}$" against a real process named ${"a".repeat(4)}…! returns at once; the event loop keeps ticking`, async () => {
    const child = Bun.spawn(["bash", "-c", `exec -a "${BAIT}" sleep 30`], { stdout: "ignore", stderr: "ignore" })
    let ticks = 0
    const timer = setInterval(() => ticks++, 1)
    try {
      const cmdline = procPath(String(child.pid), "cmdline")
      for (
        let i = 0;
        i < 200 &&
        !(
          await Bun.file(cmdline)
            .text()
            .catch(() => "")
        ).startsWith(BAIT);
        i++
      )
        await Bun.sleep(10)
      expect(await Bun.file(cmdline).text()).toBe(`${BAIT}\x0030\x00`)

      const durations: number[] = []
      const counts: number[] = []
      const ticksBefore = ticks
      const until = performance.now() + 300
      while (performance.now() < until) {
        // a new source each time: a source reads a process's command line only once
        const source = makeSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "(.*a){20}$", load: false, memory: false })
        const start = performance.now()
        const result = await source.probe()
        durations.push(performance.now() - start)
        counts.push(byPromSeries(result, "Process").get('pollect_Process_process_count{pidx="all"}')!)
        await Bun.sleep(5)
      }
      // A backtracking engine would not return in years; RE2 takes well under a millisecond per
      // command line. The bound is loose so that a loaded machine (2 cores, many test runs) passes.
      expect(Math.max(...durations)).toBeLessThan(5000)
      expect(counts.every((count) => count === 0)).toBe(true) // the bait ends in "! 30": no match
      expect(ticks - ticksBefore).toBeGreaterThan(0)

      // and the same engine finds the bait when the pattern does match it
      const found = await makeSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "^(a){40}! 30$", load: false }).probe()
      expect(byPromSeries(found, "Process").get('pollect_Process_process_count{pidx="all"}')).toBe(1)
    } finally {
      clearInterval(timer)
      child.kill()
      await child.exited
    }
  })
})

// testdata/postgres-pids: pids of one to seven digits (9, 42, 1000, 31337, 4194304), one process
// whose status has no VmRSS line and one without a status file.
describe("Process on pids of different lengths", () => {
  const tree = (probe: string) => ({ proc: join(import.meta.dir, "testdata/postgres-pids", probe), sys: "/no-such-sys" })
  async function probe(procRegex: string) {
    const clock = { now: 0 }
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex }, clock)
    await withRoots(tree("proc-a"), () => source.probe())
    clock.now += 10_000
    return byPromSeries(await withRoots(tree("proc-b"), () => source.probe()), "Process")
  }

  it("pidx follows numeric pid order (9 before 42 before 1000 ...), not the order of the names as strings", async () => {
    const series = await probe("^postgres: 15/main: |/bin/postgres ")
    // Each process's own share of CPU tells which pid got which pidx: 9 → 6 %, 42 → 0, 1000 → 20 %, 31337 → 0.2 %, 4194304 → 70 %.
    expect([0, 1, 2, 3, 4].map((i) => series.get(`pollect_Process_load_percent{pidx="${i}"}`))).toEqual([6, 0, 20, 0.2, 70])
    expect(series.get('pollect_Process_process_count{pidx="all"}')).toBe(5)
  })

  it("resident memory: VmRSS where status has it, else stat's rss pages × 4096 (no VmRSS line, or no status at all)", async () => {
    const series = await probe("^postgres: 15/main: |/bin/postgres ")
    expect([0, 1, 2, 3, 4].map((i) => series.get(`pollect_Process_resident_memory{pidx="${i}"}`))).toEqual([
      28000 * 1024, // pid 9: VmRSS
      14000 * 1024, // pid 42: VmRSS
      1500 * 4096, // pid 1000: status without VmRSS, stat rss 1500 pages
      1250 * 4096, // pid 31337: no status file, stat rss 1250 pages
      16020 * 1024, // pid 4194304: VmRSS
    ])
  })
})

/** Logs every file a probe reads: a path, or `held:<path>` for a file kept open. */
class CountingProcess extends ProcessSource {
  reads: string[] = []
  protected override read(file: string | OpenProcFile): string | undefined {
    this.reads.push(typeof file === "string" ? file : `held:${file.path}`)
    return super.read(file)
  }
  /** The reads since the last call, relative to the /proc root. */
  take(): string[] {
    const root = procPath()
    const reads = this.reads.map((r) => r.replace(`${root}/`, ""))
    this.reads = []
    return reads.sort()
  }
}

const memory = (probe: ProbeResult) => [...byPromSeries(probe, "Process")].filter(([k]) => !k.includes("load_percent"))

class TwoHeld extends CountingProcess {
  protected override readonly maxHeld = 2
}

describe("Process reads per probe only what changes", () => {
  /** proc-edge-b with a statm beside each status, its resident pages those of VmRSS (4 kB pages). */
  function edgeWithStatm(): string {
    const dir = join(tempDir("pollect-process-statm-"), "proc")
    cpSync(join(FIXTURES, "proc-edge-b"), dir, { recursive: true })
    for (const pid of readdirSync(dir).filter((e) => /^\d+$/.test(e))) {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(join(dir, pid, "status"), "utf8"))?.[1] ?? "0"
      writeFileSync(join(dir, pid, "statm"), `25600 ${Number(kb) / 4} 300 100 0 2000 0\n`)
    }
    return dir
  }

  it("steady state: one stat per pid (kept open for a match), statm per match, no command line; same values as status", async () => {
    const source = makeClockedSource<CountingProcess>(CountingProcess, { type: "Process", procRegex: "nginx" }, { now: 0 })
    const tree = edgeWithStatm()
    const first = await withRoots({ proc: tree, sys: "/no-such-sys" }, async () => {
      const result = await source.probe()
      // first probe: each pid's stat and command line once, the matches' statm
      expect(source.take()).toEqual([
        "100/cmdline",
        "100/stat",
        "100/statm",
        "101/cmdline",
        "101/stat",
        "101/statm",
        "102/cmdline",
        "102/stat",
        "102/statm",
        "200/cmdline",
        "200/stat",
        "500/cmdline",
        "500/stat",
        "600/cmdline",
        "600/stat",
      ])
      expect(source.heldProcesses).toBe(3)
      const second = await source.probe()
      expect(source.take()).toEqual([
        "200/stat",
        "500/stat",
        "600/stat",
        "held:100/stat",
        "held:100/statm",
        "held:101/stat",
        "held:101/statm",
        "held:102/stat",
        "held:102/statm",
      ])
      expect(memory(second)).toEqual(memory(result))
      return result
    }).finally(() => rmSync(dirname(tree), { recursive: true, force: true }))
    source.close()
    expect(source.heldProcesses).toBe(0)
    source.close() // twice: safe
    // the tree without statm (as recorded): status's VmRSS, the same figures
    useRoots("proc-edge-b")
    const fromStatus = makeClockedSource<CountingProcess>(CountingProcess, { type: "Process", procRegex: "nginx" }, { now: 0 })
    expect(memory(await fromStatus.probe())).toEqual(memory(first))
    fromStatus.take()
    await fromStatus.probe()
    expect(fromStatus.take()).toEqual([
      "200/stat",
      "500/stat",
      "600/stat",
      "held:100/stat",
      "held:100/status",
      "held:101/stat",
      "held:101/status",
      "held:102/stat",
      "held:102/status",
    ])
  })

  it("memory off: the stat only, nothing kept open but the stat", async () => {
    useRoots("proc-edge-b")
    const source = makeClockedSource<CountingProcess>(CountingProcess, { type: "Process", procRegex: "nginx", memory: false }, { now: 0 })
    await source.probe()
    source.take()
    await source.probe()
    expect(source.take()).toEqual(["200/stat", "500/stat", "600/stat", "held:100/stat", "held:101/stat", "held:102/stat"])
  })

  it("at most maxHeld processes keep files open; the others are read by path", async () => {
    useRoots("proc-edge-b")
    const source = makeClockedSource<TwoHeld>(TwoHeld, { type: "Process", procRegex: "nginx" }, { now: 0 })
    await source.probe()
    source.take()
    await source.probe()
    expect(source.heldProcesses).toBe(2)
    expect(source.take()).toEqual([
      "102/stat",
      "102/status",
      "200/stat",
      "500/stat",
      "600/stat",
      "held:100/stat",
      "held:100/status",
      "held:101/stat",
      "held:101/status",
    ])
  })

  it("a pid reused by a new process (other start time) is read again; an exited process leaves the cache", async () => {
    const source = makeClockedSource<CountingProcess>(CountingProcess, { type: "Process", procRegex: "my odd|nginx" }, { now: 0 })
    useRoots("proc-edge-a")
    await source.probe()
    expect(source.cachedPids()).toEqual([100, 101, 200, 300, 500, 600]) // 400 is listed without a stat: never cached
    source.take()
    useRoots("proc-edge-b") // 300 exited, 102 is new, 600 is a new process (start time 6000 → 7000)
    await source.probe()
    expect(source.take().filter((r) => r.endsWith("cmdline"))).toEqual(["102/cmdline", "600/cmdline"])
    expect(source.cachedPids()).toEqual([100, 101, 102, 200, 500, 600])
    await source.probe()
    expect(source.take().filter((r) => r.endsWith("cmdline"))).toEqual([])
  })

  it("live: the children's stat and status kept open; one that exits is dropped, its files closed", async () => {
    const tag = `600.${process.pid}${Date.now() % 100000}`
    const kids = Array.from({ length: 4 }, () => Bun.spawn(["sleep", tag], { stdout: "ignore", stderr: "ignore" }))
    const all = [...kids]
    const source = makeClockedSource<CountingProcess>(
      CountingProcess,
      { type: "Process", procRegex: `^sleep ${tag.replaceAll(".", "\\.")}$` },
      { now: 0 },
    )
    // descriptors of this test process open on a child's /proc files
    const openFds = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return all.some((k) => readlinkSync(`/proc/self/fd/${fd}`).startsWith(`/proc/${k.pid}/`))
        } catch {
          return false // the descriptor readdir itself used
        }
      }).length
    try {
      for (let i = 0; i < 200 && !kids.every((k) => readFileSync(`/proc/${k.pid}/cmdline`, "utf8").includes(tag)); i++) await Bun.sleep(10)
      expect(openFds()).toBe(0)
      await source.probe()
      source.take()
      expect(source.heldProcesses).toBe(4)
      expect(openFds()).toBe(8)
      const series = byPromSeries(await source.probe(), "Process")
      expect(series.get('pollect_Process_process_count{pidx="all"}')).toBe(4)
      // each child: its open stat and statm, nothing else (no path read, no command line)
      const reads = source.take()
      for (const kid of kids)
        expect(reads.filter((r) => r.includes(`${kid.pid}/`))).toEqual([`held:${kid.pid}/stat`, `held:${kid.pid}/statm`])
      // resident memory is status's VmRSS (from statm: the same counters), not stat's rss pages
      // (on recent kernels an approximation, off by some pages): the first child in pid order
      const first = Math.min(...kids.map((k) => k.pid))
      const vmRss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${first}/status`, "utf8"))![1]) * 1024
      expect(series.get('pollect_Process_resident_memory{pidx="0"}')).toBe(vmRss)

      const gone = kids.shift()!
      gone.kill()
      await gone.exited
      const after = byPromSeries(await source.probe(), "Process")
      expect(after.get('pollect_Process_process_count{pidx="all"}')).toBe(3)
      expect(source.cachedPids()).not.toContain(gone.pid)
      expect(source.heldProcesses).toBe(3)
      expect(openFds()).toBe(6)
      source.close()
      expect(openFds()).toBe(0)
    } finally {
      for (const kid of kids) kid.kill()
      await Promise.all(kids.map((k) => k.exited))
      source.close()
    }
  })
})

describe("Process on hand-made trees (a copy of test/fixtures/proc-edge-a, changed per test)", () => {
  /** A copy of proc-edge-a to change; `root` is what POLLECT_PROCFS points at. */
  function edgeCopy(): string {
    const root = join(tempDir("pollect-process-tree-"), "proc")
    cpSync(join(FIXTURES, "proc-edge-a"), root, { recursive: true })
    return root
  }
  const count = async (root: string, config: Record<string, unknown>) =>
    byPromSeries(
      await withRoots({ proc: root, sys: "/no-such-sys" }, () =>
        makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", ...config }, { now: 0 }).probe(),
      ),
      "Process",
    ).get('pollect_Process_process_count{pidx="all"}')

  it("a /proc that cannot be listed (not merely missing) fails the probe, naming it", async () => {
    const loop = join(tempDir(), "proc")
    symlinkSync("proc", loop)
    const error = await withRoots({ proc: loop, sys: "/no-such-sys" }, () =>
      makeSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "nginx" }).probe(),
    ).catch((e: Error) => e)
    expect((error as Error).message).toMatch(/^cannot list .*\/proc: ELOOP/)
  })

  it("a process whose command line is gone (it exited between the two reads) is not counted", async () => {
    const root = edgeCopy()
    cpSync(join(root, "101"), join(root, "700"), { recursive: true })
    writeFileSync(join(root, "700/stat"), readFileSync(join(root, "101/stat"), "utf8").replace(/^101 /, "700 "))
    unlinkSync(join(root, "700/cmdline"))
    expect(await count(root, { procRegex: "nginx" })).toBe(3)
  })

  it("a stat that cannot be read for another reason than the process being gone fails the probe", async () => {
    const root = edgeCopy()
    unlinkSync(join(root, "200/stat"))
    symlinkSync("stat", join(root, "200/stat"))
    const error = await withRoots({ proc: root, sys: "/no-such-sys" }, () =>
      makeSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "nginx" }).probe(),
    ).catch((e: Error) => e)
    expect((error as Error).message).toMatch(/ELOOP/)
  })

  it("a command line padded with NULs (setproctitle) is searched without them", async () => {
    const root = edgeCopy()
    writeFileSync(join(root, "101/cmdline"), "nginx: worker process\0\0\0\0\0\0")
    expect(await count(root, { procRegex: "worker process$" })).toBe(2)
  })

  it("an empty command line (a kernel thread) is not searched: `^$` matches no process", async () => {
    expect(await count(join(FIXTURES, "proc-edge-a"), { procRegex: "^$" })).toBe(0)
  })

  it("a pid reused between two probes of the same /proc: the old process's open files are released", async () => {
    const root = edgeCopy()
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "nginx" }, { now: 0 })
    await withRoots({ proc: root, sys: "/no-such-sys" }, async () => {
      await source.probe()
      expect(source.heldProcesses).toBe(3)
      // pid 101 now another nginx, started later (field 22)
      const stat = readFileSync(join(root, "101/stat"), "utf8").split(" ")
      stat[21] = String(Number(stat[21]) + 500)
      writeFileSync(join(root, "101/stat"), stat.join(" "))
      await source.probe()
      expect(source.heldProcesses).toBe(3)
      // a process that held nothing (bash: no match) exits: the count of held ones stays
      rmSync(join(root, "200"), { recursive: true })
      await source.probe()
      expect(source.heldProcesses).toBe(3)
    })
    source.close()
  })

  it("memory off: only the stat of a match is kept open", async () => {
    const root = edgeCopy()
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "nginx", memory: false }, { now: 0 })
    const openOnTree = () =>
      readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${root}/`)
        } catch {
          return false
        }
      }).length
    await withRoots({ proc: root, sys: "/no-such-sys" }, () => source.probe())
    expect(openOnTree()).toBe(3)
    source.close()
    expect(openOnTree()).toBe(0)
  })

  it("osRows: an empty command does not put a blank before the parameters", () => {
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "^worker" }, { now: 0 })
    const rows = source.osRows([{ pid: 5, name: "nginx", command: "", params: "worker process", cpu: 1, memVsz: 1, memRss: 1 }])
    expect(rows).toHaveLength(1)
  })

  it("snake_case names carry the declared units", async () => {
    const clock = { now: 0 }
    const source = makeClockedSource<ProcessSource>(ProcessSource, { type: "Process", procRegex: "nginx" }, clock)
    useRoots("proc-edge-a")
    await source.probe()
    useRoots("proc-edge-b")
    clock.now += 10_000
    const result = resultOf(await source.probe(), { type: "Process" })
    const names = new Set(result.sets.flatMap((set) => set.values.map((value) => promName(result, set, value, "snake_case"))))
    expect([...names].sort()).toEqual([
      "pollect_process_load_ratio",
      "pollect_process_process",
      "pollect_process_resident_memory_bytes",
      "pollect_process_virtual_memory_bytes",
    ])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Process", aliases: [], cls: ProcessSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})
