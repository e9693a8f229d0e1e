/** The options of MemoryUsage; light on purpose: the registry imports it eagerly, the implementation loads only when a config uses MemoryUsage. */
import { v } from "../../api.ts"

export const options = v.object({})

export type MemoryUsageOptions = v.InferOutput<typeof options>
