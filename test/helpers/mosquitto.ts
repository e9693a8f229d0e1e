/**
 * A real MQTT broker (Debian mosquitto 2) for tests: a generated mosquitto.conf with one
 * listener on a free loopback port, anonymous or with a password file made by
 * `mosquitto_passwd -b`, optionally TLS (cafile/certfile/keyfile), no persistence (a restart
 * forgets retained messages, as a broker without `persistence true` does). `restart()` keeps the
 * port, so clients can reconnect. Read what arrived with `subscriber()` (a second MQTT.js client).
 */
import type { Subprocess } from "bun"
import mqtt, { type MqttClient } from "mqtt"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "./context.ts"
import { findTool } from "./tools.ts"
import { freePort, stopProcess } from "./processes.ts"

export interface MosquittoOptions {
  /** user → password; when set, anonymous clients are refused. */
  users?: Record<string, string>
  /** A TLS listener with these PEM files (the server's certificate and key; `cafile` too). */
  tls?: { cert: string; key: string }
}

export class Mosquitto {
  readonly dir = tempDir("pollect-mosquitto-")
  readonly port = freePort()
  private process: Subprocess | undefined
  private readonly conf = join(this.dir, "mosquitto.conf")

  constructor(readonly options: MosquittoOptions = {}) {}

  get url(): string {
    return `${this.options.tls ? "mqtts" : "mqtt"}://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    // As root, mosquitto would switch to the `mosquitto` user, which cannot write our temp folder.
    const lines = [
      ...(process.getuid?.() === 0 ? ["user root"] : []),
      `listener ${this.port} 127.0.0.1`,
      "persistence false",
      `log_dest file ${join(this.dir, "mosquitto.log")}`,
      "log_type all",
    ]
    const users = this.options.users
    if (users) {
      const passwd = join(this.dir, "passwd")
      writeFileSync(passwd, "")
      for (const [user, password] of Object.entries(users)) {
        const made = Bun.spawnSync([findTool("mosquitto_passwd") ?? "mosquitto_passwd", "-b", passwd, user, password], { stderr: "pipe" })
        if (made.exitCode !== 0) throw new Error(`mosquitto_passwd failed: ${made.stderr.toString()}`)
      }
      lines.push("allow_anonymous false", `password_file ${passwd}`)
    } else {
      lines.push("allow_anonymous true")
    }
    const tls = this.options.tls
    if (tls) lines.push(`cafile ${tls.cert}`, `certfile ${tls.cert}`, `keyfile ${tls.key}`)
    writeFileSync(this.conf, lines.join("\n") + "\n")
    await this.launch()
  }

  private async launch(): Promise<void> {
    const binary = findTool("mosquitto")
    if (!binary) throw new Error("mosquitto not installed")
    this.process = Bun.spawn([binary, "-c", this.conf], { stdin: "ignore", stdout: "ignore", stderr: "pipe" })
    for (let i = 0; i < 100; i++) {
      if (this.process.exitCode !== null) break
      if (this.log().includes(`Opening ipv4 listen socket on port ${this.port}.`) && (await portOpen(this.port))) return
      await Bun.sleep(50)
    }
    const stderr = this.process.exitCode !== null ? await new Response(this.process.stderr as ReadableStream).text() : ""
    await this.stop()
    throw new Error(`mosquitto did not start: ${stderr}${this.log().slice(-2000)}`)
  }

  /** Stops the broker and starts it again on the same port (retained messages are gone). */
  async restart(downMs = 0): Promise<void> {
    await this.stop()
    if (downMs) await Bun.sleep(downMs)
    await this.launch()
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "mosquitto.log"), "utf8")
    } catch {
      return ""
    }
  }

  /** Client ids currently connected, from the broker's own log (connects minus disconnects). */
  connectedClients(): string[] {
    const connected = new Map<string, number>()
    for (const line of this.log().split("\n")) {
      const up = / New client connected from \S+ as (\S+) /.exec(line)
      if (up) connected.set(up[1]!, (connected.get(up[1]!) ?? 0) + 1)
      const down = /(?:Client (\S+) (?:disconnected|closed its connection|has exceeded timeout))|(?:Socket error on client (\S+),)/.exec(
        line,
      )
      const id = down?.[1] ?? down?.[2]
      if (id) connected.set(id, (connected.get(id) ?? 0) - 1)
    }
    return [...connected].filter(([, n]) => n > 0).map(([id]) => id)
  }

  /** A second MQTT.js client subscribed to `topics` (default everything); `messages` holds the newest payload per topic. */
  async subscriber(topics: string[] = ["#"], extra: mqtt.IClientOptions = {}): Promise<Subscriber> {
    const client = await mqtt.connectAsync(this.url, {
      clientId: `test-sub-${Math.random().toString(16).slice(2)}`,
      reconnectPeriod: 200,
      ...extra,
    })
    const subscriber = new Subscriber(client)
    await client.subscribeAsync(topics)
    return subscriber
  }

  async stop(): Promise<void> {
    const proc = this.process
    this.process = undefined
    if (proc) await stopProcess(proc, 3000)
  }
}

export class Subscriber {
  /** topic → newest payload (text); a retained empty payload (a deletion) is kept as "". */
  readonly messages = new Map<string, string>()
  /** Every message in arrival order. */
  readonly all: { topic: string; payload: string; retain: boolean }[] = []

  constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      const text = payload.toString("utf8")
      this.messages.set(topic, text)
      this.all.push({ topic, payload: text, retain: packet.retain })
    })
  }

  /** Waits until `check` holds (polling), or fails with what arrived. */
  async until(check: (messages: Map<string, string>) => boolean, ms = 10_000): Promise<void> {
    const end = Date.now() + ms
    while (Date.now() < end) {
      if (check(this.messages)) return
      await Bun.sleep(20)
    }
    if (!check(this.messages)) throw new Error(`not arrived within ${ms} ms; got ${JSON.stringify([...this.messages].slice(0, 50))}`)
  }

  async close(): Promise<void> {
    await this.client.endAsync(true)
  }
}

async function portOpen(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })
    socket.end()
    return true
  } catch {
    return false
  }
}
