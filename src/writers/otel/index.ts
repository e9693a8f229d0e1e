/**
 * `Otel`: exports every tick over OTLP/HTTP (protobuf or JSON) to an OpenTelemetry collector or
 * any OTLP endpoint, configured by the standard `OTEL_EXPORTER_OTLP_*` variables as every
 * OpenTelemetry SDK is (pollect 1.2 used the Python SDK's exporter), the writer's keys winning.
 *
 * Each value is one data point of the metric `collection.type[.name][.valueName]`; labels are
 * attributes; declared counters are cumulative monotonic sums, everything else gauges.
 * write() encodes each tick into requests of at most 8192 points and appends them to the writer's
 * queue (lib/queue: on disk by default); the one delivery loop of the push writers sends them,
 * oldest first, retrying what OTLP calls retryable (http-export.ts).
 */
import { hostname } from "node:os"
import { gzipSync } from "node:zlib"
import { registerSecret, Writer, v, version, type SourceResult, type WriterContext, type WriterStatus } from "../../api.ts"
import { Delivery, type SendOutcome } from "../../lib/queue/delivery.ts"
import { openQueue } from "../../lib/queue/queue-option.ts"
import { otlpOutcome } from "./http-export.ts"
import { encodeRequestJson } from "./json-encode.ts"
import { type OtelOptions, options } from "./options.ts"
import { displayUrl, resolveOtlpConfig, resourceAttributes, type Env, type OtlpConfig } from "./otlp-config.ts"
import { PointMaker, type Point } from "./points.ts"
import { encodeRequestProto, ReverseWriter, type RequestHead } from "./protobuf-encode.ts"

export type { OtelOptions } from "./options.ts"

/** Points per request at most (about 55 bytes each in protobuf: some 450 KB, well under a collector's 20 MiB default limit). */
export const BATCH_POINTS = 8192
/** Delivery timing; tests shorten it. */
export interface OtelTiming {
  backoffMinMs: number
  backoffMaxMs: number
  /** How long stop() keeps sending what is queued. */
  stopGraceMs: number
}

const DEFAULT_TIMING: OtelTiming = { backoffMinMs: 1000, backoffMaxMs: 60_000, stopGraceMs: 5000 }

export class OtelWriter extends Writer<OtelOptions> {
  static override readonly options = options

  /** The resolved endpoint, headers, protocol, ... (environment and keys). */
  readonly otlp: OtlpConfig
  readonly head: RequestHead
  /** The endpoint for logs: no user info, no query. */
  readonly target: string
  private readonly opts: OtelOptions
  private readonly timing: OtelTiming
  private readonly maker = new PointMaker()
  private readonly proto = new ReverseWriter()
  private readonly headers: Record<string, string>
  private delivery?: Delivery
  private stopped = false

  /**
   * @param env the environment the `OTEL_*` variables are read from (default `process.env`).
   * @param timing delivery timing (tests shorten it).
   */
  constructor(config: OtelOptions & { type: string }, ctx: WriterContext, env: Env = process.env, timing: Partial<OtelTiming> = {}) {
    super(config, ctx)
    const opts = (this.opts = v.parse(options, config))
    this.timing = { ...DEFAULT_TIMING, ...timing }
    this.otlp = resolveOtlpConfig(opts, env)
    for (const warning of this.otlp.warnings) ctx.log.warn(warning)
    // Header values are credentials (an API key, a bearer token) wherever they came from.
    for (const value of Object.values(this.otlp.headers)) registerSecret(value)
    const resource = resourceAttributes(this.otlp.resource, version, hostname())
    this.head = { resource: Object.entries(resource).flat(), scopeName: "pollect", scopeVersion: version }
    this.target = displayUrl(this.otlp.url)
    const json = this.otlp.protocol === "http/json"
    this.headers = {
      ...this.otlp.headers,
      "content-type": json ? "application/json" : "application/x-protobuf",
      "user-agent": `pollect/${version}`,
    }
    if (this.otlp.compression === "gzip") this.headers["content-encoding"] = "gzip"
  }

  /**
   * Refuses what cannot work (gRPC, an endpoint that is no http(s) URL): pollect stops at start
   * with the reason. Opens the queue; a collector that is down is no reason not to start.
   */
  override start(): void {
    if (this.delivery || this.stopped) return
    if (this.otlp.problems.length) throw new Error(`Otel: ${this.otlp.problems.join("; ")}`)
    // Batches in the queue are encoded and compressed as configured: another protocol or compression is another queue.
    const destination = `${this.target} ${this.otlp.protocol} ${this.otlp.compression}`
    this.delivery = new Delivery({
      writer: "Otel",
      target: this.target,
      queue: openQueue(this.opts.queue, { ctx: this.ctx, writer: "Otel", destination }),
      log: this.ctx.log,
      selfMetrics: this.ctx.selfMetrics,
      timeoutMs: this.otlp.timeoutMs,
      backoff: { minMs: this.timing.backoffMinMs, maxMs: this.timing.backoffMaxMs },
      send: (body, signal) => this.send(body, signal),
    })
  }

  override write(results: SourceResult[]): void {
    if (this.stopped || !this.delivery) return
    const points: Point[] = []
    const invalid = this.maker.points(results, points)
    if (invalid) this.ctx.selfMetrics.count("pollect_points_invalid_total", { writer: "Otel" }, invalid)
    for (let i = 0; i < points.length; i += BATCH_POINTS) {
      const batch = points.slice(i, i + BATCH_POINTS)
      this.delivery.enqueue(this.encode(batch), batch.length)
    }
  }

  /** Sends what is queued for a few seconds; the rest stays in the queue for the next start (or is dropped, counted, with `queue: false`). */
  override async stop(): Promise<void> {
    this.stopped = true
    await this.delivery?.stop(this.timing.stopGraceMs)
  }

  override status(): WriterStatus {
    return this.delivery?.status() ?? { state: this.stopped ? "stopped" : "connecting", detail: this.target }
  }

  /** True while requests wait in the queue. */
  get pending(): boolean {
    return this.delivery?.pending ?? false
  }

  /** One request body for `points`: protobuf or JSON, gzipped when configured (a tick's request is small: well under a millisecond). */
  encode(points: readonly Point[]): Uint8Array {
    const body =
      this.otlp.protocol === "http/json" ? encodeRequestJson(this.head, points) : encodeRequestProto(this.proto, this.head, points).slice()
    return this.otlp.compression === "gzip" ? gzipSync(body, { level: 6 }) : body
  }

  private async send(body: Uint8Array, signal: AbortSignal): Promise<SendOutcome> {
    const response = await fetch(this.otlp.url, { method: "POST", headers: this.headers, body, signal, redirect: "manual" })
    return otlpOutcome(response)
  }
}
