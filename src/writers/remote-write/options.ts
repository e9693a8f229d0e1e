/** The options of RemoteWrite; light on purpose: validation loads it without the implementation, which loads only when a config uses RemoteWrite. */
import { v } from "../../api.ts"
import { queueField } from "../../lib/queue/queue-field.ts"

const labelName = v.pipe(v.string(), v.regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"))

export const options = v.object({
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

/** The validated options of RemoteWrite. */
export type RemoteWriteOptions = v.InferOutput<typeof options>
