/** The options of SmartCtl; light on purpose: validation loads it without the implementation, which loads only when a config uses SmartCtl. */
import { regexString, v } from "../../api.ts"

const devicePattern = regexString((pattern, reason) => `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`)

export const options = v.object({
  attributes: v.optional(
    v.pipe(
      v.nullable(v.array(v.string())),
      v.description(
        'Names of the ATA SMART attributes to report (`Temperature_Celsius`, `Reallocated_Sector_Ct`, ...). Empty or absent: every attribute. The health, temperature, power-on and NVMe values are always reported; under `"compat": "1.2"` the names also filter the NVMe health log entries of 1.2\'s set (`data_units_written`, `temperature_sensors`), as 1.2 did.',
      ),
    ),
    [],
  ),
  devices: v.optional(
    v.pipe(
      v.nullable(v.array(devicePattern)),
      v.description(
        "Regular expressions (RE2 syntax: Python's `re` without backreferences or lookaround); a disk is read when one matches at the start of its name without `/dev/` (`sda`, `nvme0`) or of its full name (`/dev/sda`). Empty or absent: every disk `--scan` finds. An invalid expression is a config error at start.",
      ),
    ),
    [],
  ),
})

export type SmartCtlOptions = v.InferOutput<typeof options>
