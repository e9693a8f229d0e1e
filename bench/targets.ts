/**
 * The README's targets table (issue 18): per binary of `npm run build:all`, its size, its
 * start-up (`--once --dry-run` of the embedded default config: exec → exit, wall and CPU,
 * median of `--runs`) and its idle RSS (the embedded default config — five system sources to
 * the exporter on :9001 — after `--idle` seconds, one binary at a time). The arm64 binary runs
 * under qemu-aarch64 where it is installed (its start-up is the emulator's, its RSS is not
 * the binary's and is not given); musl and macOS binaries do not run on this Debian host.
 *
 *   npm run build:all && bun bench/targets.ts [--dist dist] [--runs 20] [--idle 30]
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { join } from "node:path"
import { parseArgs } from "node:util"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    dist: { type: "string", default: "dist" },
    runs: { type: "string", default: "20" },
    idle: { type: "string", default: "30" },
  },
})
const dist = values.dist as string
const runs = Number(values.runs)
const idleSeconds = Number(values.idle)
const qemu = Bun.which("qemu-aarch64")
const ARM64_SYSROOT = "/usr/aarch64-linux-gnu"

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

/** How to run `binary` here, or why it cannot run. */
function runner(name: string): string[] | string {
  if (name.includes("darwin")) return "not runnable here (macOS)"
  if (name.includes("musl")) return "not runnable here (musl; the host is Debian)"
  if (name.includes("arm64")) return qemu && existsSync(ARM64_SYSROOT) ? [qemu, "-L", ARM64_SYSROOT] : "not runnable here (no qemu-aarch64)"
  return []
}

function startUp(argv: string[], times: number): { wallMs: number; cpuMs: number } {
  const walls: number[] = []
  const cpus: number[] = []
  for (let i = 0; i < times + 1; i++) {
    const started = performance.now()
    const run = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" })
    const wall = performance.now() - started
    if (run.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${run.exitCode}`)
    if (i === 0) continue // the page cache warm
    walls.push(wall)
    const usage = run.resourceUsage
    cpus.push(usage ? Number(usage.cpuTime.user + usage.cpuTime.system) / 1000 : Number.NaN)
  }
  return { wallMs: median(walls), cpuMs: median(cpus) }
}

async function idleRssMb(argv: string[]): Promise<number> {
  const child = Bun.spawn([...argv, "--log-level", "error"], { stdout: "ignore", stderr: "ignore" })
  await Bun.sleep(idleSeconds * 1000)
  const status = await Bun.file(`/proc/${child.pid}/status`).text()
  child.kill()
  await child.exited
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024
}

const binaries = readdirSync(dist)
  .filter((name) => name.startsWith("pollect-") && !name.endsWith(".txt"))
  .sort()
console.log(`${dist}: ${binaries.length} binaries; start-up median of ${runs}; idle RSS after ${idleSeconds} s\n`)
console.log("| binary | size | start-up `--once --dry-run` (wall, CPU) | idle RSS, embedded default config |")
console.log("| --- | ---: | --- | ---: |")
for (const name of binaries) {
  const file = join(dist, name)
  const size = `${(statSync(file).size / 1e6).toFixed(1)} MB`
  const how = runner(name)
  if (typeof how === "string") {
    console.log(`| \`${name}\` | ${size} | ${how} | |`)
    continue
  }
  const emulated = how.length > 0
  const { wallMs, cpuMs } = startUp([...how, file, "--once", "--dry-run"], emulated ? Math.min(runs, 3) : runs)
  const rss = emulated ? "not measured (qemu's RSS)" : `${(await idleRssMb([file])).toFixed(1)} MB`
  const time =
    wallMs >= 1000
      ? `${(wallMs / 1000).toFixed(2)} s, ${(cpuMs / 1000).toFixed(2)} s CPU`
      : `${wallMs.toFixed(0)} ms, ${cpuMs.toFixed(0)} ms CPU`
  console.log(`| \`${name}\` | ${size} | ${time}${emulated ? " under qemu-aarch64" : ""} | ${rss} |`)
}
