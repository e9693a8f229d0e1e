/** The options of Otel; light on purpose: validation loads it without the implementation, which loads only when a config uses Otel. */
import { v } from "../../api.ts"
import { queueField } from "../../lib/queue/queue-field.ts"

export const options = v.object({
  endpoint: v.optional(
    v.pipe(
      v.string(),
      v.url(),
      v.description(
        "Where to POST: the full URL (`http://collector:4318/v1/metrics`); a bare origin gets `/v1/metrics`. Overrides `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` and `OTEL_EXPORTER_OTLP_ENDPOINT`; default `http://localhost:4318/v1/metrics`.",
      ),
    ),
  ),
  headers: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name")), v.string()),
      v.maxEntries(64),
      v.description(
        'HTTP headers sent with every request (`{ "Authorization": "Bearer ..." }`), merged over `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_METRICS_HEADERS`. Their values never appear in logs.',
      ),
    ),
  ),
  protocol: v.optional(
    v.pipe(
      v.picklist(["http/protobuf", "http/json"]),
      v.description("The encoding; overrides `OTEL_EXPORTER_OTLP_(METRICS_)PROTOCOL`. Default `http/protobuf`."),
    ),
  ),
  compression: v.optional(
    v.pipe(
      v.picklist(["gzip", "none"]),
      v.description("Compress request bodies; overrides `OTEL_EXPORTER_OTLP_(METRICS_)COMPRESSION`. Default `none`."),
    ),
  ),
  timeout: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(600_000),
      v.description("Milliseconds one request may take; overrides `OTEL_EXPORTER_OTLP_(METRICS_)TIMEOUT`. Default 10000."),
    ),
  ),
  resourceAttributes: v.optional(
    v.pipe(
      v.record(v.string(), v.string()),
      v.maxEntries(128),
      v.description("Resource attributes (`deployment.environment.name`, ...), merged over `OTEL_RESOURCE_ATTRIBUTES`."),
    ),
  ),
  queue: queueField,
})

/** The validated options of Otel. */
export type OtelOptions = v.InferOutput<typeof options>
