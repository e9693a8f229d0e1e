/** The options of TpLinkEap; light on purpose: validation loads it without the implementation, which loads only when a config uses TpLinkEap. */
import { v } from "../../api.ts"

export const options = v.object({
  url: v.pipe(
    v.string(),
    v.url(),
    v.maxLength(2048),
    v.description("The access point's admin UI, e.g. `http://192.168.0.254` (what you type into the browser)"),
  ),
  user: v.pipe(v.string(), v.nonEmpty(), v.maxLength(256), v.description("The admin UI's user name")),
  password: v.pipe(v.string(), v.maxLength(256), v.description("The admin UI's password (sent MD5-hashed as the UI does; masked in logs)")),
})

/** The validated options of TpLinkEap. */
export type TpLinkEapOptions = v.InferOutput<typeof options>
