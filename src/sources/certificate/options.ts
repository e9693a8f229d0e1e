/** The options of Certificate; light on purpose: validation loads it without the implementation, which loads only when a config uses Certificate. */
import { v } from "../../api.ts"
import { urlProblem } from "./target.ts"

/** Most targets one source takes. */
const MAX_TARGETS = 1000

const targetUrl = v.pipe(
  v.string(),
  v.check(
    (url) => urlProblem(url) === undefined,
    (issue) => `${urlProblem(String(issue.input))}`,
  ),
)

export const options = v.pipe(
  v.object({
    url: v.optional(
      v.pipe(
        v.union([targetUrl, v.pipe(v.array(targetUrl), v.minLength(1), v.maxLength(MAX_TARGETS))]),
        v.description(
          "The server: `https://host[:port]` (other schemes need a port, or use `ldaps`, `imaps`, `smtps`, ... defaults), or a list of them: then each is a series with the label `url`, probed `concurrency` at a time",
        ),
      ),
    ),
    host: v.optional(
      v.pipe(v.string(), v.minLength(1), v.description("The server's host name or address, instead of `url` (pollect 1.2)")),
    ),
    port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("The port with `host`")), 443),
    servername: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.description("The name sent as SNI and checked against the certificate; default: the host (none for an IP address)"),
      ),
    ),
    caFile: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1),
        v.description("A PEM file of further trusted CA certificates (a private CA) for `verified`; relative to the config's folder"),
      ),
    ),
    concurrency: v.optional(
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64), v.description("Handshakes at once for a list of URLs")),
      8,
    ),
  }),
  v.check((config) => config.url !== undefined || config.host !== undefined, "expected `url` or `host`"),
)

export type CertificateOptions = v.InferOutput<typeof options>
