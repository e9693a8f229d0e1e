/** The options of DiskUsage; light on purpose: validation loads it without the implementation, which loads only when a config uses DiskUsage. */
import { v } from "../../api.ts"
import { namePattern } from "../../lib/options/name-filter.ts"

export const options = v.object({
  disks: v.optional(
    v.pipe(
      v.array(v.string()),
      v.description("Paths or devices (`/dev/sdb1`, probed where it is mounted) to report; default: every real mounted filesystem"),
    ),
  ),
  include: v.optional(
    v.pipe(
      v.array(namePattern),
      v.description(
        "Mount points or devices, names or regexes (RE2 syntax) matching the whole name (`/mnt/.*`): only these, even tmpfs or overlay ones",
      ),
    ),
  ),
  exclude: v.optional(
    v.pipe(v.array(namePattern), v.description("Mount points or devices to leave out (names or regexes); wins over `include`")),
  ),
})

export type DiskUsageOptions = v.InferOutput<typeof options>
