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
import * as v from "valibot"
import { errorMessage, registerSecret, resultTimeMs, Writer, version, type SourceResult, type WriterContext } from "../../api.ts"
import { Delivery, httpOutcome, type SendOutcome } from "../../lib/queue/delivery.ts"
import { openQueue, queueField } from "../../lib/queue/queue-option.ts"
import { SeriesTracker, type SampleSink } from "./series.ts"
import { snappyCompress } from "./snappy.ts"
import { WriteRequestEncoder } from "./write-request.ts"

const labelName = v.pipe(v.string(), v.regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"))

const options = v.object({
  url: v.pipe(
    v.string(),
    v.url(),
    v.regex(/^https?:\/\//i, "must be an http:// or https:// URL"),
    v.description(
      "The receiver's remote_write endpoint: `http://prometheus:9090/api/v1/write` (Prometheus started with `--web.enable-remote-write-receiver`), VictoriaMetrics' `http://vm:8428/api/v1/write`, ...",
    ),
  ),
  basicAuth: v.optional(
    v.pipe(
      v.object({
        user: v.pipe(v.string(), v.nonEmpty(), v.description("The user name.")),
        password: v.pipe(v.string(), v.description("Its password (`${ENV}` works); never logged.")),
      }),
      v.description("HTTP basic auth. Credentials in the URL (`http://user:pass@host/...`) are used the same way."),
    ),
  ),
  bearerToken: v.optional(
    v.pipe(
      v.string(),
      v.nonEmpty(),
      v.description("Sent as `Authorization: Bearer <token>`; never logged. Not together with `basicAuth`."),
    ),
  ),
  headers: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name")), v.string()),
      v.maxEntries(64),
      v.description("More HTTP headers for every request (`X-Scope-OrgID` for Mimir/Cortex tenants, ...); their values are never logged."),
    ),
  ),
  tls: v.optional(
    v.pipe(
      v.object({
        ca: v.optional(
          v.pipe(
            v.string(),
            v.nonEmpty(),
            v.description("CA certificate(s), PEM, that the receiver's certificate must chain to; relative to the config file's folder."),
          ),
        ),
        cert: v.optional(
          v.pipe(v.string(), v.nonEmpty(), v.description("Client certificate, PEM (mutual TLS); relative to the config file's folder.")),
        ),
        key: v.optional(v.pipe(v.string(), v.nonEmpty(), v.description("Its private key, PEM; relative to the config file's folder."))),
        verify: v.optional(v.pipe(v.boolean(), v.description("`false` accepts any certificate (self-signed, wrong name): testing only."))),
      }),
      v.description("TLS settings for an `https://` URL."),
    ),
  ),
  names: v.optional(
    v.pipe(
      v.picklist(["snake_case", "pollect"]),
      v.description(
        "`snake_case`: conventional names (`pollect_load_avg`); `pollect`: the original pollect's names (`pollect_LoadAvg`). The same series the Prometheus writer exposes with this `names`.",
      ),
    ),
    "snake_case",
  ),
  labels: v.optional(
    v.pipe(
      v.record(labelName, v.string()),
      v.maxEntries(64),
      v.description(
        'Labels added to every series that lacks them, as Prometheus\' `external_labels` (`{"instance": "nas"}`); a scrape would add `instance` and `job`, a push does not.',
      ),
    ),
    {},
  ),
  batchSize: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000), v.description("Samples per request at most.")),
    2000,
  ),
  timeout: v.optional(
    v.pipe(v.number(), v.minValue(0.1), v.maxValue(600), v.description("Seconds one request may take before it is retried.")),
    30,
  ),
  queue: queueField,
})

export type RemoteWriteOptions = v.InferOutput<typeof options>

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
