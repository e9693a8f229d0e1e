/**
 * `RemoteWrite`: pushes every source's values to a Prometheus remote_write 1.0 receiver
 * (Prometheus with `--web.enable-remote-write-receiver`, Mimir, Thanos receive, Cortex,
 * VictoriaMetrics, Grafana Cloud, ...): a protobuf WriteRequest (write-request.ts), snappy
 * block-compressed (snappy.ts), POSTed with the protocol's headers.
 *
 * Series are named exactly as the Prometheus writer exposes them for the same `names`
 * (series.ts); a series a source stops reporting gets a staleness marker. Every request body goes
 * into the durable queue first and one loop delivers the queue oldest first (lib/queue): an
 * outage, a restart or a SIGKILL loses nothing acknowledged to the queue and never reorders a
 * series (Prometheus refuses an older sample than the newest it has: "out of order").
 */
import { resolve } from "node:path"
import { errorMessage, registerSecret, resultTimeMs, Writer, v, version, type SourceResult, type WriterContext } from "../../api.ts"
import { Delivery, httpOutcome, type SendOutcome } from "../../lib/queue/delivery.ts"
import { openQueue } from "../../lib/queue/queue-option.ts"
import { options, type RemoteWriteOptions } from "./options.ts"
import { SeriesTracker, type SampleSink } from "./series.ts"
import { snappyCompress } from "./snappy.ts"
import { WriteRequestEncoder } from "./write-request.ts"

export type { RemoteWriteOptions } from "./options.ts"

/** Delivery timing; tests shorten it. */
export interface RemoteWriteTiming {
  backoffMinMs: number
  backoffMaxMs: number
  /** How long stop() keeps sending what is queued. */
  stopGraceMs: number
}

const DEFAULT_TIMING: RemoteWriteTiming = { backoffMinMs: 1000, backoffMaxMs: 60_000, stopGraceMs: 5000 }

type FetchTls = { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean }

export class RemoteWriteWriter extends Writer<RemoteWriteOptions> {
  static override readonly options = options
  /** Gets each source's result as it lands, and failures: a failing source's series are marked stale. */
  override readonly partial = true

  /** The URL posted to, without credentials. */
  readonly url: string
  /** The URL for logs (userinfo masked). */
  readonly target: string
  private readonly opts: RemoteWriteOptions
  private readonly headers: Record<string, string>
  private readonly timing: RemoteWriteTiming
  private readonly tracker: SeriesTracker
  private readonly encoder = new WriteRequestEncoder()
  private readonly table = new Int32Array(1 << 14)
  private readonly sink: SampleSink
  private tlsOptions?: FetchTls
  private delivery?: Delivery
  private stopped = false
  private credentialsProblem?: string

  constructor(config: RemoteWriteOptions & { type: string }, ctx: WriterContext, timing: Partial<RemoteWriteTiming> = {}) {
    super(config, ctx)
    const opts = (this.opts = v.parse(options, config))
    this.timing = { ...DEFAULT_TIMING, ...timing }
    const parsed = new URL(opts.url)
    let basic = opts.basicAuth
    if (parsed.username || parsed.password) {
      const user = decodeURIComponent(parsed.username)
      const password = decodeURIComponent(parsed.password)
      registerSecret(parsed.password)
      registerSecret(password)
      if (basic) this.credentialsProblem = "credentials both in the url and in basicAuth: keep one"
      basic ??= { user, password }
      parsed.username = ""
      parsed.password = ""
    }
    this.url = parsed.href
    this.target = maskUserinfo(opts.url)
    this.headers = {
      ...opts.headers,
      "Content-Encoding": "snappy",
      "Content-Type": "application/x-protobuf",
      "X-Prometheus-Remote-Write-Version": "0.1.0",
      "User-Agent": `pollect/${version}`,
    }
    for (const value of Object.values(opts.headers ?? {})) registerSecret(value)
    if (basic && opts.bearerToken) this.credentialsProblem = "basicAuth and bearerToken both set: use one"
    if (basic) {
      registerSecret(basic.password)
      const token = Buffer.from(`${basic.user}:${basic.password}`).toString("base64")
      registerSecret(token)
      this.headers.Authorization = `Basic ${token}`
    } else if (opts.bearerToken) {
      registerSecret(opts.bearerToken)
      this.headers.Authorization = `Bearer ${opts.bearerToken}`
    }
    this.tracker = new SeriesTracker(opts.names, opts.labels, (message) => ctx.log.warn(message))
    const encoder = this.encoder
    this.sink = {
      sample: (labels, value, timeMs) => {
        encoder.add(labels, value, timeMs)
        if (encoder.samples >= opts.batchSize) this.flush()
      },
      stale: (labels, timeMs) => {
        encoder.addStale(labels, timeMs)
        if (encoder.samples >= opts.batchSize) this.flush()
      },
    }
  }

  /** Reads the TLS files and opens the queue; a receiver that is down is no reason not to start (the queue covers it). */
  override async start(): Promise<void> {
    if (this.delivery || this.stopped) return
    if (this.credentialsProblem) throw new Error(`RemoteWrite: ${this.credentialsProblem}`)
    const tls = this.opts.tls
    if (tls) {
      const read = async (file: string | undefined, what: string) => {
        if (!file) return undefined
        const path = resolve(this.ctx.configDir, file)
        try {
          return await Bun.file(path).text()
        } catch (error) {
          throw new Error(`cannot read the TLS ${what} ${path}: ${errorMessage(error)}`)
        }
      }
      if (!tls.cert !== !tls.key) throw new Error("RemoteWrite: tls.cert and tls.key go together (a client certificate needs its key)")
      this.tlsOptions = {
        ca: await read(tls.ca, "CA file"),
        cert: await read(tls.cert, "certificate"),
        key: await read(tls.key, "key"),
        rejectUnauthorized: tls.verify ?? true,
      }
    }
    const queue = openQueue(this.opts.queue, { ctx: this.ctx, writer: "RemoteWrite", destination: this.url })
    this.delivery = new Delivery({
      writer: "RemoteWrite",
      target: this.target,
      queue,
      log: this.ctx.log,
      selfMetrics: this.ctx.selfMetrics,
      timeoutMs: this.opts.timeout * 1000,
      backoff: { minMs: this.timing.backoffMinMs, maxMs: this.timing.backoffMaxMs },
      send: (body, signal) => this.send(body, signal),
    })
    this.ctx.log.info(`pushing to ${this.target} (names: ${this.opts.names})`)
  }

  override write(results: SourceResult[]): void {
    if (this.stopped || !this.delivery) return
    for (const result of results) this.tracker.apply(result, resultTimeMs(result), this.sink)
    this.flush()
  }

  /** Sends what is queued for a few seconds; the rest stays in the queue for the next start. */
  override async stop(): Promise<void> {
    this.stopped = true
    await this.delivery?.stop(this.timing.stopGraceMs)
  }

  /** True while requests wait in the queue. */
  get pending(): boolean {
    return this.delivery?.pending ?? false
  }

  /** Series whose staleness is tracked. */
  get series(): number {
    return this.tracker.size
  }

  /** Compresses the request built so far and queues it. */
  private flush(): void {
    const samples = this.encoder.samples
    if (!samples || !this.delivery) return
    const body = snappyCompress(this.encoder.bytes(), this.table)
    this.encoder.reset()
    this.delivery.enqueue(body, samples)
  }

  private async send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome> {
    const response = await fetch(this.url, {
      method: "POST",
      body,
      headers: this.headers,
      signal,
      tls: this.tlsOptions,
      redirect: "manual",
    })
    const outcome = await httpOutcome(response)
    if (!outcome.ok && !outcome.retry && (response.status === 401 || response.status === 403))
      return { ...outcome, why: `${outcome.why} (the receiver refuses the credentials: check basicAuth, bearerToken or headers)` }
    return outcome
  }
}

/** `https://user:pass@host/x` → `https://***@host/x`; anything else as it is. */
export function maskUserinfo(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@")
}
