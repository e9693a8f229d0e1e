/**
 * A real BIND 9 (`named`, Debian bind9) for tests: a generated named.conf in a temp folder,
 * DNS and the statistics channel on free loopback ports, no rndc control channel, a small
 * authoritative zone `example.test`, and optionally a forward zone `fwd.test` pointed at a
 * local DnsResponder (so the resolver and cache statistics move too). `dig()` runs the real dig.
 */
import type { Subprocess } from "bun"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { freePort, stopProcess } from "./processes.ts"
import { tempDir } from "./context.ts"
import { findTool } from "./tools.ts"

export class Named {
  readonly dir = tempDir("pollect-named-")
  dnsPort = 0
  statsPort = 0
  output = ""
  private process: Subprocess<"ignore", "pipe", "pipe"> | undefined

  constructor(private readonly options: { forwarderPort?: number } = {}) {}

  get statsUrl(): string {
    return `http://127.0.0.1:${this.statsPort}`
  }

  async start(): Promise<void> {
    const named = findTool("named")
    if (!named) throw new Error("named not installed")
    writeFileSync(
      join(this.dir, "example.test.zone"),
      [
        "$TTL 300",
        "@ IN SOA ns.example.test. admin.example.test. ( 1 3600 600 86400 300 )",
        "@ IN NS ns.example.test.",
        "ns IN A 127.0.0.1",
        "www IN A 127.0.0.2",
        "www IN AAAA ::1",
        "@ IN MX 10 ns.example.test.",
        "",
      ].join("\n"),
    )
    for (let attempt = 0; attempt < 5; attempt++) {
      this.dnsPort = freePort()
      this.statsPort = freePort()
      const conf = join(this.dir, "named.conf")
      writeFileSync(conf, this.config())
      const args = [named, "-g", "-4", "-n", "1", "-c", conf]
      if (process.getuid?.() === 0) args.push("-u", "root")
      this.output = ""
      const proc = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" })
      this.process = proc
      void this.collect(proc.stderr)
      void this.collect(proc.stdout)
      if (await this.ready()) return
      await this.stop()
    }
    throw new Error(`named did not start:\n${this.output.slice(-3000)}`)
  }

  private config(): string {
    const forward = this.options.forwarderPort
    return [
      "options {",
      `  directory "${this.dir}";`,
      `  pid-file "${join(this.dir, "named.pid")}";`,
      `  session-keyfile "${join(this.dir, "session.key")}";`,
      `  managed-keys-directory "${this.dir}";`,
      `  listen-on port ${this.dnsPort} { 127.0.0.1; };`,
      "  listen-on-v6 { none; };",
      forward ? "  recursion yes;\n  allow-recursion { 127.0.0.1; };" : "  recursion no;",
      "  dnssec-validation no;",
      "  notify no;",
      "};",
      "controls { };",
      `statistics-channels { inet 127.0.0.1 port ${this.statsPort} allow { 127.0.0.1; }; };`,
      `zone "example.test" { type primary; file "${join(this.dir, "example.test.zone")}"; };`,
      forward ? `zone "fwd.test" { type forward; forward only; forwarders { 127.0.0.1 port ${forward}; }; };` : "",
      "",
    ].join("\n")
  }

  private async collect(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder()
    for await (const chunk of stream) this.output += decoder.decode(chunk, { stream: true })
  }

  private async ready(): Promise<boolean> {
    for (let i = 0; i < 100; i++) {
      if (this.process?.exitCode !== null) return false
      if (this.output.includes("running")) {
        const ok = await fetch(`${this.statsUrl}/json/v1/server`).then(
          (r) => r.ok,
          () => false,
        )
        if (ok) return true
      }
      await Bun.sleep(100)
    }
    return false
  }

  /** `dig @127.0.0.1 -p PORT name type +short` with the real dig; resolves with its output. */
  async dig(name: string, type = "A"): Promise<string> {
    const proc = Bun.spawn(["dig", "@127.0.0.1", "-p", String(this.dnsPort), name, type, "+short", "+tries=1", "+time=2"], {
      stdout: "pipe",
      stderr: "pipe",
    })
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited])
    if (code !== 0) throw new Error(`dig ${name} ${type} failed (${code}): ${out}`)
    return out.trim()
  }

  async stop(): Promise<void> {
    const proc = this.process
    this.process = undefined
    if (proc) await stopProcess(proc, 5000)
  }
}
