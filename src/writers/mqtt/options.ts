/** The options of Mqtt; light on purpose: validation loads it without the implementation, which loads only when a config uses Mqtt. */
import { regexString, v } from "../../api.ts"

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535))
/** A topic part the user gives: no wildcards, no empty levels at the ends. */
const topicPart = v.pipe(
  v.string(),
  v.minLength(1),
  v.check(
    (s) => !/[+#\u0000]/.test(s) && !s.startsWith("/") && !s.endsWith("/"),
    "must be a topic without `+`, `#` or a leading/trailing `/`",
  ),
)

const tlsOptions = v.object({
  ca: v.optional(
    v.pipe(
      v.string(),
      v.description("PEM file of the CA that signed the broker's certificate (relative to the config); default: the system's CAs."),
    ),
  ),
  cert: v.optional(
    v.pipe(v.string(), v.description("PEM file of a client certificate, for brokers that require one (`require_certificate true`).")),
  ),
  key: v.optional(v.pipe(v.string(), v.description("PEM file of the client certificate's private key."))),
  verify: v.optional(
    v.pipe(v.boolean(), v.description("Check the broker's certificate and name; `false` accepts any certificate (not recommended).")),
  ),
})

export const options = v.object({
  host: v.optional(v.pipe(v.string(), v.minLength(1), v.description("The broker's host name or address.")), "127.0.0.1"),
  port: v.optional(v.pipe(port, v.description("The broker's port; default 1883, or 8883 with `tls`."))),
  user: v.optional(v.pipe(v.string(), v.description("User name to log in with."))),
  password: v.optional(v.pipe(v.string(), v.description("Password to log in with (never logged)."))),
  clientId: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(128),
      v.description("MQTT client id; default `pollect-<hostname>`. Two clients with one id push each other off the broker."),
    ),
  ),
  includePattern: v.optional(
    v.pipe(
      v.array(regexString((pattern, reason) => `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`)),
      v.maxLength(1000),
      v.description("Regular expressions; when given, only topics that one of them matches as a whole (lower-cased) are published."),
    ),
  ),
  hassAutodiscovery: v.optional(
    v.pipe(v.boolean(), v.description("Publish Home Assistant discovery configs, one sensor per value.")),
    false,
  ),
  discoveryPrefix: v.optional(v.pipe(topicPart, v.description("Home Assistant's discovery prefix (`discovery_prefix`).")), "homeassistant"),
  qos: v.optional(v.pipe(v.picklist([0, 1, 2]), v.description("MQTT QoS of the published values (0, 1 or 2).")), 0),
  retain: v.optional(v.pipe(v.boolean(), v.description("Publish values retained, so a new subscriber gets the last value at once.")), true),
  tls: v.optional(
    v.pipe(
      v.union([v.boolean(), tlsOptions]),
      v.description(
        "Connect with TLS (mqtts): `true`, or `{ ca, cert, key, verify }` (files relative to the config). The broker's certificate is verified unless `verify: false`.",
      ),
    ),
  ),
  bufferSize: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(10_000_000),
      v.description(
        "Topics kept while the broker is unreachable, the newest value of each; when full, the oldest topics are dropped (and counted).",
      ),
    ),
    10_000,
  ),
})

/** The validated options of Mqtt. */
export type MqttOptions = v.InferOutput<typeof options>
