/** The real CLI with a Prometheus writer: serves the sources' values; a port in use is exit 2 naming the port. */
import { afterAll, expect, it } from "bun:test"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"

const MAIN = join(import.meta.dir, "../../main.ts")
const cleanups: (() => unknown)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

function writeConfig(port: number, names = "pollect"): string {
  const file = join(tempDir(), "config.json")
  writeFileSync(
    file,
    JSON.stringify({
      tickTime: 1,
      writer: { type: "Prometheus", host: "127.0.0.1", port, names },
      executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }],
    }),
  )
  return file
}

it("exits 2 with a message naming the port when the port is in use", async () => {
  const squatter = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("taken") })
  cleanups.push(() => squatter.stop(true))
  const proc = Bun.spawn([process.execPath, MAIN, "--config", writeConfig(squatter.port!)], { stdout: "pipe", stderr: "pipe" })
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
  expect(code).toBe(2)
  expect(stderr).toContain(`writer Prometheus cannot start: port ${squatter.port} on 127.0.0.1 is already in use`)
  expect(stderr).not.toMatch(/^\s+at /m)
})

it("serves the sources' values at /metrics until stopped", async () => {
  const port = freePort()
  const proc = Bun.spawn([process.execPath, MAIN, "--config", writeConfig(port, "snake_case")], { stdout: "pipe", stderr: "pipe" })
  cleanups.push(async () => {
    proc.kill()
    await proc.exited
  })
  let text = ""
  for (let i = 0; i < 50 && !text.includes("pollect_load_avg{"); i++) {
    await Bun.sleep(100)
    text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
      (r) => r.text(),
      () => "",
    )
  }
  expect(text).toMatch(/^pollect_load_avg\{time="mid"\} \d+(\.\d+)?$/m)
  expect(text).toMatch(/^pollect_probe_duration_seconds\{collection="pollect",source="LoadAvg"\} /m)
  proc.kill("SIGTERM")
  expect(await proc.exited).toBe(0)
})
