/** The options of PrometheusSsl; light on purpose: validation loads it without the implementation, which loads only when a config uses PrometheusSsl. */
import { v } from "../../api.ts"

export const options = v.object({
  port: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535), v.description("TCP port (as in 1.2). `0` picks a free port.")),
    8080,
  ),
  key: v.pipe(
    v.string(),
    v.nonEmpty(),
    v.description("The private key, PEM; relative to the config file's folder (1.2: to the working directory)."),
  ),
  cert: v.pipe(v.string(), v.nonEmpty(), v.description("The certificate (chain), PEM; relative to the config file's folder.")),
})

/** The validated options of PrometheusSsl (1.2's keys). */
export type PrometheusSslOptions = v.InferOutput<typeof options>
