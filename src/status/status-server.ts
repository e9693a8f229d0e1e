/**
 * Serves the status page (`/`) and its JSON (`/status.json`, `?history=1` adds each series' last
 * hour) with Bun.serve; optional TLS and bcrypt basic auth, as the Prometheus writer. Only GET and
 * HEAD; everything else is 404/405. Each request renders from the board's current state.
 */
import { resolve } from "node:path"
import { errorMessage, type Logger } from "../core/log.ts"
import { BasicAuth } from "../lib/protocols/basic-auth.ts"
import type { StatusDocument } from "./status-document.ts"
import type { StatusOptions } from "./status-options.ts"
import { renderStatusPage } from "./status-page.ts"

export interface StatusServerOptions {
  options: StatusOptions
  configDir: string
  log: Logger
  /** The current document; `history` asks for each series' last hour. */
  document: (history: boolean) => StatusDocument
}

export class StatusServer {
  private server: ReturnType<typeof Bun.serve> | undefined
  private readonly auth: BasicAuth | undefined

  constructor(private readonly spec: StatusServerOptions) {
    const { basicAuth } = spec.options
    this.auth = basicAuth ? new BasicAuth(basicAuth.user, basicAuth.passwordHash) : undefined
  }

  get port(): number {
    return this.server?.port ?? this.spec.options.port
  }

  get url(): string {
    const { host, tls } = this.spec.options
    const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host
    return `${tls ? "https" : "http"}://${shown.includes(":") ? `[${shown}]` : shown}:${this.port}/`
  }

  async start(): Promise<void> {
    const { port, host, tls } = this.spec.options
    let tlsOptions: { cert: string; key: string } | undefined
    if (tls) {
      const read = async (file: string, what: string) => {
        const path = resolve(this.spec.configDir, file)
        try {
          return await Bun.file(path).text()
        } catch (error) {
          throw new Error(`status: cannot read the TLS ${what} ${path}: ${errorMessage(error)}`)
        }
      }
      tlsOptions = { cert: await read(tls.certFile, "certificate"), key: await read(tls.keyFile, "key") }
    }
    try {
      this.server = Bun.serve({
        port,
        hostname: host,
        tls: tlsOptions,
        fetch: (request) =>
          this.handle(request).catch((error: unknown) => {
            this.spec.log.warn(`status page: ${errorMessage(error)}`)
            return new Response("internal error\n", { status: 500 })
          }),
      })
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === "EADDRINUSE" || /in use/i.test(errorMessage(error))) throw new Error(`status: port ${port} on ${host} is already in use`)
      throw new Error(`status: cannot listen on port ${port} on ${host}: ${errorMessage(error)}`)
    }
    this.spec.log.info(`status page at ${this.url}`)
  }

  async stop(): Promise<void> {
    await this.server?.stop(true)
    this.server = undefined
  }

  private async handle(request: Request): Promise<Response> {
    if (this.auth && !(await this.auth.check(request.headers.get("authorization"))))
      return new Response("Unauthorized\n", {
        status: 401,
        headers: { "WWW-Authenticate": 'Basic realm="pollect status", charset="UTF-8"' },
      })
    if (request.method !== "GET" && request.method !== "HEAD")
      return new Response("Method Not Allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } })
    const url = new URL(request.url)
    const common = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", Vary: "Accept-Encoding" }
    const gzip = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")
    /** The body, gzip-compressed when the client takes it and it is worth it (a page of many series shrinks ~10×). */
    const reply = (body: string, headers: Record<string, string>) =>
      gzip && body.length > 1024
        ? new Response(Bun.gzipSync(body), { headers: { ...common, ...headers, "Content-Encoding": "gzip" } })
        : new Response(body, { headers: { ...common, ...headers } })
    if (url.pathname === "/status.json") {
      return reply(JSON.stringify(this.spec.document(url.searchParams.get("history") === "1")), {
        "Content-Type": "application/json; charset=utf-8",
      })
    }
    if (url.pathname === "/") {
      return reply(renderStatusPage(this.spec.document(true)), {
        "Content-Type": "text/html; charset=utf-8",
        // Inline style only, no script, nothing from elsewhere.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'",
      })
    }
    return new Response("Not Found: the status page is at / and /status.json\n", { status: 404, headers: common })
  }
}
