/**
 * Process alone on this machine's real /proc: CPU per tick with `procRegex` matching `--children`
 * live `sleep` processes started for the run (a distinctive argv, killed at the end), and with a
 * regex matching nothing (the cost of looking at every pid). Ticks run back to back after a warm-up;
 * CPU from process.cpuUsage(), median of `--rounds`.
 * Usage: bun bench/process-tick.ts [--children 64] [--ticks 300] [--rounds 3] [--source <index.ts>]
 * (`--source`: another ProcessSource module to measure, e.g. a copy of an older version.)
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import * as v from "valibot"
import { silentLogger } from "../src/core/log.ts"
import { createSourceContext } from "../src/core/source-context.ts"
import type { ProcessSource as ProcessSourceClass } from "../src/sources/process/index.ts"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    children: { type: "string", default: "64" },
    ticks: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    source: { type: "string", default: join(import.meta.dir, "../src/sources/process/index.ts") },
  },
})
const { ProcessSource } = (await import(values.source!)) as { ProcessSource: typeof ProcessSourceClass }
const children = Number(values.children)
const ticks = Number(values.ticks)
const rounds = Number(values.rounds)
const work = mkdtempSync(join(tmpdir(), "pollect-bench-process-"))
// `sleep 600.4242…`: an argv no other process has, so the regex matches exactly our children.
const tag = `600.4242${process.pid}`
const kids = Array.from({ length: children }, () => Bun.spawn(["sleep", tag], { stdout: "ignore", stderr: "ignore" }))

async function cpuPerTick(procRegex: string): Promise<{ ms: number; count: number }> {
  const { ctx } = createSourceContext({ log: silentLogger, stateDir: work, configDir: work })
  // through the schema: its defaults (memory and load on) are what a config gets
  const config = { type: "Process", name: "bench", procRegex }
  const source = new ProcessSource({ ...config, ...v.parse(ProcessSource.options, config) }, ctx)
  let count = 0
  const tick = async () => {
    const sets = await source.probe()
    count = sets.at(-1)?.values[0]?.value as number
  }
  for (let i = 0; i < 20; i++) await tick() // JIT warm-up, command lines cached
  const cpu = process.cpuUsage()
  for (let i = 0; i < ticks; i++) await tick()
  const used = process.cpuUsage(cpu)
  return { ms: (used.user + used.system) / 1000 / ticks, count }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

try {
  await Bun.sleep(200)
  const pids = readdirSync("/proc").filter((e) => /^\d+$/.test(e)).length
  const match: number[] = []
  const none: number[] = []
  let matched = 0
  for (let r = 0; r < rounds; r++) {
    const m = await cpuPerTick(`^sleep ${tag.replace(/\./g, "\\.")}$`)
    matched = m.count
    match.push(m.ms)
    none.push((await cpuPerTick("^no-such-process-anywhere$")).ms)
  }
  const a = median(match)
  const b = median(none)
  console.log(`${pids} pids on the machine, ${matched} matching, ${ticks} ticks × ${rounds} rounds (median)`)
  console.log(`matching ${matched}: ${a.toFixed(3)} ms CPU/tick; matching none: ${b.toFixed(3)} ms CPU/tick`)
  console.log(
    `per matching process: ${(((a - b) * 1000) / matched).toFixed(1)} µs/tick; per pid looked at: ${((b * 1000) / pids).toFixed(1)} µs/tick; all in: ${((a * 1000) / matched).toFixed(1)} µs per matched process`,
  )
} finally {
  for (const kid of kids) kid.kill()
  await Promise.all(kids.map((k) => k.exited))
  rmSync(work, { recursive: true, force: true })
}
