/**
 * Start-up and idle footprint of the compiled binary:
 * - time from exec to the first DryRun line on stdout (median of N runs),
 * - idle RSS after `--idle` seconds running the seed README's config with --dry-run,
 * - the binary's size.
 * With `--python PATH/pollect.py` the Python pollect (Debian's python3) is measured the same way:
 * time to its first "Would write" line, RSS after the idle period.
 * Usage: npm run build && bun bench/startup.ts [--binary dist/pollect] [--runs 10] [--idle 60] [--python /tmp/pollect-py/pollect.py]
 */
import { statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    binary: { type: "string", default: "dist/pollect" },
    runs: { type: "string", default: "10" },
    idle: { type: "string", default: "60" },
    python: { type: "string" },
  },
})
const binary = values.binary!
const runs = Number(values.runs)
const idleSeconds = Number(values.idle)

const config = join(tmpdir(), "pollect-bench-startup.json")
writeFileSync(config, JSON.stringify({ tickTime: 10, executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }] }))

const pollectArgv = [binary, "--config", config, "--dry-run", "--log-level", "warn"]
// The Python pollect wants a writer in its config; --dry-run replaces it.
const pyConfig = join(tmpdir(), "pollect-bench-startup-py.json")
writeFileSync(
  pyConfig,
  JSON.stringify({
    tickTime: 10,
    writer: { type: "Graphite", host: "localhost", picklePort: 2004 },
    executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }],
  }),
)
const pythonArgv = values.python ? ["/usr/bin/python3", "-u", values.python, "--config", pyConfig, "--dry-run"] : undefined

/** Milliseconds from exec to the first stdout line that contains `marker`. */
async function firstLineMs(argv: string[], marker = "\n"): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn(argv, { stdout: "pipe", stderr: "ignore" })
  const reader = child.stdout.getReader()
  let text = ""
  while (!text.includes(marker)) {
    const { value, done } = await reader.read()
    if (done) break
    text += new TextDecoder().decode(value)
  }
  const elapsed = performance.now() - started
  child.kill()
  await child.exited
  return elapsed
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function startup(name: string, argv: string[], marker?: string): Promise<void> {
  await firstLineMs(argv, marker) // warm the page cache
  const times: number[] = []
  for (let i = 0; i < runs; i++) times.push(await firstLineMs(argv, marker))
  console.log(
    `${name}: exec → first DryRun line: median ${median(times).toFixed(1)} ms of ${runs} (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`,
  )
}

/** RSS (MB) and CPU seconds of a process after it ran `idleSeconds`. */
async function idle(name: string, argv: string[]): Promise<void> {
  const child = Bun.spawn(argv, { stdout: "ignore", stderr: "ignore" })
  await Bun.sleep(idleSeconds * 1000)
  const status = await Bun.file(`/proc/${child.pid}/status`).text()
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024
  const stat = (await Bun.file(`/proc/${child.pid}/stat`).text()).split(") ")[1]!.split(" ")
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100
  child.kill()
  await child.exited
  console.log(`${name}: idle RSS after ${idleSeconds} s: ${rss.toFixed(1)} MB; CPU used: ${cpuSeconds.toFixed(2)} s`)
}

console.log(`binary: ${binary}, ${(statSync(binary).size / 1e6).toFixed(1)} MB`)
await startup("pollect (compiled)", pollectArgv)
if (pythonArgv) await startup("Python pollect", pythonArgv, "Would write")

if (idleSeconds > 0) {
  const seed = join(import.meta.dir, "../test/fixtures/configs/seed-readme.json")
  const runs = [idle("pollect, seed README config, --dry-run", [binary, "--config", seed, "--dry-run", "--log-level", "error"])]
  // Bun's own floor: a compiled program that only keeps a timer.
  const floor = join(tmpdir(), "pollect-bench-floor")
  writeFileSync(floor + ".ts", "setInterval(() => {}, 1000)\n")
  Bun.spawnSync([process.execPath, "build", "--compile", "--minify", "--bytecode", floor + ".ts", "--outfile", floor])
  runs.push(idle("Bun floor (compiled setInterval)", [floor]))
  if (pythonArgv) runs.push(idle("Python pollect, LoadAvg, --dry-run", pythonArgv))
  await Promise.all(runs)
}
