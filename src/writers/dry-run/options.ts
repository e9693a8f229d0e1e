/** The options of DryRun; light on purpose: validation loads it without the implementation, which loads only when a config uses DryRun. */
import { v } from "../../api.ts"

export const options = v.object({})

/** The validated options of DryRun (none beyond the common ones). */
export type DryRunOptions = v.InferOutput<typeof options>
