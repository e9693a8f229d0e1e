/**
 * The system sources (LoadAvg, MemoryUsage, DiskUsage, Interface, IO, Process) side by side with
 * collectd and node_exporter on this machine, in one run:
 *  1. in-process: CPU time per tick of the sources together (process.cpuUsage, N ticks);
 *  2. child processes per tick of the compiled binary, counted with strace (must be 0);
 *  3. daemons at a 1 s interval for `--seconds`, all at once: the pollect binary, collectd with
 *     the same plugins (load, memory, df, interface, disk; + processes for the Process variant),
 *     node_exporter with the matching collectors scraped every second. CPU from /proc/<pid>/stat
 *     (utime + stime; `perf stat` task-clock when perf is there) after a warm-up, RSS at the end.
 * Usage: bun bench/system-sources.ts --binary dist/pollect [--seconds 120] [--ticks 300]
 * (bench/system-sources.sh builds the binary and runs this.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import * as v from "valibot"
import { silentLogger } from "../src/core/log.ts"
import { createSourceContext } from "../src/core/source-context.ts"
import { builtinSources } from "../src/sources/index.ts"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    binary: { type: "string", default: "dist/pollect" },
    seconds: { type: "string", default: "120" },
    ticks: { type: "string", default: "300" },
    warmup: { type: "string", default: "30" },
  },
})
const binary = values.binary!
const seconds = Number(values.seconds)
const ticks = Number(values.ticks)
const warmup = Number(values.warmup)
const CLK_TCK = 100
const work = mkdtempSync(join(tmpdir(), "pollect-bench-sys-"))

const SYSTEM_SOURCES = [{ type: "LoadAvg" }, { type: "MemoryUsage" }, { type: "DiskUsage" }, { type: "Interface" }, { type: "IO" }]
const PROCESS_SOURCE = { type: "Process", name: "collectd", procRegex: "collectd" }

// ---- 1. in-process CPU per tick -------------------------------------------------------------
async function inProcess(configs: Array<Record<string, unknown>>): Promise<{ cpuMs: number; wallMs: number; forks: number }> {
  const sources = configs.map((config) => {
    // As the config loader builds them: the common keys as given, the source's own keys with their defaults.
    const entry = builtinSources[config.type as string]!
    const { ctx } = createSourceContext({ log: silentLogger, stateDir: work, configDir: work })
    return new entry.cls({ ...config, ...(v.parse(entry.options, config) as Record<string, unknown>) }, ctx)
  })
  const tick = () => Promise.all(sources.map((s) => s.probe()))
  for (let i = 0; i < 20; i++) await tick() // JIT warm-up
  const forksBefore = await forkCount()
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (let i = 0; i < ticks; i++) await tick()
  const wallMs = (performance.now() - started) / ticks
  const used = process.cpuUsage(cpu)
  return { cpuMs: (used.user + used.system) / 1000 / ticks, wallMs, forks: (await forkCount()) - forksBefore }
}

/** Processes forked on the whole machine since boot (other users' work counts too: an upper bound). */
async function forkCount(): Promise<number> {
  return Number(/^processes (\d+)/m.exec(await Bun.file("/proc/stat").text())?.[1])
}

// ---- 2. child processes of the binary, by strace --------------------------------------------
async function straceChildren(config: string, runSeconds: number): Promise<{ processClones: number; execs: number; threadClones: number }> {
  const log = join(work, "strace.log")
  const child = Bun.spawn(
    ["strace", "-f", "-qq", "-e", "trace=fork,vfork,clone,clone3,execve", "-o", log, binary, "--config", config, "--log-level", "error"],
    {
      stdout: "ignore",
      stderr: "ignore",
    },
  )
  await Bun.sleep(runSeconds * 1000)
  // Stop the tracee (strace's child), not strace: strace then exits with it and flushes its log.
  const tracees = (await Bun.file(`/proc/${child.pid}/task/${child.pid}/children`).text()).trim().split(/\s+/).filter(Boolean)
  for (const pid of tracees) process.kill(Number(pid), "SIGTERM")
  if (!tracees.length) child.kill("SIGTERM")
  await child.exited
  const lines = (await Bun.file(log).text()).split("\n").filter((l) => /\b(fork|vfork|clone3?|execve)\(/.test(l))
  const clones = lines.filter((l) => /\b(v?fork|clone3?)\(/.test(l))
  const threadClones = clones.filter((l) => l.includes("CLONE_THREAD")).length
  return { processClones: clones.length - threadClones, execs: lines.filter((l) => l.includes("execve(")).length - 1, threadClones }
}

// ---- 3. daemons side by side ----------------------------------------------------------------
async function freePort(): Promise<number> {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
  const port = server.port
  server.stop(true)
  return port
}

function cpuTicks(pid: number): number {
  const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8") as string
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return Number(fields[11]) + Number(fields[12])
}

function rssMb(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024
}

function collectdConfig(name: string, withProcesses: boolean): string {
  const dir = join(work, name)
  mkdirSync(join(dir, "csv"), { recursive: true })
  const file = join(dir, "collectd.conf")
  writeFileSync(
    file,
    `Hostname "bench"
FQDNLookup false
Interval 1
BaseDir "${dir}"
PIDFile "${dir}/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "warning"
  File "${dir}/collectd.log"
</Plugin>
LoadPlugin load
LoadPlugin memory
LoadPlugin df
LoadPlugin interface
LoadPlugin disk
${withProcesses ? 'LoadPlugin processes\n<Plugin processes>\n  ProcessMatch "collectd" "collectd"\n</Plugin>\n' : ""}LoadPlugin csv
<Plugin csv>
  DataDir "${dir}/csv"
  StoreRates true
</Plugin>
`,
  )
  return file
}

function pollectConfig(name: string, sources: Array<Record<string, unknown>>): string {
  const file = join(work, `${name}.json`)
  writeFileSync(file, JSON.stringify({ tickTime: 1, writer: { type: "DryRun" }, executors: [{ collection: "pollect", sources }] }))
  return file
}

interface Daemon {
  name: string
  proc: ReturnType<typeof Bun.spawn>
  cpuStart?: number
  /** Work units per second (1 s interval ticks; scrapes for node_exporter). */
  perSecond: string
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

// Run 1 and 2
const inProcA = [] as Array<{ cpuMs: number; wallMs: number; forks: number }>
const inProcB = [] as Array<{ cpuMs: number; wallMs: number; forks: number }>
for (let round = 0; round < 3; round++) {
  inProcA.push(await inProcess(SYSTEM_SOURCES))
  inProcB.push(await inProcess([...SYSTEM_SOURCES, PROCESS_SOURCE]))
}
const configA = pollectConfig("pollect-system", SYSTEM_SOURCES)
const configB = pollectConfig("pollect-system-process", [...SYSTEM_SOURCES, PROCESS_SOURCE])
const traced = Bun.which("strace") ? await straceChildren(configB, 8) : undefined

// Run 3
const nodePort = await freePort()
const daemons: Daemon[] = [
  {
    name: "pollect (LoadAvg, MemoryUsage, DiskUsage, Interface, IO)",
    proc: Bun.spawn([binary, "--config", configA, "--log-level", "error"], { stdout: "ignore", stderr: "ignore" }),
    perSecond: "tick",
  },
  {
    name: "collectd (load, memory, df, interface, disk)",
    proc: Bun.spawn(["/usr/sbin/collectd", "-f", "-C", collectdConfig("collectd-system", false)], { stdout: "ignore", stderr: "ignore" }),
    perSecond: "tick",
  },
  {
    name: "pollect + Process",
    proc: Bun.spawn([binary, "--config", configB, "--log-level", "error"], { stdout: "ignore", stderr: "ignore" }),
    perSecond: "tick",
  },
  {
    name: "collectd + processes",
    proc: Bun.spawn(["/usr/sbin/collectd", "-f", "-C", collectdConfig("collectd-system-process", true)], {
      stdout: "ignore",
      stderr: "ignore",
    }),
    perSecond: "tick",
  },
  {
    name: "node_exporter (loadavg, meminfo, filesystem, netdev, diskstats)",
    proc: Bun.spawn(
      [
        "/usr/bin/prometheus-node-exporter",
        `--web.listen-address=127.0.0.1:${nodePort}`,
        "--collector.disable-defaults",
        "--collector.loadavg",
        "--collector.meminfo",
        "--collector.filesystem",
        "--collector.netdev",
        "--collector.diskstats",
      ],
      { stdout: "ignore", stderr: "ignore" },
    ),
    perSecond: "scrape",
  },
]
let nodeSeries = 0
const scraper = setInterval(async () => {
  try {
    const text = await (await fetch(`http://127.0.0.1:${nodePort}/metrics`)).text()
    nodeSeries = text.split("\n").filter((l) => l && !l.startsWith("#")).length
  } catch {
    // not up yet
  }
}, 1000)
try {
  await Bun.sleep(warmup * 1000)
  for (const d of daemons) d.cpuStart = cpuTicks(d.proc.pid)
  // perf's task-clock is exact; /proc/<pid>/stat counts 10 ms ticks (the fallback).
  const perf = Bun.which("perf")
  const perfRuns = perf
    ? daemons.map((d) =>
        Bun.spawn([perf, "stat", "-x", ",", "-e", "task-clock", "-p", String(d.proc.pid), "--", "sleep", String(seconds)], {
          stdout: "ignore",
          stderr: "pipe",
        }),
      )
    : []
  await Bun.sleep(seconds * 1000)
  const perfMs = await Promise.all(
    perfRuns.map(async (run) =>
      Number(
        (await new Response(run.stderr).text())
          .split("\n")
          .find((l) => l.includes("task-clock"))
          ?.split(",")[0],
      ),
    ),
  )
  const rows = daemons.map((d, i) => {
    const cpuMs = perfMs[i] && Number.isFinite(perfMs[i]) ? perfMs[i]! : ((cpuTicks(d.proc.pid) - d.cpuStart!) * 1000) / CLK_TCK
    return { name: d.name, perTickMs: cpuMs / seconds, rss: rssMb(d.proc.pid), unit: d.perSecond }
  })
  clearInterval(scraper)

  const a = median(inProcA.map((r) => r.cpuMs))
  const b = median(inProcB.map((r) => r.cpuMs))
  const out: string[] = []
  out.push(
    `In-process, ${ticks} ticks × 3 rounds (median): system sources ${a.toFixed(3)} ms CPU/tick (wall ${median(inProcA.map((r) => r.wallMs)).toFixed(3)} ms); + Process ${b.toFixed(3)} ms CPU/tick (wall ${median(inProcB.map((r) => r.wallMs)).toFixed(3)} ms)`,
  )
  out.push(
    `Machine-wide forks during the in-process ticks (other users' work included): ${inProcA.map((r) => r.forks).join(", ")} / ${inProcB.map((r) => r.forks).join(", ")}`,
  )
  if (traced)
    out.push(
      `strace -f of the binary (+Process config, 8 s at 1 s ticks): ${traced.processClones} process forks/clones, ${traced.execs} execve after start, ${traced.threadClones} thread clones`,
    )
  out.push("")
  out.push(
    `Daemons side by side, 1 s interval, ${seconds} s measured after ${warmup} s warm-up, CPU by ${perfRuns.length ? "perf stat task-clock" : "/proc/<pid>/stat"} (node_exporter: ${nodeSeries} series per scrape):`,
  )
  out.push("")
  out.push("| daemon | CPU per tick/scrape | RSS at end |")
  out.push("| --- | --- | --- |")
  for (const r of rows) out.push(`| ${r.name} | ${r.perTickMs.toFixed(2)} ms/${r.unit} | ${r.rss.toFixed(1)} MB |`)
  const [pA, cA, pB, cB] = rows
  out.push("")
  out.push(
    `pollect / collectd CPU: ${(pA!.perTickMs / cA!.perTickMs).toFixed(2)}× (system), ${(pB!.perTickMs / cB!.perTickMs).toFixed(2)}× (+ processes)`,
  )
  console.log(out.join("\n"))
} finally {
  clearInterval(scraper)
  for (const d of daemons) d.proc.kill()
  await Promise.all(daemons.map((d) => d.proc.exited))
  rmSync(work, { recursive: true, force: true })
}
