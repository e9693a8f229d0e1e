/** The options of InfluxDB; light on purpose: validation loads it without the implementation, which loads only when a config uses InfluxDB. */
import { v } from "../../api.ts"
import { queueField } from "../../lib/queue/queue-field.ts"

const tlsOptions = v.object({
  ca: v.optional(
    v.pipe(
      v.string(),
      v.description("PEM file of the CA that signed InfluxDB's certificate (relative to the config); default: the system's CAs."),
    ),
  ),
  cert: v.optional(v.pipe(v.string(), v.description("PEM file of a client certificate, for a proxy that requires one."))),
  key: v.optional(v.pipe(v.string(), v.description("PEM file of the client certificate's private key."))),
  verify: v.optional(
    v.pipe(v.boolean(), v.description("Check the server's certificate and name; `false` accepts any certificate (not recommended).")),
    true,
  ),
})

const name = v.pipe(v.string(), v.minLength(1), v.maxLength(256))

export const options = v.object({
  url: v.pipe(
    v.string(),
    v.minLength(1),
    v.description(
      "InfluxDB's base URL (`http://influxdb:8086`, or with a path prefix behind a proxy); `/write` or `/api/v2/write` is appended.",
    ),
  ),
  database: v.optional(v.pipe(name, v.description("InfluxDB 1.x: the database to write to (`/write?db=`)."))),
  retentionPolicy: v.optional(v.pipe(name, v.description("InfluxDB 1.x: the retention policy (`rp=`); default: the database's default."))),
  user: v.optional(v.pipe(v.string(), v.description("InfluxDB 1.x: user name (sent as basic auth, never in the URL)."))),
  password: v.optional(v.pipe(v.string(), v.description("InfluxDB 1.x: password (never logged)."))),
  org: v.optional(v.pipe(name, v.description("InfluxDB 2.x: the organization (with `bucket`: writes to `/api/v2/write`)."))),
  bucket: v.optional(v.pipe(name, v.description("InfluxDB 2.x: the bucket."))),
  token: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description("API token, sent as `Authorization: Token ...` (InfluxDB 2.x; 1.8+ takes `user:password` as a token). Never logged."),
    ),
  ),
  createDatabase: v.optional(
    v.pipe(
      v.boolean(),
      v.description("InfluxDB 1.x: run `CREATE DATABASE` at start and when a write finds the database missing (needs admin rights)."),
    ),
    false,
  ),
  precision: v.optional(
    v.pipe(v.picklist(["s", "ms"]), v.description("Timestamp precision: `ms` (the tick's millisecond) or `s` (whole seconds).")),
    "ms",
  ),
  gzip: v.optional(v.pipe(v.boolean(), v.description("Compress request bodies (`Content-Encoding: gzip`).")), true),
  batchSize: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(1_000_000),
      v.description("Lines (InfluxDB points) per request at most; a larger tick is sent as several requests."),
    ),
    5000,
  ),
  timeout: v.optional(
    v.pipe(v.number(), v.minValue(0.1), v.maxValue(600), v.description("Seconds one request may take before it is tried again.")),
    10,
  ),
  tags: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.minLength(1)), v.string()),
      v.maxEntries(64),
      v.description('Tags added to every line (`{ "host": "web1" }`); a source\'s labels win over them.'),
    ),
    {},
  ),
  tls: v.optional(
    v.pipe(tlsOptions, v.description("TLS settings for an https URL: `{ ca, cert, key, verify }` (files relative to the config).")),
  ),
  queue: queueField,
})

/** The validated options of InfluxDB. */
export type InfluxDBOptions = v.InferOutput<typeof options>
