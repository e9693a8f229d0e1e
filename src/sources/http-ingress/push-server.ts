/**
 * The push endpoint: any path; POST or PUT a JSON body (a Content-Type with `json`, as 1.2) or
 * the Prometheus text format (anything else, as a pushgateway); GET answers `{"status":
 * "alive"}` as 1.2 does. The token is checked before the body is read, the body is read up to
 * `maxBodyBytes` (413 beyond, from Content-Length before reading anything), and the whole push
 * is checked before it is applied.
 */
import { timingSafeEqual } from "node:crypto"
import type { Server } from "bun"
import { parseJsonBody } from "./json-body.ts"
import { PushError, type Update } from "./update.ts"
import { parseTextBody } from "./text-body.ts"
import type { MetricDefinition } from "./update.ts"

export interface PushServerOptions {
  host?: string
  port: number
  token?: string
  maxBodyBytes: number
  definitions: ReadonlyMap<string, MetricDefinition>
  /** Applies a checked push (throws a PushError to refuse it whole). */
  apply(updates: Update[]): void
  /** Called for every refused request (the source logs each reason once). */
  refused(error: PushError): void
}

/** Starts listening; throws an actionable error when the port is taken. */
export function startPushServer(options: PushServerOptions): Server<undefined> {
  const where = `port ${options.port} on ${options.host ?? "all addresses"}`
  try {
    return Bun.serve({
      port: options.port,
      hostname: options.host,
      // handle() refuses a large body itself, with the reply saying why; Bun's own limit (an
      // empty 413) stays a backstop above the largest maxBodyBytes.
      maxRequestBodySize: 128 * 1024 * 1024,
      fetch: (request) => handle(request, options),
      error: (error) => reply(500, { error: `internal error: ${error.message}` }),
    })
  } catch (error) {
    const text = (error as Error).message
    if ((error as { code?: string }).code === "EADDRINUSE" || /in use/i.test(text)) throw new Error(`${where} is already in use`)
    throw new Error(`cannot listen on ${where}: ${text}`)
  }
}

async function handle(request: Request, options: PushServerOptions): Promise<Response> {
  try {
    if (request.method === "GET" || request.method === "HEAD") return reply(200, { status: "alive" })
    if (request.method !== "POST" && request.method !== "PUT")
      throw new PushError(405, `method ${request.method} is not accepted; POST the metrics`, "method")
    if (options.token !== undefined && !bearerMatches(request.headers.get("authorization"), options.token))
      throw new PushError(401, "a valid Authorization: Bearer token is required", "token")
    const text = await readBody(request, options.maxBodyBytes)
    const json = (request.headers.get("content-type") ?? "").toLowerCase().includes("json")
    const updates = json ? parseJsonBody(text, options.definitions) : parseTextBody(text, options.definitions)
    options.apply(updates)
    return reply(200, { status: "metrics updated", series: updates.length })
  } catch (error) {
    if (!(error instanceof PushError)) throw error
    options.refused(error)
    const headers: Record<string, string> = error.status === 401 ? { "WWW-Authenticate": 'Bearer realm="pollect"' } : {}
    return reply(error.status, { error: error.message }, headers)
  }
}

/** The body as UTF-8 text, refused with 413 as soon as it exceeds `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<string> {
  const tooLarge = () => new PushError(413, `the body is larger than maxBodyBytes (${limit} bytes)`, "too large")
  const declared = Number(request.headers.get("content-length") ?? "NaN")
  if (declared > limit) throw tooLarge()
  if (!request.body) return ""
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    chunks.push(value)
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks))
  } catch {
    throw new PushError(400, "the body is not valid UTF-8", "encoding")
  }
}

/** `Bearer <token>` compared in constant time. */
export function bearerMatches(header: string | null, token: string): boolean {
  const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null
  if (!match) return false
  const given = Buffer.from(match[1]!)
  const wanted = Buffer.from(token)
  // Compare equal lengths only; a length difference is all a timing could tell.
  return given.length === wanted.length && timingSafeEqual(given, wanted)
}

function reply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers })
}
