/** The options of MemoryUsage; light on purpose: validation loads it without the implementation, which loads only when a config uses MemoryUsage. */
import { v } from "../../api.ts"

export const options = v.object({})

export type MemoryUsageOptions = v.InferOutput<typeof options>
