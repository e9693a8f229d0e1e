/**
 * Soak: pollect runs for a while with every kind of work it does in steady state (the system
 * sources every second, Http and TcpTime against a loopback server, one of them failing, a
 * Prometheus writer scraped twice a second, a Graphite writer whose carbon comes and goes, and a
 * SIGHUP reload every minute), and its RSS, open fds and CPU are sampled. A leak shows as a
 * slope: RSS (KiB per minute, least squares over the second half, after warm-up) and fds.
 *
 *   npx bun bench/soak.ts [--seconds 600] [--binary dist/pollect]
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { freePort } from "../test/helpers/processes.ts"

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { seconds: { type: "string", default: "600" }, binary: { type: "string" } },
})
const SECONDS = Number(values.seconds)
const dir = mkdtempSync(join(tmpdir(), "pollect-soak-"))

// Peers on loopback: an HTTP server, and a carbon stand-in that accepts and drops, down every other 30 s.
const http = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("ok") })
let carbon: { stop(closeActive?: boolean): void } | undefined
const carbonPort = freePort()
const carbonUp = () => {
  carbon = Bun.listen({ hostname: "127.0.0.1", port: carbonPort, socket: { data() {} } })
}
carbonUp()
const flap = setInterval(() => {
  if (carbon) {
    carbon.stop(true)
    carbon = undefined
  } else carbonUp()
}, 30_000)

const promPort = freePort()
const config = {
  tickTime: 1,
  executors: [
    {
      collection: "pollect",
      sources: [
        { type: "LoadAvg" },
        { type: "MemoryUsage" },
        { type: "DiskUsage" },
        { type: "Interface" },
        { type: "IO" },
        { type: "Process", procRegex: "bun|pollect" },
        { type: "Http", name: "ok", url: `http://127.0.0.1:${http.port}/` },
        { type: "Http", name: "down", url: "http://127.0.0.1:1/", timeout: 0.5 },
        { type: "TcpTime", name: "ok", host: "127.0.0.1", port: http.port },
      ],
    },
  ],
  writers: [
    { type: "Prometheus", host: "127.0.0.1", port: promPort },
    { type: "Graphite", host: "127.0.0.1", picklePort: carbonPort },
  ],
}
const configFile = join(dir, "config.json")
writeFileSync(configFile, JSON.stringify(config))

const argv = values.binary ? [resolve(values.binary)] : [process.execPath, resolve(import.meta.dir, "../src/main.ts")]
const child = Bun.spawn([...argv, "--config", configFile, "--log-level", "warn"], { stdout: "ignore", stderr: "pipe" })
let logLines = 0
void (async () => {
  for await (const chunk of child.stderr) logLines += new TextDecoder().decode(chunk).split("\n").length - 1
})()

const scrapes = setInterval(
  () =>
    void fetch(`http://127.0.0.1:${promPort}/metrics`).then(
      (r) => r.arrayBuffer(),
      () => {},
    ),
  500,
)
const reloads = setInterval(() => child.kill("SIGHUP"), 60_000)

interface Sample {
  t: number
  rssKiB: number
  fds: number
  cpuTicks: number
}
const samples: Sample[] = []
const started = Date.now()
const sample = () => {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8")
  const stat = readFileSync(`/proc/${child.pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  samples.push({
    t: (Date.now() - started) / 1000,
    rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)![1]),
    fds: readdirSync(`/proc/${child.pid}/fd`).length,
    cpuTicks: Number(stat[11]) + Number(stat[12]),
  })
}
await Bun.sleep(2000)
while ((Date.now() - started) / 1000 < SECONDS) {
  sample()
  await Bun.sleep(5000)
}
sample()
clearInterval(scrapes)
clearInterval(reloads)
clearInterval(flap)
child.kill("SIGTERM")
const code = await child.exited
http.stop(true)
carbon?.stop(true)

/** Least-squares slope of y over t (per second). */
function slope(points: [number, number][]): number {
  const n = points.length
  const mt = points.reduce((s, [t]) => s + t, 0) / n
  const my = points.reduce((s, [, y]) => s + y, 0) / n
  const num = points.reduce((s, [t, y]) => s + (t - mt) * (y - my), 0)
  const den = points.reduce((s, [t]) => s + (t - mt) ** 2, 0)
  return den ? num / den : 0
}
const half = samples.slice(Math.floor(samples.length / 2))
const first = samples[0]!
const last = samples.at(-1)!
const hz = 100
const cpuPercent = ((last.cpuTicks - first.cpuTicks) / hz / (last.t - first.t)) * 100
console.log(
  JSON.stringify(
    {
      seconds: Math.round(last.t),
      samples: samples.length,
      rssKiB: { first: first.rssKiB, last: last.rssKiB, max: Math.max(...samples.map((s) => s.rssKiB)) },
      rssSlopeKiBPerMinuteSecondHalf: Number((slope(half.map((s) => [s.t, s.rssKiB])) * 60).toFixed(1)),
      fds: { first: first.fds, last: last.fds, max: Math.max(...samples.map((s) => s.fds)) },
      fdSlopePerMinuteSecondHalf: Number((slope(half.map((s) => [s.t, s.fds])) * 60).toFixed(2)),
      cpuPercentOfOneCore: Number(cpuPercent.toFixed(2)),
      rssKiBPerMinute: samples.filter((_, i) => i % 12 === 0).map((s) => s.rssKiB),
      logLinesAtWarn: logLines,
      exitCode: code,
    },
    null,
    2,
  ),
)
