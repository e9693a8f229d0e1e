/**
 * A real carbon-cache (Debian graphite-carbon) for tests: its own carbon.conf on free loopback
 * ports, a temp storage dir with 1 s whisper retention, no rate limits (files are created and
 * written at once), no UDP, no self-metrics. Read points back with `whisper-fetch --json`.
 */
import type { Subprocess } from "bun"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "./context.ts"
import { freePort, stopProcess } from "./processes.ts"

async function portOpen(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })
    socket.end()
    return true
  } catch {
    return false
  }
}

export class CarbonCache {
  readonly dir = tempDir("pollect-carbon-")
  readonly whisperDir = join(this.dir, "whisper")
  readonly ports = { line: freePort(), pickle: freePort(), query: freePort() }
  private process: Subprocess | undefined
  /** carbon's console output, for failure messages. */
  output = ""

  constructor() {
    mkdirSync(this.whisperDir, { recursive: true })
    mkdirSync(join(this.dir, "log"), { recursive: true })
    writeFileSync(
      join(this.dir, "carbon.conf"),
      [
        "[cache]",
        `STORAGE_DIR = ${this.dir}`,
        `LOCAL_DATA_DIR = ${this.whisperDir}`,
        `WHISPER_DIR = ${this.whisperDir}`,
        `CONF_DIR = ${this.dir}`,
        `LOG_DIR = ${join(this.dir, "log")}`,
        `PID_DIR = ${this.dir}`,
        "USER =",
        "DATABASE = whisper",
        "MAX_CACHE_SIZE = inf",
        "MAX_UPDATES_PER_SECOND = inf",
        "MAX_UPDATES_PER_SECOND_ON_SHUTDOWN = inf",
        "MAX_CREATES_PER_MINUTE = inf",
        "LINE_RECEIVER_INTERFACE = 127.0.0.1",
        `LINE_RECEIVER_PORT = ${this.ports.line}`,
        "ENABLE_UDP_LISTENER = False",
        "PICKLE_RECEIVER_INTERFACE = 127.0.0.1",
        `PICKLE_RECEIVER_PORT = ${this.ports.pickle}`,
        "PICKLE_RECEIVER_MAX_LENGTH = 1048576",
        "USE_INSECURE_UNPICKLER = False",
        "CACHE_QUERY_INTERFACE = 127.0.0.1",
        `CACHE_QUERY_PORT = ${this.ports.query}`,
        "CARBON_METRIC_INTERVAL = 0",
        "LOG_LISTENER_CONN_SUCCESS = False",
        "",
      ].join("\n"),
    )
    writeFileSync(join(this.dir, "storage-schemas.conf"), "[all]\npattern = .*\nretentions = 1s:1h\n")
    writeFileSync(join(this.dir, "storage-aggregation.conf"), "")
  }

  get running(): boolean {
    return this.process !== undefined
  }

  /** Starts carbon in the foreground and waits until its pickle and line ports accept. */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.process) return
    const child = Bun.spawn(["carbon-cache", `--config=${join(this.dir, "carbon.conf")}`, "--nodaemon", "start"], {
      stdout: "pipe",
      stderr: "pipe",
    })
    this.process = child
    void this.collect(child.stdout)
    void this.collect(child.stderr)
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`carbon-cache exited (${child.exitCode}):\n${this.output}`)
      if ((await portOpen(this.ports.pickle)) && (await portOpen(this.ports.line))) return
      await Bun.sleep(50)
    }
    throw new Error(`carbon-cache did not open its ports within ${timeoutMs / 1000} s:\n${this.output}`)
  }

  /** Stops carbon gracefully (SIGTERM, as `carbon-cache stop` does) and waits for it to exit. */
  async stop(timeoutMs = 15_000): Promise<void> {
    const child = this.process
    if (!child) return
    this.process = undefined
    await stopProcess(child, timeoutMs)
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    for await (const chunk of stream) this.output += decoder.decode(chunk, { stream: true })
  }

  /** The whisper file of a metric path. */
  file(path: string): string {
    return join(this.whisperDir, ...path.split(".")) + ".wsp"
  }

  /** Stored points of `path` between two unix times: timestamp → value (nulls left out). */
  async fetch(path: string, from: number, until: number): Promise<Map<number, number>> {
    const file = this.file(path)
    if (!(await Bun.file(file).exists())) return new Map()
    const child = Bun.spawn(["whisper-fetch", "--json", `--from=${from}`, `--until=${until}`, file], { stdout: "pipe", stderr: "pipe" })
    const [text, errors, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    if (code !== 0) throw new Error(`whisper-fetch ${file} failed (${code}): ${errors}`)
    const data = JSON.parse(text) as { start: number; step: number; values: (number | null)[] }
    const points = new Map<number, number>()
    data.values.forEach((value, i) => {
      if (value !== null) points.set(data.start + i * data.step, value)
    })
    return points
  }

  /** Polls `fetch` until `done` says so (carbon writes its cache to disk about once a second). */
  async waitFor(
    path: string,
    from: number,
    until: number,
    done: (points: Map<number, number>) => boolean,
    timeoutMs = 15_000,
  ): Promise<Map<number, number>> {
    const deadline = Date.now() + timeoutMs
    let points = new Map<number, number>()
    while (Date.now() < deadline) {
      points = await this.fetch(path, from, until)
      if (done(points)) return points
      await Bun.sleep(200)
    }
    return points
  }
}
