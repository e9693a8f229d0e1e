/** The options of Http; light on purpose: validation loads it without the implementation, which loads only when a config uses Http. */
import { v } from "../../api.ts"

const httpUrl = v.pipe(v.string(), v.url())

export const options = v.object({
  url: v.pipe(
    v.union([httpUrl, v.pipe(v.array(httpUrl), v.minLength(1))]),
    v.description(
      "The URL to request, or a list of URLs: then each is a series with the label `url`, all requested at once. Redirects are followed.",
    ),
  ),
  method: v.optional(v.pipe(v.picklist(["GET", "HEAD", "POST"]), v.description("The request's method")), "GET"),
  headers: v.optional(
    v.pipe(v.record(v.string(), v.string()), v.description('Request headers, e.g. `{"Authorization": "Bearer ${TOKEN}"}`')),
    {},
  ),
  verifyTls: v.optional(v.pipe(v.boolean(), v.description("`false` accepts self-signed certificates")), true),
  statusCode: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(100),
      v.maxValue(599),
      v.description("The status code expected; default: any 2xx. Another code is a failed request (its time is the timeout)"),
    ),
  ),
  proxy: v.optional(
    v.pipe(
      v.string(),
      v.check((value) => value === "" || /^https?:\/\/[^/]/i.test(value), "expected '' or an http:// or https:// URL"),
      v.description(
        "The HTTP proxy to use (`http://user:password@host:3128`; its password never reaches the log). `''`: no proxy, whatever the environment says. Unset: `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` (or lower-case) from the environment",
      ),
    ),
  ),
})

export type HttpOptions = v.InferOutput<typeof options>
