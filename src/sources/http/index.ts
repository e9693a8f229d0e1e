/**
 * `Http`: response time of a URL in milliseconds (the whole body read, as the original did) and
 * the status code as `status`. A connection error or timeout fails the probe; a 500 does not
 * (its status is the value).
 */
import * as v from "valibot"
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

const options = v.object({
  url: v.pipe(v.string(), v.url(), v.description("The URL to request. Redirects are followed.")),
  method: v.optional(v.pipe(v.picklist(["GET", "HEAD", "POST"]), v.description("The request's method")), "GET"),
  headers: v.optional(
    v.pipe(v.record(v.string(), v.string()), v.description('Request headers, e.g. `{"Authorization": "Bearer ${TOKEN}"}`')),
    {},
  ),
  verifyTls: v.optional(v.pipe(v.boolean(), v.description("`false` accepts self-signed certificates")), true),
})

export class HttpSource extends Source<v.InferOutput<typeof options>> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  override async probe(): Promise<ValueSet[]> {
    const { url, method, headers, verifyTls } = this.config
    const started = performance.now()
    const response = await this.ctx.fetch(url, { method, headers, tls: { rejectUnauthorized: verifyTls } } as RequestInit)
    await response.arrayBuffer()
    const elapsedMs = performance.now() - started
    return [
      new ValueSet(metrics.time).add(Math.round(elapsedMs * 1000) / 1000),
      new ValueSet(metrics.status).add(response.status, [], "status"),
    ]
  }
}
