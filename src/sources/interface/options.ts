/** The options of Interface; light on purpose: validation loads it without the implementation, which loads only when a config uses Interface. */
import { v } from "../../api.ts"
import { namePattern } from "../../lib/options/name-filter.ts"

export const options = v.object({
  includeTotal: v.optional(v.pipe(v.boolean(), v.description("Also report the raw counters (`total_bytes_sent`, ...)")), false),
  include: v.optional(
    v.pipe(
      v.array(namePattern),
      v.description(
        "Interfaces to report: names or regexes (RE2 syntax) matching the whole name (`eth.*`, `(?i)eth0`); only these, `lo` too if listed",
      ),
    ),
  ),
  exclude: v.optional(v.pipe(v.array(namePattern), v.description("Interfaces to leave out (names or regexes); wins over `include`"))),
  counterBits: v.optional(
    v.pipe(v.picklist([32, 64]), v.description("Width of the kernel's counters; default 64 on 64-bit hosts, else told from the values")),
  ),
})

export type InterfaceOptions = v.InferOutput<typeof options>
