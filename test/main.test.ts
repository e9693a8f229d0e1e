/** src/main.ts: what the command line prints when pollect cannot run. */
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
  const child = Bun.spawn([process.execPath, resolve(import.meta.dir, "../src/main.ts"), "--config", config, "--once"], { stdout: "pipe", stderr: "pipe" })
  const [stderr, code] = await Promise.all([new Response(child.stderr).text(), child.exited])
  expect(code).toBe(1)
  expect(stderr).toContain("pollect: cannot use http://admin:***@127.0.0.1:1/")
  expect(stderr).not.toContain("xyzzy-pw")
})
