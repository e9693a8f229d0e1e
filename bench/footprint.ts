/**
 * Footprint of the compiled binary against Bun's floor, in one run (issue 18):
 * - the floor: a compiled Bun program (same build flags) that does what any agent must:
 *   Bun.serve on a port plus a 1 s timer reading /proc/loadavg, meminfo, net/dev and diskstats;
 * - the stack floor: that plus citty and node:fs synchronous reads, which pollect cannot run without;
 * - pollect with the embedded default config (no --config: LoadAvg, MemoryUsage, DiskUsage,
 *   Interface, IO to the exporter), and with the seed README's config (--dry-run);
 * RSS, RssAnon (heap and other private memory) and RssFile after `--idle` seconds, and the time
 * from exec to the first line of data (pollect: --dry-run of LoadAvg, MemoryUsage, Interface, IO;
 * the floor: its first print), median of `--runs`.
 *
 * Memory is the median of `--rounds` rounds (each round runs the four side by side): the RSS of one
 * process varies by up to 2 MB from one start to the next (which pages of the runtime a start touches).
 *
 *   npm run build && bun bench/footprint.ts [--binary dist/pollect] [--runs 15] [--idle 60] [--rounds 3]
 *     [--env BUN_JSC_useJIT=0]   (set for every process, the floors too)
 */
import { rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    binary: { type: "string", default: "dist/pollect" },
    runs: { type: "string", default: "15" },
    idle: { type: "string", default: "60" },
    rounds: { type: "string", default: "3" },
    /** `--env BUN_JSC_useJIT=0`: set for every process measured, the floors too (repeatable). */
    env: { type: "string", multiple: true, default: [] },
  },
})
const binary = values.binary as string
const runs = Number(values.runs)
const idleSeconds = Number(values.idle)
const rounds = Number(values.rounds)
const extraEnv = Object.fromEntries((values.env ?? []).map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]))

const work = tmpdir()
const FLOOR_BODY = `const files = ["/proc/loadavg", "/proc/meminfo", "/proc/net/dev", "/proc/diskstats"]
let last = ""
const read = async () => {
  const texts = await Promise.all(files.map((f) => Bun.file(f).text()))
  last = texts.map((t) => t.length).join(",")
  return last
}
Bun.serve({ port: Number(process.env.FLOOR_PORT ?? 0), hostname: "127.0.0.1", fetch: () => new Response(last) })
console.log(await read())
setInterval(read, 1000)
`
/**
 * The stack floor: the Bun floor plus what pollect cannot run without, whatever it does: the
 * CLI library the project uses (citty, which evaluates node:util) and synchronous /proc reads
 * (node:fs; async reads cost 4× the CPU per tick, bench/RESULTS.md "System sources").
 */
const STACK_HEAD = `import { readFileSync } from "node:fs"
import { defineCommand, runMain } from "citty"
await runMain(defineCommand({ meta: { name: "floor" }, args: { config: { type: "string" } }, run() {} }), { rawArgs: ["--config", "x"] })
const sync = () => ["/proc/loadavg", "/proc/meminfo", "/proc/net/dev", "/proc/diskstats"].map((f) => readFileSync(f, "utf8").length)
sync()
setInterval(sync, 1000)
`

/** A compiled program (scripts/build.ts's flags, ESM for the top-level await: it has no lazy modules), built inside the repo so it resolves node_modules. */
function compileFloor(name: string, code: string): string {
  const source = join(import.meta.dir, `.${name}.ts`)
  const out = join(work, name)
  writeFileSync(source, code)
  const built = Bun.spawnSync([process.execPath, "build", source, "--compile", "--minify", "--format=esm", "--bytecode", "--outfile", out])
  rmSync(source, { force: true })
  if (built.exitCode !== 0) throw new Error(`building ${name} failed: ${built.stderr}`)
  return out
}
const floor = compileFloor("pollect-bench-floor-agent", FLOOR_BODY)
const stackFloor = compileFloor("pollect-bench-stack-floor", STACK_HEAD + FLOOR_BODY)

const firstDataConfig = join(work, "pollect-bench-first-data.json")
writeFileSync(
  firstDataConfig,
  JSON.stringify({
    tickTime: 10,
    executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }, { type: "MemoryUsage" }, { type: "Interface" }, { type: "IO" }] }],
  }),
)
const seed = join(import.meta.dir, "../test/fixtures/configs/seed-readme.json")

/** ms from exec to the first stdout line. */
async function firstLineMs(argv: string[], env: Record<string, string> = {}): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "ignore", env: { ...process.env, ...extraEnv, ...env } })
  const reader = child.stdout.getReader()
  let text = ""
  while (!text.includes("\n")) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  const elapsed = performance.now() - started
  child.kill()
  await child.exited
  return elapsed
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function firstData(argv: string[], env?: Record<string, string>): Promise<number[]> {
  await firstLineMs(argv, env) // the page cache warm
  const times: number[] = []
  for (let i = 0; i < runs; i++) times.push(await firstLineMs(argv, env))
  return times
}

interface Memory {
  rss: number
  anon: number
  file: number
}

async function idle(argv: string[], env: Record<string, string> = {}): Promise<Memory> {
  const child = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore", env: { ...process.env, ...extraEnv, ...env } })
  await Bun.sleep(idleSeconds * 1000)
  const status = await Bun.file(`/proc/${child.pid}/status`).text()
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024
  child.kill()
  await child.exited
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") }
}

const port = () => String(20_000 + Math.floor(Math.random() * 20_000))
console.log(
  `binary ${binary}; floor ${floor}; ${runs} runs; ${idleSeconds} s idle; memory: median of ${rounds} rounds${values.env?.length ? `; env ${values.env.join(" ")}` : ""}`,
)
const samples: Memory[][] = [[], [], [], []]
for (let round = 0; round < rounds; round++) {
  const measured = await Promise.all([
    idle([floor], { FLOOR_PORT: port() }),
    idle([stackFloor], { FLOOR_PORT: port() }),
    // The embedded default config serves on 9001.
    idle([binary, "--log-level", "error"]),
    idle([binary, "--config", seed, "--dry-run", "--log-level", "error"]),
  ])
  measured.forEach((m, i) => samples[i]!.push(m))
}
/** A row's figures: the medians of its rounds, and the range of its RSS. */
type Summary = Memory & { low: number; high: number }
const mid = (ms: Memory[]): Summary => ({
  rss: median(ms.map((m) => m.rss)),
  anon: median(ms.map((m) => m.anon)),
  file: median(ms.map((m) => m.file)),
  low: Math.min(...ms.map((m) => m.rss)),
  high: Math.max(...ms.map((m) => m.rss)),
})
const [floorMem, stackMem, defaultMem, seedMem] = samples.map(mid) as [Summary, Summary, Summary, Summary]
const row = (name: string, m: Summary) =>
  `| ${name} | ${m.rss.toFixed(1)} MB (${m.low.toFixed(1)}–${m.high.toFixed(1)}) | ${m.anon.toFixed(1)} MB | ${m.file.toFixed(1)} MB | +${(m.rss - floorMem.rss).toFixed(1)} / +${(m.anon - floorMem.anon).toFixed(1)} MB |`
console.log(`\n| after ${idleSeconds} s, median of ${rounds} | RSS (range) | RssAnon | RssFile | over the floor (RSS / anon) |`)
console.log("| --- | ---: | ---: | ---: | ---: |")
console.log(row("Bun floor (Bun.serve + 1 s /proc timer)", floorMem))
console.log(row("stack floor (the Bun floor + citty + node:fs sync reads)", stackMem))
console.log(row("pollect, embedded default config", defaultMem))
console.log(row("pollect, seed README config, --dry-run", seedMem))

const floorTimes = await firstData([floor], { FLOOR_PORT: port() })
const stackTimes = await firstData([stackFloor], { FLOOR_PORT: port() })
const pollectTimes = await firstData([binary, "--config", firstDataConfig, "--dry-run", "--log-level", "error"])
const range = (xs: number[]) => `${median(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`
console.log(`\n| exec → first line (median of ${runs}) | |`)
console.log("| --- | ---: |")
console.log(`| Bun floor | ${range(floorTimes)} |`)
console.log(`| stack floor | ${range(stackTimes)} |`)
console.log(
  `| pollect --dry-run, LoadAvg + MemoryUsage + Interface + IO | ${range(pollectTimes)} (+${(median(pollectTimes) - median(floorTimes)).toFixed(1)} ms) |`,
)
