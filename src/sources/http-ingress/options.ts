/** The options of HttpIngress; light on purpose: validation loads it without the implementation, which loads only when a config uses HttpIngress. */
import { v } from "../../api.ts"

const name = v.pipe(v.string(), v.nonEmpty(), v.maxLength(200))

const metricDefinition = v.object({
  type: v.optional(
    v.pipe(v.picklist(["gauge", "counter"]), v.description("`counter`: each push adds its value; `gauge`: each push sets it")),
    "gauge",
  ),
  labels: v.optional(
    v.pipe(
      v.array(name),
      v.maxLength(32),
      v.check((labels) => new Set(labels).size === labels.length, "a label is named twice"),
      v.description("The label names every push of this metric must give"),
    ),
    [],
  ),
})

export const options = v.object({
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535), v.description("TCP port to listen on (`0`: a free one, logged)")),
  host: v.optional(
    v.pipe(
      v.string(),
      v.nonEmpty(),
      v.description("Bind address, e.g. `127.0.0.1` to take pushes from this host only; all addresses when unset (as 1.2)"),
    ),
  ),
  metrics: v.pipe(
    v.record(name, metricDefinition),
    v.check((defs) => Object.keys(defs).length > 0, "declare at least one metric"),
    v.check((defs) => Object.keys(defs).length <= 1000, "at most 1000 metrics"),
    v.description('The metrics clients may push: `{"<name>": {"type": "gauge"|"counter", "labels": ["host"]}}`; anything else is refused'),
  ),
  token: v.optional(
    v.pipe(
      v.string(),
      v.nonEmpty(),
      v.regex(/^\S+$/, "must not contain white space"),
      v.description("A bearer token pushes must carry (`Authorization: Bearer <token>`); none when unset"),
    ),
  ),
  maxBodyBytes: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(64 * 1024 * 1024),
      v.description("Largest push body in bytes; larger ones are refused with 413"),
    ),
    1024 * 1024,
  ),
  maxSeries: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(100_000),
      v.description("Most label sets one metric may hold; a push that would add more is refused with 400"),
    ),
    1000,
  ),
})

export type HttpIngressOptions = v.InferOutput<typeof options>
