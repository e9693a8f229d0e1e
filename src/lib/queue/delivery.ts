/**
 * The one delivery loop of the push writers (RemoteWrite, InfluxDB, Otel): every encoded batch
 * goes into the writer's queue first, and one loop sends the queue's head, oldest first, one
 * request at a time, acknowledging only what the store accepted. So an outage, a restart or a
 * SIGKILL never reorders or loses what the queue holds (stores such as Prometheus refuse a sample
 * older than the newest of its series: oldest first is a must).
 *
 * Outcomes of a send: accepted (ack); retry (5xx, 429, a refused connection: wait with backoff,
 * honouring Retry-After, then the same batch again); rejected (other 4xx: the batch can never be
 * accepted, so it is dropped, counted, and logged once per distinct reason).
 *
 * @example
 * const delivery = new Delivery({ writer: "InfluxDB", target: url, queue, log, selfMetrics,
 *   send: async (body, signal) => httpOutcome(await fetch(url, { method: "POST", body, signal })) })
 * delivery.enqueue(encode(points), points.length)
 */
import type { Logger, SelfMetrics, WriterStatus } from "../../api.ts"
import { errorMessage } from "../../api.ts"
import { bodyExcerpt } from "../util/bounded-body.ts"
import type { BatchQueue } from "./batch-queue.ts"

export type SendOutcome =
  | { readonly ok: true }
  /** Worth trying again later (`afterMs`: the server's Retry-After). */
  | { readonly ok: false; readonly retry: true; readonly why: string; readonly afterMs?: number }
  /** Never acceptable as it is: dropped. */
  | { readonly ok: false; readonly retry: false; readonly why: string }

export interface DeliveryOptions {
  /** The writer's type, the `writer` label of the self-metrics. */
  writer: string
  /** Where it sends (credentials masked), the prefix of its log lines. */
  target: string
  queue: BatchQueue
  /** Sends one batch; a throw counts as a retryable failure (a refused connection, a timeout). */
  send: (payload: Uint8Array, signal: AbortSignal) => Promise<SendOutcome>
  log: Logger
  selfMetrics: SelfMetrics
  /** ms one request may take; default 10 s. */
  timeoutMs?: number
  /** Backoff between retries: doubling from minMs to maxMs (defaults 1 s and 60 s), with jitter. */
  backoff?: { minMs: number; maxMs: number }
}

export class Delivery {
  private running = false
  private stopping = false
  private timer: ReturnType<typeof setTimeout> | null = null
  private failures = 0
  /** Reasons of rejected batches already logged (bounded: a user's store could say anything). */
  private readonly rejectedLogged = new Set<string>()
  private inFlight: AbortController | null = null
  private idle: Promise<void> = Promise.resolve()
  private readonly labels: { writer: string }
  private lastError: string | undefined

  constructor(private readonly options: DeliveryOptions) {
    this.labels = { writer: options.writer }
    this.reportQueue()
    // What a previous run left queued goes first.
    if (!options.queue.empty) {
      const { points, batches } = options.queue.stats()
      options.log.info(`${options.target}: ${points} point(s) in ${batches} batch(es) queued from before; sending them first`)
      this.kick()
    }
  }

  /** Queues a batch (durably, when the queue is on disk) and wakes the loop. */
  enqueue(payload: Uint8Array, points: number): void {
    if (this.stopping) return
    this.options.queue.append(payload, points)
    this.reportQueue()
    this.kick()
  }

  /** For the writer's status(): retrying while the store fails, with its last answer. */
  status(): WriterStatus {
    if (this.stopping) return { state: "stopped", detail: this.options.target }
    return { state: this.failures ? "retrying" : "ok", detail: this.options.target, lastError: this.lastError }
  }

  /** True while batches wait (an outage, a backlog). */
  get pending(): boolean {
    return !this.options.queue.empty
  }

  /**
   * Sends what it can within `graceMs`, then closes the queue. A durable queue keeps the rest for
   * the next start; a memory queue's rest is counted as dropped.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    // One more pass unless the store is known to be down.
    if (!this.running && this.failures === 0 && this.pending) this.idle = this.pump()
    const stopped = Bun.sleep(graceMs).then(() => this.inFlight?.abort())
    await Promise.race([this.idle, stopped])
    const { points, batches, segments } = this.options.queue.stats()
    if (points) {
      if (segments > 0) this.options.log.info(`${this.options.target}: ${points} point(s) stay queued for the next start`)
      else this.drop(points, `pollect stopped before the store took them (${batches} batch(es))`)
    }
    this.reportQueue()
    this.options.queue.close()
  }

  private kick(): void {
    if (this.running || this.timer || this.stopping) return
    this.idle = this.pump()
  }

  private async pump(): Promise<void> {
    this.running = true
    try {
      for (;;) {
        const [batch] = this.options.queue.peek(1)
        if (!batch) return
        const outcome = await this.sendOne(batch.payload)
        if (outcome.ok) {
          this.options.queue.ack(batch)
          this.options.selfMetrics.count("pollect_points_sent_total", this.labels, batch.points)
          if (this.failures) {
            const left = this.options.queue.stats().points
            this.options.log.info(`${this.options.target}: the store answers again; ${left} queued point(s) left to send`)
          }
          this.failures = 0
        } else if (outcome.retry) {
          this.failures++
          this.lastError = outcome.why
          this.options.selfMetrics.count("pollect_push_retries_total", this.labels)
          const delay = this.delay(outcome.afterMs)
          const message = `${this.options.target}: ${outcome.why}; ${this.options.queue.stats().points} point(s) queued, retrying in ${(delay / 1000).toFixed(1)} s`
          if (this.failures === 1) this.options.log.warn(message)
          else this.options.log.debug(message)
          if (!this.stopping) this.timer = setTimeout(() => ((this.timer = null), this.kick()), delay)
          return
        } else {
          this.options.queue.ack(batch)
          this.lastError = `rejected: ${outcome.why}`
          this.drop(batch.points, outcome.why)
          if (!this.rejectedLogged.has(outcome.why) && this.rejectedLogged.size < 32) {
            this.rejectedLogged.add(outcome.why)
            this.options.log.error(
              `${this.options.target}: the store rejected ${batch.points} point(s): ${outcome.why} (not retried; counted in pollect_points_dropped_total)`,
            )
          }
        }
        this.reportQueue()
      }
    } finally {
      this.running = false
      this.reportQueue()
    }
  }

  private async sendOne(payload: Uint8Array): Promise<SendOutcome> {
    const controller = new AbortController()
    this.inFlight = controller
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 10_000)
    try {
      return await this.options.send(payload, controller.signal)
    } catch (error) {
      const why = controller.signal.aborted
        ? `no answer within ${((this.options.timeoutMs ?? 10_000) / 1000).toFixed(1)} s`
        : errorMessage(error)
      return { ok: false, retry: true, why }
    } finally {
      clearTimeout(timer)
      this.inFlight = null
    }
  }

  /** The wait before the next try (see retryDelayMs). */
  private delay(afterMs?: number): number {
    return retryDelayMs(this.failures, this.options.backoff ?? { minMs: 1000, maxMs: 60_000 }, afterMs)
  }

  private drop(points: number, reason: string): void {
    this.options.selfMetrics.count("pollect_points_dropped_total", this.labels, points)
    this.options.log.debug(`${this.options.target}: dropped ${points} point(s): ${reason}`)
  }

  private reportQueue(): void {
    const { bytes, points } = this.options.queue.stats()
    this.options.selfMetrics.set("pollect_queue_bytes", this.labels, bytes)
    this.options.selfMetrics.set("pollect_queue_points", this.labels, points)
  }
}

/**
 * The wait before try `failures + 1`: the server's Retry-After when given (at least minMs, at
 * most 5 minutes or maxMs if longer), else doubling from minMs up to maxMs, with ±25 % jitter.
 */
export function retryDelayMs(
  failures: number,
  { minMs, maxMs }: { minMs: number; maxMs: number },
  afterMs?: number,
  random: () => number = Math.random,
): number {
  // The server knows best, up to 5 minutes (a store saying "in a day" would stall the queue).
  if (afterMs !== undefined && Number.isFinite(afterMs)) return Math.min(Math.max(afterMs, minMs), Math.max(maxMs, 300_000))
  const base = Math.min(minMs * 2 ** Math.min(failures - 1, 20), maxMs)
  return base * (0.75 + random() * 0.5)
}

/**
 * The outcome of an HTTP answer, as push stores mean it: 2xx accepted; 429 and 5xx retry
 * (with Retry-After in seconds or as a date); any other status rejected, with the status and
 * the first bytes of the body the store explains itself with.
 */
export async function httpOutcome(response: Response, now = Date.now()): Promise<SendOutcome> {
  if (response.ok) {
    await response.body?.cancel()
    return { ok: true }
  }
  const body = await bodyExcerpt(response, 300)
  const why = `HTTP ${response.status}${body ? `: ${body}` : ""}`
  if (response.status === 429 || response.status >= 500)
    return { ok: false, retry: true, why, afterMs: retryAfterMs(response.headers.get("retry-after"), now) }
  return { ok: false, retry: false, why }
}

/** Retry-After as ms from `now`: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined
  const text = header.trim()
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}
