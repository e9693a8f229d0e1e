/** The options of Openhab; light on purpose: validation loads it without the implementation, which loads only when a config uses Openhab. */
import { v } from "../../api.ts"

export const options = v.object({
  url: v.pipe(
    v.string(),
    v.regex(/^https?:\/\/[^\s/]/, "expected an http:// or https:// URL"),
    v.description("The openHAB instance's base URL (`http://openhab:8080`); `/rest/items` is requested there"),
  ),
  token: v.optional(
    v.pipe(
      v.string(),
      v.description(
        "An API token (openHAB 3/4: profile → API tokens), sent as `Authorization: Bearer`; needed where anonymous access to the REST API is off. Never logged",
      ),
    ),
  ),
})

export type OpenhabOptions = v.InferOutput<typeof options>
