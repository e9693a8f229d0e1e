/** The options of Process; light on purpose: validation loads it without the implementation, which loads only when a config uses Process. */
import { regexString, v } from "../../api.ts"

export const options = v.object({
  procRegex: v.pipe(
    regexString((_, reason) => `procRegex is not a valid regular expression: ${reason}`),
    v.description(
      "Regular expression (RE2 syntax: Python's `re` without backreferences or lookaround; `(?i)` works) searched in the command line joined by spaces, or the name of a kernel thread",
    ),
  ),
  memory: v.optional(v.pipe(v.boolean(), v.description("Report `virtual_memory` and `resident_memory`")), true),
  load: v.optional(v.pipe(v.boolean(), v.description("Report `load_percent`")), true),
})

export type ProcessOptions = v.InferOutput<typeof options>
