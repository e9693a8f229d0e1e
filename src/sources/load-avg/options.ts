/** The options of LoadAvg; light on purpose: validation loads it without the implementation, which loads only when a config uses LoadAvg. */
import { v } from "../../api.ts"

export const options = v.object({})

export type LoadAvgOptions = v.InferOutput<typeof options>
