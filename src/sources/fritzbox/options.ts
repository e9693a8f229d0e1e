/** The options of Fritzbox; light on purpose: validation loads it without the implementation, which loads only when a config uses Fritzbox. */
import { v } from "../../api.ts"

export const options = v.object({
  ip: v.optional(v.pipe(v.string(), v.description("Address of the box (the original's key), e.g. `192.168.178.1` or `fritz.box`"))),
  host: v.optional(v.pipe(v.string(), v.description("Same as `ip`"))),
  port: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("TR-064 port; default 49000, 49443 with `tls`")),
  ),
  tls: v.optional(
    v.pipe(v.boolean(), v.description("Use https (the box's self-signed certificate is accepted unless `verifyTls`)")),
    false,
  ),
  url: v.optional(
    v.pipe(v.string(), v.url(), v.description("Full base URL instead of `ip`/`port`/`tls`, e.g. `http://192.168.178.1:49000`")),
  ),
  user: v.optional(
    v.pipe(
      v.string(),
      v.description(
        "Box user. Without it pollect asks the box for its last logged-in user (`X_AVM-DE_GetUserList`, FRITZ!OS ≥ 7.24) and falls back to `dslf-config`, as fritzconnection does.",
      ),
    ),
  ),
  pass: v.optional(
    v.pipe(v.string(), v.description("Password of that user. Needed: the traffic counters and link state require a login.")),
  ),
  verifyTls: v.optional(v.pipe(v.boolean(), v.description("Verify the box's certificate (it is self-signed, so off by default)")), false),
})

export type FritzboxOptions = v.InferOutput<typeof options>
