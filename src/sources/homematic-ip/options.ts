/** The options of HomematicIp; light on purpose: validation loads it without the implementation, which loads only when a config uses HomematicIp. */
import { v } from "../../api.ts"

/** The lookup host that names the REST server of an access point. */
export const HMIP_LOOKUP_URL = "https://lookup.homematic.com:48335/getHost"

export const options = v.object({
  authToken: v.pipe(
    v.string(),
    v.description(
      "Auth token of a client registered at the access point, e.g. made with `hmip_generate_auth_token` of the homematicip package (masked in logs)",
    ),
  ),
  accessPoint: v.pipe(
    v.string(),
    v.description("The access point's SGTIN (printed on it), with or without dashes, e.g. `3014-F711-A000-0000-000B-EEF1`"),
  ),
  lookupUrl: v.optional(
    v.pipe(v.string(), v.url(), v.description("Lookup host that says which REST server serves the access point")),
    HMIP_LOOKUP_URL,
  ),
  restUrl: v.optional(v.pipe(v.string(), v.url(), v.description("Skip the lookup and use this REST server (the lookup's `urlREST`)"))),
})

export type HomematicIpOptions = v.InferOutput<typeof options>
