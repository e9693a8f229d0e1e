/** The options of Sensors; light on purpose: validation loads it without the implementation, which loads only when a config uses Sensors. */
import { v } from "../../api.ts"

const chipList = (description: string) => v.optional(v.pipe(v.nullable(v.array(v.string())), v.description(description)), [])

export const options = v.object({
  include: chipList(
    "Chip names or globs to read (`coretemp-isa-0000`, `nvme-*`), compared case-insensitively. Empty or absent: every chip.",
  ),
  exclude: chipList("Chip names or globs to leave out; wins over `include`."),
  useBaseUnits: v.optional(
    v.pipe(
      v.boolean(),
      v.description(
        'With `"compat": "1.2"`: values in base units (`360.00 mV` → 0.36, unit `V`), as pollect 1.2 by default; false: the displayed number and unit (360, `mV`). Under 1.0 values are always in base units.',
      ),
    ),
    true,
  ),
})

export type SensorsOptions = v.InferOutput<typeof options>
