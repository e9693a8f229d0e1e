/** The options of Evcc; light on purpose: validation loads it without the implementation, which loads only when a config uses Evcc. */
import { v } from "../../api.ts"

export const options = v.object({
  host: v.pipe(
    v.string(),
    v.regex(/^[^\s/]+$/, "expected host and port, without scheme or path (`localhost:7070`)"),
    v.description("Host and port of the evcc instance (`localhost:7070`); pollect connects to `ws://<host>/ws`"),
  ),
  tls: v.optional(
    v.pipe(v.boolean(), v.description("`true`: `wss://` (evcc behind a TLS reverse proxy; its certificate is verified)")),
    false,
  ),
})

export type EvccOptions = v.InferOutput<typeof options>
