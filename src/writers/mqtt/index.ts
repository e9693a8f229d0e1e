/**
 * `Mqtt`: publishes every value as a retained message on pollect 1.2's topic
 * (`pollect.loadavg/time/short` → `0.5`), optionally with Home Assistant discovery configs.
 *
 * `write()` only puts the newest payload per topic into a bounded outbox and returns; a flush
 * loop publishes while connected. The connection is MQTT.js with our own reconnect loop (capped
 * exponential backoff), so a broker that is down at start or goes away later costs one log line,
 * not one per attempt. Availability: `pollect/<clientId>/status` is `online` (retained) while
 * connected, and the broker publishes `offline` (the last will) when pollect goes away unseen.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt"
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import { resolve } from "node:path"
import {
  Writer,
  compileUserRegex,
  errorMessage,
  type SourceResult,
  type UserRegex,
  v,
  type ValueSet,
  type WriterContext,
  type WriterStatus,
  version,
} from "../../api.ts"
import { discoveryEntry, shortHash, toObjectId, type DiscoveryDevice, type DiscoveryEntry } from "./discovery.ts"
import { type MqttOptions, options } from "./options.ts"
import { LatestOutbox } from "./outbox.ts"
import { topicBase, valuePayload, valueTopic } from "./topics.ts"

export type { MqttOptions } from "./options.ts"

export const BACKOFF_MIN_MS = 500
export const BACKOFF_MAX_MS = 30_000
const CONNECT_TIMEOUT_MS = 10_000
const STOP_TIMEOUT_MS = 5_000
const KEEPALIVE_S = 30
/** Messages handed to MQTT.js at once; the next batch waits until these are written (QoS 0) or acknowledged. */
const BATCH = 1000

/** 0.5 s, 1 s, 2 s, ... capped at 30 s, for the n-th failure in a row (n ≥ 1). */
export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1))
}

/** A connection error in words a user can act on. */
export function describeMqttError(error: unknown): { text: string; auth: boolean } {
  const code = (error as { code?: unknown }).code
  const message = errorMessage(error)
  if (code === 4 || code === 5 || code === 134 || code === 135) {
    return { text: `the broker refused the login (${message}): check user and password`, auth: true }
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return {
      text: `TLS: the broker's certificate is not for this host (${message}): set host to a name or address the certificate holds`,
      auth: false,
    }
  }
  if (typeof code === "string" && /CERT|SELF_SIGNED|ISSUER/.test(code)) {
    return { text: `TLS: the broker's certificate is not trusted (${message}): give the CA that signed it in tls.ca`, auth: false }
  }
  return { text: message || String(code ?? "connection failed"), auth: false }
}

interface Waiter {
  left: number
  done: () => void
}

export class MqttWriter extends Writer<MqttOptions> {
  static override readonly options = options
  override readonly partial = true

  private readonly opts: MqttOptions
  private readonly includes: UserRegex[]
  private readonly outbox: LatestOutbox
  readonly clientId: string
  /** `pollect/<clientId>/status`: `online` / `offline`, retained. */
  readonly statusTopic: string
  private readonly device: DiscoveryDevice
  /** Per source id: topic → payload of its last result (retained state; sent again after a reconnect). */
  private readonly bySource = new Map<string, Map<string, string>>()
  /** State topic → its discovery entry. */
  private readonly discovery = new Map<string, DiscoveryEntry>()
  /** The config topics of `discovery`. */
  private readonly configTopics = new Set<string>()
  /** object id → state topic, to keep object ids unique. */
  private readonly objectIds = new Map<string, string>()
  private client: MqttClient | undefined
  private connected = false
  private flushing: Promise<void> | undefined
  private stopping = false
  private stopPromise: Promise<void> | undefined
  private stopped = false
  private failures = 0
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  /** The last connection problem logged at warn/error; the same again goes to debug. */
  private problem: string | undefined
  private dropLogged = false
  private droppedWhileDown = 0
  private waiters = new Set<Waiter>()
  /** Successful connections so far. */
  connections = 0
  /** Messages handed to MQTT.js and confirmed (written for QoS 0, acknowledged otherwise). */
  published = 0

  constructor(config: MqttOptions & { type: string }, ctx: WriterContext) {
    super(config, ctx)
    const opts = (this.opts = v.parse(options, config))
    this.includes = (opts.includePattern ?? []).map((pattern) => compileUserRegex(pattern, "whole"))
    this.outbox = new LatestOutbox(opts.bufferSize)
    const host = hostname()
    this.clientId = opts.clientId ?? `pollect-${host}`
    this.statusTopic = `pollect/${toObjectId(this.clientId)}/status`
    this.device = { host, version, availabilityTopic: this.statusTopic }
  }

  /** `mqtt://127.0.0.1:1883` for messages. */
  get target(): string {
    const host = this.opts.host.includes(":") ? `[${this.opts.host}]` : this.opts.host
    return `${this.opts.tls ? "mqtts" : "mqtt"}://${host}:${this.port}`
  }

  private get port(): number {
    return this.opts.port ?? (this.opts.tls ? 8883 : 1883)
  }

  /** Topics waiting for the broker. */
  get unsent(): number {
    return this.outbox.size
  }

  get isConnected(): boolean {
    return this.connected
  }

  override status(): WriterStatus {
    const state = this.stopped ? "stopped" : this.connected ? "ok" : this.failures > 0 ? "retrying" : "connecting"
    const waiting = this.outbox.size ? `, ${this.outbox.size} topic(s) waiting` : ""
    return { state, detail: `${this.target} as ${this.clientId}${waiting}`, lastError: this.problem }
  }

  /**
   * Reads the TLS files (a missing one fails the start, with its path) and connects in the
   * background: a broker that is down at start is not fatal, the outbox covers it.
   */
  override start(): void {
    if (this.client || this.stopped) return
    const opts = this.opts
    const client_options: IClientOptions = {
      host: opts.host,
      port: this.port,
      protocol: opts.tls ? "mqtts" : "mqtt",
      clientId: this.clientId,
      username: opts.user,
      password: opts.password,
      keepalive: KEEPALIVE_S,
      clean: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectPeriod: 0, // our own loop, with backoff
      queueQoSZero: false, // the outbox holds what waits, bounded
      will: { topic: this.statusTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
    }
    if (opts.tls) {
      const tls = opts.tls === true ? {} : opts.tls
      const file = (key: "ca" | "cert" | "key") => {
        const path = tls[key]
        if (path === undefined) return undefined
        const full = resolve(this.ctx.configDir, path)
        try {
          return readFileSync(full)
        } catch (error) {
          throw new Error(`tls.${key}: cannot read ${full}: ${errorMessage(error)}`)
        }
      }
      client_options.ca = file("ca")
      client_options.cert = file("cert")
      client_options.key = file("key")
      client_options.rejectUnauthorized = tls.verify !== false
    }
    const client = mqtt.connect(client_options)
    this.client = client
    client.on("connect", () => this.onConnect())
    client.on("close", () => this.onClose())
    client.on("error", (error) => this.onError(error))
    client.on("message", (topic, payload) => this.onMessage(topic, payload))
  }

  override write(results: SourceResult[]): void {
    if (this.stopped) return
    let invalid = 0
    let dropped = 0
    const hass = this.opts.hassAutodiscovery
    const retain = this.opts.retain
    for (const result of results) {
      if (result.error !== undefined) continue // a failing source keeps its last values
      const base = topicBase(result)
      const now = new Map<string, string>()
      for (const set of result.sets) {
        for (const value of set.values) {
          const topic = valueTopic(base, set, value, result.labels)
          if (this.includes.length > 0 && !this.includes.some((re) => re.test(topic))) continue
          const payload = valuePayload(value.value)
          if (payload === undefined) {
            invalid++
            continue
          }
          if (hass && !this.discovery.has(topic)) {
            const entry = this.discoveryOf(result, set, value, topic)
            dropped += this.outbox.put(entry.configTopic, entry.payload)
          }
          now.set(topic, payload)
          dropped += this.outbox.put(topic, payload)
        }
      }
      // Values the source no longer reports: their retained value and their entity are removed.
      const before = this.bySource.get(result.id)
      if (before) {
        for (const topic of before.keys()) {
          if (now.has(topic)) continue
          if (retain) dropped += this.outbox.put(topic, "")
          const entry = this.discovery.get(topic)
          if (entry) {
            dropped += this.outbox.put(entry.configTopic, "")
            this.discovery.delete(topic)
            this.configTopics.delete(entry.configTopic)
            this.objectIds.delete(entry.objectId)
          }
        }
      }
      if (now.size > 0) this.bySource.set(result.id, now)
      else this.bySource.delete(result.id)
    }
    if (invalid) this.ctx.selfMetrics.count("pollect_points_invalid_total", { writer: "Mqtt" }, invalid)
    if (dropped) this.drop(dropped, "the buffer is full")
    void this.flush()
  }

  /** The discovery entry of a value, made once per topic; its object id unique among this writer's. */
  private discoveryOf(result: SourceResult, set: ValueSet, value: { name?: string; labelValues: string[] }, topic: string): DiscoveryEntry {
    let objectId = toObjectId(`pollect_${this.device.host}_${topic}`)
    const taken = this.objectIds.get(objectId)
    if (taken !== undefined && taken !== topic) objectId = `${objectId}_${shortHash(topic)}`
    this.objectIds.set(objectId, topic)
    const words = [result.collection, result.type]
    if (result.name !== undefined) words.push(result.name)
    if (value.name !== undefined && value.name !== "") words.push(value.name)
    words.push(...value.labelValues, ...Object.values(result.labels))
    const entry = discoveryEntry(this.opts.discoveryPrefix, this.device, objectId, topic, words.join(" "), set.unit, set.kind)
    this.discovery.set(topic, entry)
    this.configTopics.add(entry.configTopic)
    return entry
  }

  /** Publishes `offline`, sends what is buffered within a bounded time, then closes. What is left is counted as dropped. */
  override stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    this.stopPromise ??= this.shutdown(timeoutMs)
    return this.stopPromise
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.stopping = true
    const client = this.client
    const deadline = Date.now() + timeoutMs
    if (client) {
      clearTimeout(this.retryTimer)
      this.retryTimer = undefined
      if (!this.connected && this.outbox.size > 0) {
        // One more attempt now (the retry loop may be backing off for up to 30 s).
        const failures = this.failures
        this.reconnect()
        while (Date.now() < deadline && !this.connected && this.failures === failures) await Bun.sleep(10)
      }
      if (this.connected) await Promise.race([this.flush(), Bun.sleep(Math.max(0, deadline - Date.now()))])
      if (this.connected) {
        await Promise.race([this.deliver([[this.statusTopic, "offline"]], 1, true), Bun.sleep(Math.max(0, deadline - Date.now()))])
      }
    }
    this.stopped = true
    const left = this.outbox.size
    if (left) this.drop(left, `pollect stopped before ${this.target} took them`)
    for (const waiter of this.waiters) waiter.done()
    this.waiters.clear()
    if (client) {
      await Promise.race([client.endAsync(!this.connected), Bun.sleep(Math.max(100, deadline - Date.now()))])
      client.end(true)
      client.removeAllListeners()
      client.on("error", () => {})
    }
    this.connected = false
  }

  /** Publishes buffered messages in batches while connected; one loop at a time (a second call joins it). */
  private flush(): Promise<void> {
    if (this.flushing) return this.flushing
    if (!this.connected || this.outbox.size === 0) return Promise.resolve()
    const run = async () => {
      while (this.connected && this.outbox.size > 0) {
        // A failed batch went back into the outbox: stop (the next connection or write sends it),
        // or the loop would take it out again at once, forever, while MQTT.js still counts as connected.
        if (!(await this.deliver(this.outbox.take(BATCH), this.opts.qos, this.opts.retain))) break
      }
    }
    // Only this loop's end clears `flushing` (a second call joins it meanwhile), so it is always this loop's here.
    const flushing = run().finally(() => {
      this.flushing = undefined
    })
    this.flushing = flushing
    return flushing
  }

  /** Resolves once what waits is published (or the connection is down): for tests and benchmarks. */
  drain(): Promise<void> {
    return this.flush()
  }

  /**
   * The one place messages go to the broker. Resolves once MQTT.js confirmed each (written for
   * QoS 0, acknowledged for 1 and 2) or the connection went away; what failed goes back into the
   * outbox unless something newer for its topic is already there. True when all went out.
   */
  private deliver(batch: [string, string][], qos: 0 | 1 | 2, retain: boolean): Promise<boolean> {
    const client = this.client
    if (!client || batch.length === 0) return Promise.resolve(true)
    let failed = false
    return new Promise<boolean>((done) => {
      const waiter: Waiter = {
        left: batch.length,
        done: () => {
          this.waiters.delete(waiter)
          done(!failed)
        },
      }
      this.waiters.add(waiter)
      for (const [topic, payload] of batch) {
        // An empty retained payload deletes the retained message (a removed value or entity).
        // Discovery configs are retained whatever `retain` says, so Home Assistant finds them after its restart.
        const keep = retain || payload === "" || this.configTopics.has(topic)
        client.publish(topic, payload, { qos, retain: keep }, (error) => {
          if (error) {
            failed = true
            if (!this.stopped) {
              const dropped = this.outbox.putBack(topic, payload)
              if (dropped) this.drop(dropped, "the buffer is full")
            }
          } else {
            this.published++
          }
          if (--waiter.left === 0) waiter.done()
        })
      }
    })
  }

  private onConnect(): void {
    const client = this.client
    if (!client || this.stopped) return
    this.connected = true
    this.connections++
    if (this.failures > 0 && this.problem !== undefined) {
      const dropped = this.droppedWhileDown ? `, ${this.droppedWhileDown} dropped meanwhile` : ""
      this.ctx.log.info(`${this.target}: connected again; sending ${this.outbox.size} buffered topic(s)${dropped}`)
    }
    this.failures = 0
    this.problem = undefined
    this.dropLogged = false
    this.droppedWhileDown = 0
    void this.deliver([[this.statusTopic, "online"]], 1, true)
    if (this.opts.hassAutodiscovery) {
      client.subscribe(`${this.opts.discoveryPrefix}/status`, { qos: 0 }, () => {})
    }
    // The broker may have restarted without its retained messages: everything current goes again.
    this.requeueDiscovery()
    for (const topics of this.bySource.values()) for (const [topic, payload] of topics) this.outbox.offer(topic, payload)
    void this.flush()
  }

  private requeueDiscovery(): void {
    for (const entry of this.discovery.values()) this.outbox.offer(entry.configTopic, entry.payload)
  }

  /** Home Assistant's birth message (`<prefix>/status` = `online`): it (re)started and needs the configs again. */
  private onMessage(topic: string, payload: Buffer): void {
    if (this.stopped || topic !== `${this.opts.discoveryPrefix}/status`) return
    if (payload.toString("utf8") !== "online") return
    this.ctx.log.debug(`${this.target}: Home Assistant is online; sending ${this.discovery.size} discovery config(s) again`)
    this.requeueDiscovery()
    void this.flush()
  }

  private onError(error: Error): void {
    if (this.stopped) return
    this.report(error)
  }

  /** Logs a connection problem once (warn; a refused login as error); the same again only at debug. */
  private report(error: unknown): void {
    const { text, auth } = describeMqttError(error)
    const message = `${this.target}: ${text}; keeping the newest value of up to ${this.opts.bufferSize} topics, retrying`
    if (this.problem === text) return this.ctx.log.debug(message)
    this.problem = text
    if (auth) this.ctx.log.error(message)
    else this.ctx.log.warn(message)
  }

  private onClose(): void {
    const wasConnected = this.connected
    this.connected = false
    // What is waiting for a confirmation will not get one on this connection.
    for (const waiter of this.waiters) waiter.done()
    this.waiters.clear()
    if (this.stopped) return
    if (wasConnected) {
      // An outage begins: its first drop is logged, and "dropped meanwhile" counts from here.
      this.dropLogged = false
      this.droppedWhileDown = 0
    }
    this.failures++
    if (wasConnected && this.problem === undefined) {
      this.problem = "connection lost"
      this.ctx.log.warn(`${this.target}: the connection was lost; reconnecting (${this.outbox.size} topic(s) to send)`)
    }
    if (this.stopping) return
    clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined
      this.reconnect()
    }, backoffMs(this.failures))
  }

  private reconnect(): void {
    const client = this.client
    if (!client || this.stopped || this.connected) return
    client.reconnect()
  }

  /** Counts dropped messages; logs the first drop of an outage, not one line per tick. */
  private drop(count: number, why: string): void {
    this.ctx.selfMetrics.count("pollect_points_dropped_total", { writer: "Mqtt" }, count)
    this.droppedWhileDown += count
    const message = `${this.target}: dropped ${count} message(s): ${why}`
    if (this.dropLogged && !this.stopped) return this.ctx.log.debug(message)
    this.dropLogged = true
    this.ctx.log.warn(message + (this.stopped ? "" : " (further drops are counted in pollect_points_dropped_total)"))
  }
}
