/** src/main.ts: what the command line prints when pollect cannot run, and how it stops. */
import { afterAll, expect, it } from "bun:test"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { tempDir } from "./helpers/context.ts"

const dir = tempDir()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it("an error that stops pollect is printed with the config's secrets masked", async () => {
  mkdirSync(join(dir, "sources"))
  const api = resolve(import.meta.dir, "../src/api.ts")
  writeFileSync(
    join(dir, "sources", "picky.ts"),
    `import { Source, v } from ${JSON.stringify(api)}
export class PickySource extends Source {
  static override readonly options = v.object({ url: v.string() })
  constructor(config: { url: string }, ctx: never) {
    super(config, ctx)
    throw new Error("cannot use " + config.url)
  }
  override probe() { return 1 }
}
`,
  )
  const config = join(dir, "config.json")
  writeFileSync(config, JSON.stringify({ executors: [{ sources: [{ type: "Picky", url: "http://admin:xyzzy-pw@127.0.0.1:1/" }] }] }))
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "../src/main.ts"), "--config", config, "--once"], {
    stdout: "pipe",
    stderr: "pipe",
  })
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited])
  expect(code).toBe(1)
  expect(stderr).toContain("pollect: cannot use http://admin:***@127.0.0.1:1/")
  expect(stderr).not.toContain("xyzzy-pw")
})

it("SIGTERM during a tick lets the tick finish and reach the writer, then exits 0", async () => {
  const work = join(dir, "sigterm")
  mkdirSync(join(work, "sources"), { recursive: true })
  const api = resolve(import.meta.dir, "../src/api.ts")
  writeFileSync(
    join(work, "sources", "slow.ts"),
    `import { Source } from ${JSON.stringify(api)}
export class SlowSource extends Source {
  override async probe() {
    process.stderr.write("probe started\\n")
    await Bun.sleep(1500)
    return 42
  }
}
`,
  )
  const config = join(work, "config.json")
  writeFileSync(
    config,
    JSON.stringify({ tickTime: 60, writer: { type: "DryRun" }, executors: [{ sources: [{ type: "Slow", timeout: 10 }] }] }),
  )
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "../src/main.ts"), "--config", config], {
    stdout: "pipe",
    stderr: "pipe",
  })
  const stdout = new Response(child.stdout).text()
  let stderr = ""
  const decoder = new TextDecoder()
  for await (const chunk of child.stderr) {
    stderr += decoder.decode(chunk, { stream: true })
    if (stderr.includes("probe started")) break
  }
  child.kill("SIGTERM")
  const code = await child.exited
  expect(code).toBe(0)
  expect(await stdout).toMatch(/^\('pollect\.slow', \(\d+, 42\.0\)\)$/m)
})
