/** The options of MMI; light on purpose: validation loads it without the implementation, which loads only when a config uses MMI. */
import { v } from "../../api.ts"

export const options = v.object({
  credentials: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("JSON file with the myAudi login (`user`, `pass`, optional `qmauth`), relative to the config file's folder"),
  ),
  vin: v.pipe(v.string(), v.description("VIN of the car to read (an empty one, as in 1.2's sample, fails at the probe)")),
  bffUrl: v.optional(
    v.pipe(
      v.string(),
      v.url(),
      v.description(
        "CARIAD backend (sign-in configuration, token endpoint, vehicle status). North America: `https://na.bff.cariad.digital`",
      ),
    ),
    "https://emea.bff.cariad.digital",
  ),
  clientId: v.optional(
    v.pipe(v.string(), v.description("The myAudi app's OAuth client ID (audi_connect_ha's default for Europe)")),
    "09b6cbec-cd19-4589-82fd-363dfa8c24da@apps_vw-dilab_com",
  ),
})
export type MmiOptions = v.InferOutput<typeof options>
