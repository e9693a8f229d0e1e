/**
 * Start-up and idle footprint of the compiled binary:
 * - time from exec to the first DryRun line on stdout (median of N runs),
 * - idle RSS after `--idle` seconds running the seed README's config with --dry-run,
 * - the binary's size.
 * Usage: npm run build && bun bench/startup.ts [--binary dist/pollect] [--runs 10] [--idle 60]
 */
import { statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { binary: { type: "string", default: "dist/pollect" }, runs: { type: "string", default: "10" }, idle: { type: "string", default: "60" } },
})
const binary = values.binary!
const runs = Number(values.runs)
const idleSeconds = Number(values.idle)

const config = join(tmpdir(), "pollect-bench-startup.json")
writeFileSync(config, JSON.stringify({ tickTime: 10, executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }] }))

async function firstLineMs(): Promise<number> {
  const started = performance.now()
  const child = Bun.spawn([binary, "--config", config, "--dry-run", "--log-level", "warn"], { stdout: "pipe", stderr: "ignore" })
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

await firstLineMs() // warm the page cache
const times: number[] = []
for (let i = 0; i < runs; i++) times.push(await firstLineMs())
console.log(`binary: ${binary}, ${(statSync(binary).size / 1e6).toFixed(1)} MB`)
console.log(`exec → first DryRun line: median ${median(times).toFixed(1)} ms of ${runs} (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`)

if (idleSeconds > 0) {
  const seed = join(import.meta.dir, "../test/fixtures/configs/seed-readme.json")
  const child = Bun.spawn([binary, "--config", seed, "--dry-run", "--log-level", "error"], { stdout: "ignore", stderr: "ignore" })
  await Bun.sleep(idleSeconds * 1000)
  const status = await Bun.file(`/proc/${child.pid}/status`).text()
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024
  const stat = (await Bun.file(`/proc/${child.pid}/stat`).text()).split(") ")[1]!.split(" ")
  const cpuSeconds = (Number(stat[11]) + Number(stat[12])) / 100
  child.kill()
  await child.exited
  console.log(`idle RSS after ${idleSeconds} s with the seed config (--dry-run): ${rss.toFixed(1)} MB; CPU used: ${cpuSeconds.toFixed(2)} s`)
}
