/** The options of Prometheus; light on purpose: the registry imports it eagerly, the implementation loads only when a config uses Prometheus. */
import { v } from "../../api.ts"

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
  tls: v.optional(
    v.pipe(
      v.object({
        certFile: v.pipe(v.string(), v.nonEmpty(), v.description("The certificate (chain), PEM; relative to the config file's folder.")),
        keyFile: v.pipe(v.string(), v.nonEmpty(), v.description("Its private key, PEM; relative to the config file's folder.")),
      }),
      v.description("Serve HTTPS with this certificate and key."),
    ),
  ),
  basicAuth: v.optional(
    v.pipe(
      v.object({
        user: v.pipe(v.string(), v.nonEmpty(), v.description("The user name scrapers send.")),
        passwordHash: v.pipe(
          v.string(),
          v.regex(/^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/, "must be a bcrypt hash ($2y$10$...), e.g. from htpasswd -nBC 10 user"),
          v.description(
            "A bcrypt hash of the password, as in node_exporter's web config: `htpasswd -nBC 10 prometheus` (apache2-utils) makes one.",
          ),
        ),
      }),
      v.description("Require HTTP basic auth (use it with `tls`, or the password crosses the network readable)."),
    ),
  ),
})

/** The validated options of Prometheus. */
export type PrometheusOptions = v.InferOutput<typeof options>
