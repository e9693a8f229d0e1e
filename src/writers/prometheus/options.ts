/** The options of Prometheus; light on purpose: validation loads it without the implementation, which loads only when a config uses Prometheus. */
import { v } from "../../api.ts"
import { basicAuthField, tlsServerField } from "../../lib/options/http-server-fields.ts"

export const options = v.object({
  /** 0 picks a free port (tests); read it back from `writer.port`. */
  port: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(65535),
      v.description("TCP port (as the original). `0` picks a free port (logged at start)."),
    ),
    8080,
  ),
  /** Bind address; all interfaces by default. */
  host: v.optional(
    v.pipe(v.string(), v.nonEmpty(), v.description("Bind address, e.g. `127.0.0.1` to serve only this host; all addresses when unset.")),
  ),
  path: v.optional(v.pipe(v.string(), v.startsWith("/", "must start with /"), v.description("Path of the metrics page.")), "/metrics"),
  names: v.optional(
    v.pipe(
      v.picklist(["pollect", "snake_case"]),
      v.description(
        "`pollect`: exactly the original pollect's names (existing dashboards keep working). `snake_case`: conventional names that `promtool check metrics` accepts. See below.",
      ),
    ),
    "pollect",
  ),
  processMetrics: v.optional(
    v.pipe(v.boolean(), v.description("Also serve `process_cpu_seconds_total`, `process_resident_memory_bytes`, ... of pollect itself.")),
    false,
  ),
  tls: tlsServerField(),
  basicAuth: basicAuthField("The user name scrapers send."),
})

/** The validated options of Prometheus. */
export type PrometheusOptions = v.InferOutput<typeof options>
