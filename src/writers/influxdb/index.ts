/**
 * `InfluxDB`: writes every tick as line protocol to InfluxDB 1.x (`/write?db=`), InfluxDB 2.x
 * (`/api/v2/write?org=&bucket=`) or anything that takes it (VictoriaMetrics' `/write`).
 *
 * write() encodes the tick into request bodies (gzip by default) and appends them to the durable
 * queue (docs/queue.md); one delivery loop sends them oldest first, so an outage, a restart or a
 * SIGKILL loses nothing the queue took. A missing database keeps the points queued with a message
 * saying how to create it; wrong credentials and refused data are dropped and counted.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"
import { errorMessage, registerSecret, Writer, v, type SourceResult, type WriterContext, type WriterStatus } from "../../api.ts"
import type { BatchQueue } from "../../lib/queue/batch-queue.ts"
import { Delivery, httpOutcome, type SendOutcome } from "../../lib/queue/delivery.ts"
import { openQueue } from "../../lib/queue/queue-option.ts"
import { batches, encodeResults } from "./encode.ts"
import { type InfluxDBOptions, options } from "./options.ts"
import { createDatabaseStatement, influxOutcome, resolveTarget, type Target } from "./target.ts"
import { bodyExcerpt } from "../../lib/util/bounded-body.ts"

export type { InfluxDBOptions } from "./options.ts"

const STOP_GRACE_MS = 5000

export class InfluxDBWriter extends Writer<InfluxDBOptions> {
  static override readonly options = options

  private readonly opts: InfluxDBOptions
  private readonly target: Target | undefined
  private readonly problem: string | undefined
  private queue: BatchQueue | undefined
  private delivery: Delivery | undefined
  private tls: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } | undefined
  private stopped = false
  private failing = false
  private lastError: string | undefined
  /** Reasons logged as errors already (a missing database: once, not per retry). */
  private readonly errorsLogged = new Set<string>()
  /** Requests the store accepted. */
  requests = 0

  constructor(config: InfluxDBOptions & { type: string }, ctx: WriterContext) {
    super(config, ctx)
    this.opts = v.parse(options, config)
    const target = resolveTarget(this.opts)
    if ("problem" in target) this.problem = target.problem
    else {
      this.target = target
      for (const secret of target.secrets) registerSecret(secret)
    }
  }

  /** `http://influxdb:8086 db=pollect` for messages. */
  get display(): string {
    const t = this.target
    if (!t) return "InfluxDB"
    return t.version === 1 ? `${t.display} (db ${this.opts.database})` : `${t.display} (bucket ${this.opts.bucket})`
  }

  /** Opens the queue and the delivery loop; a wrong option stops pollect at start with the reason. */
  override async start(): Promise<void> {
    if (this.delivery || this.stopped) return
    const target = this.target
    if (!target) throw new Error(`InfluxDB: ${this.problem}`)
    const tls = this.opts.tls
    if (tls) {
      const read = (file: string | undefined, what: string) => {
        if (!file) return undefined
        const path = resolve(this.ctx.configDir, file)
        try {
          return readFileSync(path, "utf8")
        } catch (error) {
          throw new Error(`InfluxDB: cannot read the TLS ${what} ${path}: ${(error as { code?: string }).code ?? errorMessage(error)}`)
        }
      }
      this.tls = { ca: read(tls.ca, "CA"), cert: read(tls.cert, "certificate"), key: read(tls.key, "key"), rejectUnauthorized: tls.verify }
    }
    this.queue = openQueue(this.opts.queue, { ctx: this.ctx, writer: "InfluxDB", destination: target.writeUrl })
    // At most 2 s of start-up for it: an unreachable InfluxDB must not hold pollect's start (a
    // write that finds the database missing tries again).
    if (this.opts.createDatabase && target.version === 1) {
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([this.createDatabase(), new Promise((done) => (timer = setTimeout(done, 2000)))])
      clearTimeout(timer)
    }
    this.delivery = new Delivery({
      writer: "InfluxDB",
      target: this.display,
      queue: this.queue,
      log: this.ctx.log,
      selfMetrics: this.ctx.selfMetrics,
      timeoutMs: this.opts.timeout * 1000,
      send: (payload, signal) => this.send(payload, signal),
    })
  }

  override write(results: SourceResult[]): void {
    const delivery = this.delivery
    if (this.stopped || !delivery) return
    const { lines, invalid } = encodeResults(results, { precision: this.opts.precision, tags: this.opts.tags })
    if (invalid) this.ctx.selfMetrics.count("pollect_points_invalid_total", { writer: "InfluxDB" }, invalid)
    const gzip = this.opts.gzip
    for (const batch of batches(lines, this.opts.batchSize)) {
      const bytes = Buffer.from(batch.body)
      delivery.enqueue(gzip ? Bun.gzipSync(bytes, { level: 1 }) : bytes, batch.points)
    }
  }

  /** Sends what it can for a few seconds; the rest stays queued on disk for the next start. */
  override async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.delivery?.stop(STOP_GRACE_MS)
    // A start that failed after opening the queue.
    if (!this.delivery) this.queue?.close()
  }

  override status(): WriterStatus {
    const state = this.stopped ? "stopped" : this.failing ? "retrying" : this.delivery ? "ok" : "connecting"
    return { state, detail: this.display, lastError: this.lastError }
  }

  /** One request; the body is gzip when it starts with gzip's magic bytes (what a queue from another run holds too). */
  private async send(payload: Uint8Array, signal: AbortSignal): Promise<SendOutcome> {
    const target = this.target!
    const headers: Record<string, string> = { ...target.headers, "content-type": "text/plain; charset=utf-8" }
    if (payload[0] === 0x1f && payload[1] === 0x8b) headers["content-encoding"] = "gzip"
    let outcome: SendOutcome
    try {
      const response = await fetch(target.writeUrl, { method: "POST", body: payload, headers, signal, tls: this.tls })
      outcome = await this.outcome(response)
    } catch (error) {
      outcome = { ok: false, retry: true, why: signal.aborted ? "no answer in time" : errorMessage(error) }
    }
    this.failing = !outcome.ok && outcome.retry
    if (outcome.ok) this.requests++
    else {
      this.lastError = outcome.why
      // Delivery warns once per outage; a missing database or refused credentials is a config
      // problem the user must act on: an error line, once per reason.
      if (/does not exist|credentials/.test(outcome.why) && !this.errorsLogged.has(outcome.why) && this.errorsLogged.size < 16) {
        this.errorsLogged.add(outcome.why)
        this.ctx.log.error(`${this.display}: ${outcome.why}`)
      }
    }
    return outcome
  }

  private async outcome(response: Response): Promise<SendOutcome> {
    const status = response.status
    if (status !== 401 && status !== 403 && status !== 404) return httpOutcome(response)
    const body = await bodyExcerpt(response, 200)
    const target = this.target!
    if (status === 404 && target.version === 1 && !/database not found/i.test(body)) {
      return { ok: false, retry: true, why: `HTTP 404 from ${target.writeUrl}: check url (is it InfluxDB's base URL?)` }
    }
    const outcome = influxOutcome(status, body, { database: this.opts.database, bucket: this.opts.bucket, version: target.version })!
    if (status === 404 && this.opts.createDatabase && target.version === 1 && (await this.createDatabase())) {
      return { ok: false, retry: true, why: `database "${this.opts.database}" was missing and is created now`, afterMs: 0 }
    }
    return outcome
  }

  /** `CREATE DATABASE` through `/query` (idempotent in InfluxDB 1.x); true when it worked. */
  private async createDatabase(): Promise<boolean> {
    const target = this.target!
    const statement = createDatabaseStatement(this.opts.database!)
    try {
      const response = await fetch(`${target.base}/query`, {
        method: "POST",
        body: new URLSearchParams({ q: statement }),
        headers: target.headers,
        signal: AbortSignal.timeout(this.opts.timeout * 1000),
        tls: this.tls,
      })
      const body = await bodyExcerpt(response, 200)
      if (response.ok && !/"error"/.test(body)) {
        this.ctx.log.info(`${this.display}: ${statement} done`)
        return true
      }
      this.ctx.log.warn(`${this.display}: ${statement} failed: HTTP ${response.status} ${body}`)
    } catch (error) {
      this.ctx.log.warn(`${this.display}: ${statement} failed: ${errorMessage(error)} (tried again when a write finds it missing)`)
    }
    return false
  }
}
