/**
 * The product as a user runs it: `npm run build`'s compiled binary, started as a process.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { cpSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../helpers/context.ts"

const root = join(import.meta.dir, "../..")
const fixtures = join(root, "test/fixtures/configs")
const dir = tempDir("pollect-bin-")
const binary = join(dir, "pollect")

beforeAll(async () => {
  const build = Bun.spawn([process.execPath, "scripts/build.ts", "--outfile", binary], { cwd: root, stdout: "pipe", stderr: "pipe" })
  if ((await build.exited) !== 0) throw new Error(`build failed: ${await new Response(build.stderr).text()}`)
}, 120_000)

afterAll(() => {})

async function pollect(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const child = Bun.spawn([binary, ...args], {
    cwd: options.cwd ?? dir,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...options.env },
  })
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000)
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  clearTimeout(timer)
  return { stdout, stderr, code }
}

const TUPLE = /\('([^']+)', \((\d+), (-?[\d.]+(?:e[+-]\d+)?|nan|inf)\)\)/g

describe("compiled binary", () => {
  it("runs the seed README's config once with --dry-run: LoadAvg printed in the original's format", async () => {
    const { stdout, stderr, code } = await pollect(["--config", join(fixtures, "seed-readme.json"), "--once", "--dry-run"])
    const line = stdout.split("\n").find((l) => l.includes("pollect.loadavg"))!
    expect(line).toMatch(
      /^\('pollect\.loadavg\.short', \(\d{10}, \d+\.\d+\)\), \('pollect\.loadavg\.mid', \(\d{10}, \d+\.\d+\)\), \('pollect\.loadavg\.long', \(\d{10}, \d+\.\d+\)\)$/,
    )
    const now = Date.now() / 1000
    for (const [, , time] of line.matchAll(TUPLE)) expect(Math.abs(Number(time) - now)).toBeLessThan(60)
    // This machine has no route to google.com: that probe fails, the rest goes out, exit 1 says so.
    if (code === 1) expect(stderr).toContain("slowerMetrics Http (executors[1].sources[0]) failed")
    else expect(stdout).toContain("slowerMetrics.http")
  })

  it("a config with errors: every problem by path, exit 2, no stack trace", async () => {
    const file = join(dir, "bad.json")
    writeFileSync(file, JSON.stringify({ executors: [{ collection: "a", sources: [{ type: "Http" }, { type: "Bogus" }] }] }))
    const { stdout, stderr, code } = await pollect(["--config", file])
    expect(code).toBe(2)
    expect(stdout).toBe("")
    expect(stderr).toContain(
      `invalid config in ${file} (2 problems):\n  - executors[0].sources[0] (Http): url: expected (string | array)\n  - executors[0].sources[1]: unknown source type "Bogus"`,
    )
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it("ignores a bunfig.toml (its preload would run code inside pollect) and a .env in its working directory", async () => {
    const cwd = tempDir("pollect-bin-cwd-")
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./preload.ts"]\n')
    writeFileSync(join(cwd, "preload.ts"), 'console.log("PRELOAD RAN")\n')
    writeFileSync(join(cwd, ".env"), "POLLECT_TEST_FROM_DOTENV=yes\n")
    const version = await pollect(["--version"], { cwd })
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) })
    const config = join(cwd, "config.json")
    writeFileSync(
      config,
      JSON.stringify({
        executors: [{ collection: "${POLLECT_TEST_FROM_DOTENV}", sources: [{ type: "LoadAvg" }], writer: { type: "DryRun" } }],
      }),
    )
    const { stdout, stderr, code } = await pollect(["--config", config, "--once"], { cwd })
    expect(stdout).not.toContain("PRELOAD")
    expect({ code, stderr }).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("environment variable POLLECT_TEST_FROM_DOTENV is not set"),
    })
  })

  it("`check` validates without running; exit 0 or 2", async () => {
    const good = await pollect(["check", "--config", join(fixtures, "seed-readme.json")])
    expect(good.code).toBe(0)
    expect(good.stdout).toContain("OK (2 executor(s), 2 source(s))")
    writeFileSync(join(dir, "broken.json"), '{ "executors": [ }')
    const bad = await pollect(["check", "--config", join(dir, "broken.json")])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('not valid JSON at line 1, column 18: unexpected "}", expected a value')
  })

  it('loads extensions from beside the config, importing "pollect" from the binary', async () => {
    const ext = tempDir("pollect-ext-")
    cpSync(join(root, "examples"), ext, { recursive: true })
    const { stdout, code } = await pollect(["--config", join(ext, "config.json"), "--once"], { cwd: ext })
    expect(code).toBe(0)
    expect([...stdout.matchAll(TUPLE)].map((m) => m[1])).toEqual(["pollect.singlerandom", "pollect.multirandom.a", "pollect.multirandom.b"])
  })

  // Interface and IO report rates: nothing on a first (and, with --once, only) probe.
  it("without --config runs the embedded default (system metrics) and says so first", async () => {
    const { stdout, stderr, code } = await pollect(["--once", "--dry-run"])
    expect(code).toBe(0)
    expect(stderr.split("\n")[0]).toContain(
      "no --config given, running the embedded default config (LoadAvg, MemoryUsage, DiskUsage, Interface and IO every 10 s on http://*:9001/metrics)",
    )
    for (const path of ["pollect.loadavg.short", "pollect.memoryusage.total", "pollect.diskusage._.free"])
      expect(stdout).toContain(`('${path}`)
  })

  it("without --config serves the default on :9001 with snake_case names, if the port is free", async () => {
    const busy = await fetch("http://127.0.0.1:9001/").then(
      () => true,
      () => false,
    )
    if (busy) return // someone else's exporter; the --dry-run test above covers the config
    const child = Bun.spawn([binary], { cwd: dir, stdout: "pipe", stderr: "pipe" })
    try {
      let text = ""
      for (let i = 0; i < 100 && !text.includes("pollect_load_avg"); i++) {
        await Bun.sleep(100)
        text = await fetch("http://127.0.0.1:9001/metrics").then(
          (r) => r.text(),
          () => "",
        )
      }
      expect(text).toMatch(/^pollect_load_avg\{time="mid"\} [\d.]+$/m)
      expect(text).toMatch(/^pollect_memory_usage_bytes\{type="total"\} \d+$/m)
    } finally {
      child.kill("SIGTERM")
      expect(await child.exited).toBe(0)
    }
  })

  it("--help explains every option and command; --version prints the version", async () => {
    const help = await pollect(["--help"])
    expect(help.code).toBe(0)
    for (const word of ["--config", "--dry-run", "--once", "--log-level", "check", "schema"]) expect(help.stdout).toContain(word)
    const version = await pollect(["--version"])
    expect(version.stdout.trim()).toBe((await Bun.file(join(root, "package.json")).json()).version)
  })

  it("`schema` prints a JSON Schema naming every source type", async () => {
    const { stdout, code } = await pollect(["schema"])
    expect(code).toBe(0)
    const schema = JSON.parse(stdout)
    const text = JSON.stringify(schema)
    for (const type of ["LoadAvg", "Http", "TcpTime", "DryRun"]) expect(text).toContain(`"const":"${type}"`)
    expect(schema.properties.executors.type).toBe("array")
  })

  it("--once: SIGTERM during the tick lets it finish and flush", async () => {
    const slow = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async () => (await Bun.sleep(1500), new Response("ok")) })
    try {
      const file = join(dir, "once-slow.json")
      writeFileSync(
        file,
        JSON.stringify({ executors: [{ sources: [{ type: "Http", name: "slow", url: `http://127.0.0.1:${slow.port}/` }] }] }),
      )
      const child = Bun.spawn([binary, "--config", file, "--once"], { stdout: "pipe", stderr: "pipe" })
      await Bun.sleep(500)
      child.kill("SIGTERM")
      const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
      expect(stderr).toContain("SIGTERM: finishing this tick, then flushing")
      expect(code).toBe(0)
      expect(stdout).toMatch(
        /^\('pollect\.http\.slow', \(\d+, \d+\.\d+\)\), \('pollect\.http\.slow\.status', \(\d+, 200\.0\)\), \('pollect\.http\.slow\.ok', \(\d+, 1\.0\)\)$/m,
      )
    } finally {
      slow.stop(true)
    }
  })

  it("SIGTERM stops the timers, flushes and exits 0", async () => {
    const file = join(dir, "fast.json")
    writeFileSync(file, JSON.stringify({ tickTime: 0.5, executors: [{ sources: [{ type: "LoadAvg" }] }] }))
    const child = Bun.spawn([binary, "--config", file], { stdout: "pipe", stderr: "pipe" })
    const reader = child.stdout.getReader()
    let out = ""
    while ((out.match(/\n/g) ?? []).length < 2) out += new TextDecoder().decode((await reader.read()).value)
    child.kill("SIGTERM")
    const code = await child.exited
    const stderr = await new Response(child.stderr).text()
    expect(code).toBe(0)
    expect(stderr).toContain("SIGTERM: stopping")
    expect(stderr).toContain("stopped")
    expect(out.split("\n")[0]).toStartWith("('pollect.loadavg.short'")
  })
})
