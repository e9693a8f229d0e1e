/** pollect 1.2's command line still works: its short flags, `--debug`, `--log-level warning`, `--config NAME` without a suffix. */
import { afterAll, describe, expect, it } from "bun:test"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { tempDir } from "./helpers/context.ts"

const MAIN = resolve(import.meta.dir, "../src/main.ts")
const dir = tempDir()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function pollect(args: string[], cwd = dir): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, MAIN, ...args], {
    cwd,
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  })
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  return { code, stdout, stderr }
}

/** A config that would serve on a port: with -r nothing listens, the values go to stdout. */
const YAML = "writers:\n  - type: Prometheus\n    port: 1\nexecutors:\n  - collection: example\n    sources:\n      - type: LoadAvg\n"

describe("1.2's command line", () => {
  it("-c NAME finds NAME.yml; -r prints the values instead of serving them", async () => {
    writeFileSync(join(dir, "config.yml"), YAML)
    const { code, stdout, stderr } = await pollect(["-c", "config", "-r", "--once"])
    expect(stderr).not.toContain("Prometheus")
    expect(stdout).toContain("('example.loadavg.short', (")
    expect(code).toBe(0)
  })

  it("NAME.yaml and NAME.json are found too, .yml first as in 1.2; check reports the file it read", async () => {
    writeFileSync(join(dir, "a.json"), JSON.stringify({ executors: [] }))
    expect(await pollect(["check", "-c", join(dir, "a")])).toEqual({
      code: 0,
      stdout: `${join(dir, "a.json")}: OK (0 executor(s), 0 source(s))\n`,
      stderr: "",
    })
    writeFileSync(join(dir, "a.yaml"), "executors: []\n")
    expect((await pollect(["check", "-c", join(dir, "a")])).stdout).toStartWith(`${join(dir, "a.yaml")}: OK`)
    writeFileSync(join(dir, "a.yml"), "executors: []\n")
    expect((await pollect(["check", "--config", join(dir, "a")])).stdout).toStartWith(`${join(dir, "a.yml")}: OK`)
  })

  it("a NAME that exists nowhere lists what was tried, exit 2", async () => {
    const name = join(dir, "nowhere")
    const { code, stderr } = await pollect(["check", "-c", name])
    expect(stderr).toBe(
      `invalid config in ${name} (1 problem):\n  - cannot read config: file not found (tried ${name}, ${name}.yml, ${name}.yaml, ${name}.json)\n`,
    )
    expect(code).toBe(2)
  })

  it("-d is --log-level debug; --log-level warning is warn", async () => {
    const work = join(dir, "levels")
    mkdirSync(join(work, "sources"), { recursive: true })
    writeFileSync(
      join(work, "sources", "chatty.ts"),
      `import { Source } from "pollect"\nexport class ChattySource extends Source { override probe() { this.ctx.log.debug("a debug line"); return 1 } }\n`,
    )
    writeFileSync(join(work, "b.json"), JSON.stringify({ executors: [{ sources: [{ type: "Chatty" }] }] }))
    expect((await pollect(["-c", join(work, "b.json"), "--once"])).stderr).not.toContain("a debug line")
    expect((await pollect(["-d", "-c", join(work, "b.json"), "--once"])).stderr).toContain("a debug line")
    const warning = await pollect(["--log-level", "warning", "-c", join(work, "b.json"), "--once"])
    expect(warning.stderr).not.toContain("INFO")
    expect(warning.stderr).toContain("WARN") // no writer configured: values go to DryRun
    expect(warning.code).toBe(0)
  })

  it("--dependencies says there is nothing to install, exit 0", async () => {
    expect(await pollect(["--dependencies", "-c", "config"])).toEqual({
      code: 0,
      stdout: "pollect: no dependencies to install: every source and writer is built into this pollect\n",
      stderr: "",
    })
  })

  it("--help explains every 1.2 flag", async () => {
    const { stdout } = await pollect(["--help"])
    for (const flag of [
      "-c, --config",
      "-r, --dry-run",
      "-d, --debug",
      "--log-level",
      "warning",
      "--dependencies",
      "NAME.yml, NAME.yaml or NAME.json",
    ])
      expect(stdout).toContain(flag)
  })
})
