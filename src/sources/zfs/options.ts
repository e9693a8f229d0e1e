/** The options of Zfs; light on purpose: validation loads it without the implementation, which loads only when a config uses Zfs. */
import { v } from "../../api.ts"

export const options = v.object({
  interval: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(3600),
      v.description(
        "Seconds per `zpool iostat` interval (its rates are averages over one); a probe reports the average of the intervals since the previous probe",
      ),
    ),
    10,
  ),
})

/** The validated options of Zfs. */
export type ZfsOptions = v.InferOutput<typeof options>
