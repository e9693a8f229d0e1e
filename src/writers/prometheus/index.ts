/**
 * `Prometheus`: serves the latest values of every source at `GET /metrics` (Bun.serve), with
 * the original pollect's metric names (`names: "pollect"`) or conventional ones
 * (`names: "snake_case"`). Each source's result replaces only that source's series as it lands
 * (see prometheus-series.ts); pollect's own metrics come from a prom-client Registry read at
 * scrape time. Optional TLS and bcrypt basic auth, as node_exporter's web config offers.
 * `/metrics` is gzip-compressed when the scraper asks for it (gzip.ts). A request that fails
 * (wrong credentials, unknown path, ...) is counted in `pollect_http_requests_failed_total`
 * by reason and logged only the first time per reason: whoever reaches the port cannot fill
 * the log.
 */
import { resolve } from "node:path"
import { Writer, errorMessage, type SourceResult, type WriterStatus, version } from "../../api.ts"
import { BasicAuth } from "../../lib/protocols/basic-auth.ts"
import { acceptsGzip, GzipBody } from "./gzip.ts"
import { options, type PrometheusOptions } from "./options.ts"
import { createSelfRegistry, PROM_CONTENT_TYPE, type SelfRegistry } from "./self-registry.ts"
import { SeriesStore } from "./series-store.ts"

export type { PrometheusOptions } from "./options.ts"

/** Requests answered with an error, by reason; see `failed()`. */
export const FAILED_REQUESTS = "pollect_http_requests_failed_total"
type FailReason = "unauthorized" | "not_found" | "method_not_allowed" | "bad_request" | "error"

export class PrometheusWriter extends Writer<PrometheusOptions> {
  static override readonly options = options
  override readonly partial = true

  /** Wall clock in ms, used to age out the values of failing sources; tests move it. */
  now: () => number = Date.now
  private readonly store: SeriesStore
  private readonly self: SelfRegistry
  private readonly auth?: BasicAuth
  private server?: ReturnType<typeof Bun.serve>
  private readonly gzip = new GzipBody()
  /** Failure reasons already logged once. */
  private readonly failLogged = new Set<FailReason>()

  constructor(config: PrometheusOptions & { type: string }, ctx: ConstructorParameters<typeof Writer>[1]) {
    super(config, ctx)
    this.self = createSelfRegistry(ctx.selfMetrics, version, { processMetrics: config.processMetrics })
    this.store = new SeriesStore(config.names, ctx.log, () => this.now())
    this.store.reserved = this.self.names
    if (config.basicAuth) this.auth = new BasicAuth(config.basicAuth.user, config.basicAuth.passwordHash)
  }

  override status(): WriterStatus {
    if (!this.server) return { state: "stopped", detail: `port ${this.config.port}` }
    const where = this.config.host ? this.url : `${this.config.tls ? "https" : "http"}://*:${this.port}`
    return { state: "ok", detail: `serving ${where}${this.config.path}` }
  }

  /** The port listened on (the chosen one when `port` is 0). */
  get port(): number {
    return this.server?.port ?? this.config.port
  }

  get url(): string {
    const host = this.config.host && this.config.host !== "0.0.0.0" && this.config.host !== "::" ? this.config.host : "127.0.0.1"
    return `${this.config.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${this.port}`
  }

  override async start(): Promise<void> {
    const { port, host, path, tls } = this.config
    let tlsOptions: { cert: string; key: string } | undefined
    if (tls) {
      const certPath = resolve(this.ctx.configDir, tls.certFile)
      const keyPath = resolve(this.ctx.configDir, tls.keyFile)
      const read = async (file: string, what: string) => {
        try {
          return await Bun.file(file).text()
        } catch (error) {
          throw new Error(`cannot read the TLS ${what} ${file}: ${errorMessage(error)}`)
        }
      }
      tlsOptions = { cert: await read(certPath, "certificate"), key: await read(keyPath, "key") }
    }
    try {
      this.server = Bun.serve({
        port,
        hostname: host,
        tls: tlsOptions,
        fetch: (request) => this.handle(request, path).catch((error: unknown) => this.internalError(error)),
        error: (error) => this.internalError(error),
      })
    } catch (error) {
      const text = errorMessage(error)
      const code = (error as { code?: string }).code
      if (code === "EADDRINUSE" || /in use/i.test(text))
        throw new Error(`port ${port} on ${host ?? "all addresses"} is already in use (another exporter or pollect running?)`)
      throw new Error(`cannot listen on port ${port} on ${host ?? "all addresses"}: ${text}`)
    }
    const where = host ? this.url : `${this.config.tls ? "https" : "http"}://*:${this.port}`
    this.ctx.log.info(`serving ${where}${path} (names: ${this.config.names})`)
  }

  override write(results: SourceResult[]): void {
    for (const result of results) this.store.apply(result)
  }

  override async stop(): Promise<void> {
    await this.server?.stop(true)
    this.server = undefined
  }

  /** The current exposition text: pollect's own metrics, then the sources'. */
  async metrics(): Promise<string> {
    return (await this.self.metrics()) + "\n" + this.store.text()
  }

  /**
   * The same text gzip-compressed. The sources' part is compressed once per change of the
   * series and kept, so scrapes of unchanged series (a second Prometheus, a scrape interval
   * shorter than the tick) compress only pollect's own few metrics.
   */
  async metricsGzip(): Promise<Uint8Array> {
    const head = (await this.self.metrics()) + "\n"
    const tail = this.store.text()
    return this.gzip.build(head, tail, this.store.version)
  }

  /** Times the sources' series were compressed (cache misses of metricsGzip()). */
  get gzipDeflations(): number {
    return this.gzip.deflations
  }

  private async handle(request: Request, path: string): Promise<Response> {
    if (this.auth && !(await this.auth.check(request.headers.get("authorization")))) {
      this.failed("unauthorized", "a request without valid basic-auth credentials got 401")
      return new Response("Unauthorized\n", { status: 401, headers: { "WWW-Authenticate": 'Basic realm="pollect", charset="UTF-8"' } })
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      this.failed("method_not_allowed", `a ${quoted(request.method)} request got 405 (only GET and HEAD are served)`)
      return new Response("Method Not Allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } })
    }
    const pathname = requestPath(request.url)
    if (pathname === undefined) {
      this.failed("bad_request", "a request with an unreadable target got 400")
      return new Response("Bad Request\n", { status: 400 })
    }
    if (pathname === path) {
      const headers = { "Content-Type": PROM_CONTENT_TYPE, Vary: "Accept-Encoding" }
      if (acceptsGzip(request.headers.get("accept-encoding")))
        return new Response(await this.metricsGzip(), { headers: { ...headers, "Content-Encoding": "gzip" } })
      return new Response(await this.metrics(), { headers })
    }
    if (pathname === "/") {
      const href = escapeHtml(path)
      const page = `<!doctype html>\n<html><head><title>pollect exporter</title></head><body><h1>pollect exporter</h1><p><a href="${href}">Metrics</a></p></body></html>\n`
      return new Response(page, { headers: { "Content-Type": "text/html; charset=utf-8" } })
    }
    this.failed("not_found", `a request for ${quoted(pathname)} got 404 (metrics are at ${path})`)
    return new Response("Not Found\n", { status: 404 })
  }

  private internalError(error: unknown): Response {
    this.failed("error", `a request failed: ${errorMessage(error)}`)
    return new Response("internal error\n", { status: 500 })
  }

  /** Counts a failed request; logs only the first of each reason (a client could send thousands). */
  private failed(reason: FailReason, message: string): void {
    this.ctx.selfMetrics.count(FAILED_REQUESTS, { reason })
    if (this.failLogged.has(reason)) return
    this.failLogged.add(reason)
    const line = `${message}; further ones are not logged, only counted in ${FAILED_REQUESTS}{reason="${reason}"}`
    if (reason === "error") this.ctx.log.error(line)
    else this.ctx.log.warn(line)
  }
}

/**
 * The path of a request target. An HTTP/1.0 request without `Host` reaches us as the bare
 * target (`/metrics`), which `new URL()` rejects: node_exporter serves it, so do we. The base
 * is glued on (not passed as `base`) so that `//x/metrics` stays a path, never a host.
 */
export function requestPath(target: string): string | undefined {
  try {
    return new URL(target.startsWith("/") ? "http://localhost" + target : target).pathname
  } catch {
    return undefined
  }
}

/** A client-chosen string for the log: quoted, control characters escaped, at most 100 characters. */
function quoted(text: string): string {
  return JSON.stringify(text.length > 100 ? text.slice(0, 100) + "…" : text)
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")
}
