/** The options of IO; light on purpose: validation loads it without the implementation, which loads only when a config uses IO. */
import { v } from "../../api.ts"
import { namePattern } from "../../lib/options/name-filter.ts"

export const options = v.object({
  include: v.optional(
    v.pipe(
      v.array(namePattern),
      v.description(
        "Devices to report: names or regexes (RE2 syntax) matching the whole name (`sd[a-z]`, `nvme0n1p1`); only these, partitions and loop devices too if listed",
      ),
    ),
  ),
  exclude: v.optional(v.pipe(v.array(namePattern), v.description("Devices to leave out (names or regexes); wins over `include`"))),
  counterBits: v.optional(
    v.pipe(
      v.picklist([32, 64]),
      v.description(
        "Width of the kernel's I/O counters; default 64 on 64-bit hosts, else told from the values (busy time is always 32 bit)",
      ),
    ),
  ),
})

export type IOOptions = v.InferOutput<typeof options>
