/**
 * SIGHUP reloads the config, with real processes: `bun src/main.ts --config FILE` with a
 * Prometheus exporter, an extension source that counts its own probes (a rebuilt instance
 * would start again at 1), the config rewritten and SIGHUP sent between scrapes.
 */
import { afterAll, expect, it } from "bun:test"
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { tempDir } from "./helpers/context.ts"

const dir = tempDir()
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const MAIN = resolve(import.meta.dir, "../src/main.ts")

/** A port nobody listens on right now. */
function freePort(): number {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") })
  const port = server.port as number
  server.stop(true)
  return port
}

/** The running pollect: its stderr so far, scrapes, and a way to wait for either. */
function spawnPollect(config: string, port: number) {
  const child = Bun.spawn([process.execPath, MAIN, "--config", config], { stdout: "pipe", stderr: "pipe" })
  const state = { stderr: "" }
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of child.stderr) state.stderr += decoder.decode(chunk, { stream: true })
  })()
  void new Response(child.stdout).text()
  const scrape = async () => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`)
      return response.ok ? await response.text() : ""
    } catch {
      return ""
    }
  }
  /** Polls until `check` passes (returns its value) or 15 s have passed (fails with the log). */
  const until = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> => {
    const deadline = Date.now() + 15_000
    for (;;) {
      const value = await check()
      if (value !== undefined && value !== false) return value
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${what}: not seen; stderr:\n${state.stderr}`)
      await Bun.sleep(100)
    }
  }
  return { child, state, scrape, until }
}

/** `name{labels} value` → value; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

it("SIGHUP: new sources appear, removed ones disappear, unchanged ones keep counting; a bad config changes nothing", async () => {
  mkdirSync(join(dir, "sources"))
  writeFileSync(
    join(dir, "sources", "counter.ts"),
    `import { Source } from "pollect"
let built = 0
export class CounterSource extends Source {
  probes = 0
  instance = ++built
  override probe() {
    return { probes: ++this.probes, instance: this.instance }
  }
}
`,
  )
  const port = freePort()
  const config = join(dir, "config.json")
  const write = (raw: unknown) => writeFileSync(config, typeof raw === "string" ? raw : JSON.stringify(raw, null, 2))
  const prometheus = { type: "Prometheus", host: "127.0.0.1", port }
  write({
    tickTime: 1,
    writer: prometheus,
    executors: [
      { collection: "first", sources: [{ type: "Counter", name: "kept" }] },
      {
        collection: "second",
        sources: [
          { type: "Counter", name: "stays" },
          { type: "Counter", name: "gone" },
        ],
      },
    ],
  })
  const pollect = spawnPollect(config, port)
  const { child, state, scrape, until } = pollect
  try {
    const first = await until("first values", async () => {
      const text = await scrape()
      return (sample(text, "second_Counter_stays_probes") ?? 0) >= 2 && (sample(text, "first_Counter_kept_probes") ?? 0) >= 2
        ? text
        : undefined
    })
    expect(sample(first, "second_Counter_gone_probes")).toBeGreaterThan(0)
    expect(sample(first, 'pollect_config_reloads_total{result="success"}')).toBe(0)
    const keptBefore = sample(first, "first_Counter_kept_probes")!
    const staysBefore = sample(first, "second_Counter_stays_probes")!
    const staysInstance = sample(first, "second_Counter_stays_instance")

    // 1. Add a source, remove one; executor a is unchanged, executor b is rebuilt around "stays".
    write({
      tickTime: 1,
      writer: prometheus,
      executors: [
        { collection: "first", sources: [{ type: "Counter", name: "kept" }] },
        {
          collection: "second",
          sources: [
            { type: "Counter", name: "stays" },
            { type: "Counter", name: "added" },
          ],
        },
      ],
    })
    child.kill("SIGHUP")
    const second = await until("the added source", async () => {
      const text = await scrape()
      return sample(text, "second_Counter_added_probes") !== undefined ? text : undefined
    })
    expect(state.stderr).toContain("SIGHUP: reloading")
    expect(state.stderr).toContain("1 executor(s) kept, 1 rebuilt; sources 2 kept, 1 new, 1 removed; writers 1 kept, 0 new, 0 removed")
    expect(sample(second, "second_Counter_gone_probes")).toBeUndefined()
    expect(second).not.toContain('source="Counter.gone"')
    // The same instances: their probe counters go on from where they were.
    expect(sample(second, "first_Counter_kept_probes")!).toBeGreaterThanOrEqual(keptBefore)
    expect(sample(second, "second_Counter_stays_probes")!).toBeGreaterThan(staysBefore)
    expect(sample(second, "second_Counter_stays_instance")).toBe(staysInstance!)
    expect(sample(second, 'pollect_config_reloads_total{result="success"}')).toBe(1)

    // 2. An invalid config: every problem logged (the secret masked), nothing changes.
    const logged = state.stderr.length
    write({
      tickTime: -1,
      writer: prometheus,
      executors: [
        { collection: "first", sources: [{ type: "Nope" }] },
        { sources: [{ type: "Http", url: "http://admin:reload-secret-pw@127.0.0.1:1/", timeout: "soon" }] },
      ],
    })
    child.kill("SIGHUP")
    await until("the failed reload", () => state.stderr.slice(logged).includes("the running config stays"))
    const failedLog = state.stderr.slice(logged)
    expect(failedLog).toContain("(3 problems)")
    expect(failedLog).toContain("tickTime: ")
    expect(failedLog).toMatch(/- executors\[0\]\.sources\[0\]: unknown source type "Nope"/)
    expect(failedLog).toMatch(/- executors\[1\]\.sources\[0\] \(Http\): timeout: /)
    expect(failedLog).not.toContain("reload-secret-pw")
    const third = await until("the failure counted", async () => {
      const text = await scrape()
      return sample(text, 'pollect_config_reloads_total{result="failure"}') === 1 ? text : undefined
    })
    expect(sample(third, "second_Counter_added_probes")).toBeGreaterThan(0)
    expect(sample(third, "second_Counter_stays_instance")).toBe(staysInstance!)

    // 3. A new writer that cannot start (its port is taken): the reload fails as a whole.
    const squatter = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") })
    try {
      write({
        tickTime: 1,
        writer: prometheus,
        executors: [
          { collection: "first", sources: [{ type: "Counter", name: "kept" }] },
          { collection: "second", writer: { ...prometheus, port: squatter.port }, sources: [{ type: "Counter", name: "stays" }] },
        ],
      })
      const before = state.stderr.length
      child.kill("SIGHUP")
      await until("the refused writer", () => state.stderr.slice(before).includes("the running config stays"))
      expect(state.stderr.slice(before)).toContain(`writer Prometheus cannot start: port ${squatter.port} on 127.0.0.1 is already in use`)
    } finally {
      squatter.stop(true)
    }
    const fourth = await until("the second failure counted", async () => {
      const text = await scrape()
      return sample(text, 'pollect_config_reloads_total{result="failure"}') === 2 ? text : undefined
    })
    expect(sample(fourth, "second_Counter_added_probes")).toBeGreaterThan(0)

    // 4. The exporter's own config changes (same port, other names): it is replaced.
    write({
      tickTime: 1,
      writer: { ...prometheus, names: "snake_case" },
      executors: [{ collection: "first", sources: [{ type: "Counter", name: "kept" }] }],
    })
    child.kill("SIGHUP")
    const fifth = await until("the snake_case names", async () => {
      const text = await scrape()
      // snake_case: the names change (whatever naming.ts makes of the collection and type).
      return /^\w*counter_kept_probes \d+$/m.test(text) ? text : undefined
    })
    expect(fifth).not.toContain("first_Counter_kept_probes")
    expect(fifth).not.toMatch(/^\w*counter_stays/m)
    expect(sample(fifth, 'pollect_config_reloads_total{result="success"}')).toBe(2)
    expect(sample(fifth, 'pollect_config_reloads_total{result="failure"}')).toBe(2)
    if (Bun.which("promtool")) {
      const check = Bun.spawnSync(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(fifth) })
      expect(check.stdout.toString() + check.stderr.toString()).toBe("")
      expect(check.exitCode).toBe(0)
    }

    child.kill("SIGTERM")
    expect(await child.exited).toBe(0)
    expect(state.stderr).toContain("stopped")
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL")
  }
}, 60_000)
