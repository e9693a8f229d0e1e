/**
 * A real InfluxDB 1.x (Debian `influxdb`) for tests: its own config with the HTTP API and the RPC
 * bind address on free loopback ports, meta/data/wal in a temp folder, reporting off; optionally
 * with authentication. `query()` runs InfluxQL through `/query`. stop() and start() again keep the
 * data (an outage of the store).
 */
import type { Subprocess } from "bun"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "./context.ts"
import { freePort, stopProcess } from "./processes.ts"

export class InfluxDB {
  readonly dir = tempDir("pollect-influxdb-")
  readonly port = freePort()
  readonly url = `http://127.0.0.1:${this.port}`
  private process: Subprocess | undefined
  output = ""

  constructor(options: { auth?: boolean } = {}) {
    writeFileSync(
      join(this.dir, "influxdb.conf"),
      [
        "reporting-disabled = true",
        `bind-address = "127.0.0.1:${freePort()}"`,
        "[meta]",
        `  dir = "${join(this.dir, "meta")}"`,
        "[data]",
        `  dir = "${join(this.dir, "data")}"`,
        `  wal-dir = "${join(this.dir, "wal")}"`,
        "  query-log-enabled = false",
        "[http]",
        `  bind-address = "127.0.0.1:${this.port}"`,
        `  auth-enabled = ${options.auth ? "true" : "false"}`,
        "  log-enabled = false",
        "[monitor]",
        "  store-enabled = false",
        "[continuous_queries]",
        "  enabled = false",
        "",
      ].join("\n"),
    )
  }

  /** Starts influxd and waits until /ping answers 204. */
  async start(): Promise<void> {
    this.process = Bun.spawn(["influxd", "-config", join(this.dir, "influxdb.conf")], { stdout: "pipe", stderr: "pipe" })
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) this.output = (this.output + new TextDecoder().decode(chunk)).slice(-20_000)
    }
    void collect(this.process.stdout as ReadableStream<Uint8Array>)
    void collect(this.process.stderr as ReadableStream<Uint8Array>)
    const end = Date.now() + 30_000
    while (Date.now() < end) {
      try {
        if ((await fetch(`${this.url}/ping`)).status === 204) return
      } catch {
        // not yet
      }
      if (this.process.exitCode !== null) break
      await Bun.sleep(100)
    }
    throw new Error(`influxd did not answer /ping: ${this.output.slice(-2000)}`)
  }

  async stop(): Promise<void> {
    if (this.process) await stopProcess(this.process, 5000)
    this.process = undefined
  }

  /** Runs InfluxQL; returns the parsed JSON answer. */
  async query(
    q: string,
    options: { db?: string; auth?: [string, string] } = {},
  ): Promise<{
    results: { series?: { name: string; columns: string[]; values: unknown[][]; tags?: Record<string, string> }[]; error?: string }[]
    error?: string
  }> {
    const params = new URLSearchParams({ q, epoch: "ms" })
    if (options.db) params.set("db", options.db)
    const headers: Record<string, string> = {}
    if (options.auth) headers.authorization = `Basic ${btoa(options.auth.join(":"))}`
    const response = await fetch(`${this.url}/query`, { method: "POST", body: params, headers })
    return (await response.json()) as never
  }

  /** Rows of a SELECT as objects keyed by column. */
  async rows(q: string, db: string, auth?: [string, string]): Promise<Record<string, unknown>[]> {
    const answer = await this.query(q, { db, auth })
    const out: Record<string, unknown>[] = []
    for (const series of answer.results[0]?.series ?? []) {
      for (const values of series.values)
        out.push({ _measurement: series.name, ...Object.fromEntries(series.columns.map((c, i) => [c, values[i]])) })
    }
    return out
  }
}
