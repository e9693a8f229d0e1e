/**
 * `Http`: response time of a URL in milliseconds (the whole body read, as the original did) and
 * the status code as `status`. A connection error or timeout fails the probe; a 500 does not
 * (its status is the value).
 */
import * as v from "valibot"
import { Source, ValueSet } from "../../api.ts"

const options = v.object({
  url: v.pipe(v.string(), v.url()),
  method: v.optional(v.picklist(["GET", "HEAD", "POST"]), "GET"),
  headers: v.optional(v.record(v.string(), v.string()), {}),
  /** false accepts self-signed certificates. */
  verifyTls: v.optional(v.boolean(), true),
})

export class HttpSource extends Source<v.InferOutput<typeof options>> {
  static override readonly options = options
  static readonly defaultTimeout = 15

  override async probe(): Promise<ValueSet[]> {
    const { url, method, headers, verifyTls } = this.config
    const started = performance.now()
    const response = await this.ctx.fetch(url, { method, headers, tls: { rejectUnauthorized: verifyTls } } as RequestInit)
    await response.arrayBuffer()
    const elapsedMs = performance.now() - started
    return [
      new ValueSet([], { unit: "milliseconds", help: "HTTP response time" }).add(Math.round(elapsedMs * 1000) / 1000),
      new ValueSet([], { help: "HTTP status code" }).add(response.status, [], "status"),
    ]
  }
}
