/** The options of ZodiacPool; light on purpose: validation loads it without the implementation, which loads only when a config uses ZodiacPool. */
import { v } from "../../api.ts"

export const options = v.object({
  user: v.pipe(v.string(), v.nonEmpty(), v.maxLength(256), v.description("The iAquaLink / Zodiac app account's e-mail address")),
  password: v.pipe(v.string(), v.maxLength(256), v.description("The account's password (masked in logs)")),
  baseUrl: v.optional(
    v.pipe(
      v.string(),
      v.url(),
      v.maxLength(2048),
      v.description(
        "Replaces the origin of all of the cloud's hosts (prod.zodiac-io.com, prm.iaqualink.net, r-api.iaqualink.net), e.g. a proxy; default: the hosts themselves",
      ),
    ),
  ),
})

/** The validated options of ZodiacPool. */
export type ZodiacPoolOptions = v.InferOutput<typeof options>
