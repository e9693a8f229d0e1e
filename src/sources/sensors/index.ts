/**
 * `Sensors`: temperatures, fans, voltages, power (and current, energy, humidity) from lm-sensors'
 * `sensors -j` (lm-sensors ≥ 3.5), falling back to `sensors -u` on older versions.
 *
 * Two views of the same readings:
 * - the original pollect's names, so dashboards keep working: value name = chip, label
 *   `name` = feature label lower-cased (`pollect.sensors.nct6798-isa-0290.systin`,
 *   `pollect_Sensors_nct6798_isa_0290{name="systin"}`). Values are in base units (the original
 *   took `sensors`' display, which switches between mV and V);
 * - one value per kind with `chip` and `feature` labels and a unit
 *   (`pollect_sensors_temperature_celsius{chip="nct6798-isa-0290",feature="SYSTIN"}`).
 *
 * Under the config's `"compat": "1.2"`, pollect 1.2's instead: `sensors`' display read by 1.2's
 * rules, one set labelled `device`, `name`, `unit` (`pollect_Sensors{device="nct6798-isa-0290",
 * name="in0",unit="V"}`), values in base units unless `useBaseUnits` is false.
 */
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type SensorsOptions } from "./options.ts"
import {
  originalKey,
  parseSensorsJson,
  parseSensorsText,
  pollect12Readings,
  sensorReadings,
  sensorsJsonNotSupported,
  type SensorKind,
  type SensorsChip,
} from "./parse.ts"

/** Case-insensitive: the original compared against the lower-cased chip name. */
function chipMatcher(patterns: readonly string[]): ((chip: string) => boolean) | undefined {
  if (!patterns.length) return undefined
  const globs = patterns.map((pattern) => new Bun.Glob(pattern.toLowerCase()))
  return (chip) => globs.some((glob) => glob.match(chip.toLowerCase()))
}

export class SensorsSource extends Source<SensorsOptions> {
  static override readonly options = options
  static override readonly metrics = metrics

  /** lm-sensors < 3.5 has no `-j`; found out once, then `-u` is used directly. */
  private textOnly = false
  private readonly include = chipMatcher(this.config.include ?? [])
  private readonly exclude = chipMatcher(this.config.exclude ?? [])
  private warnedNoMatch = false

  override async probe(): Promise<ValueSet[]> {
    if (this.ctx.compat === "1.2") return this.probe12()
    const chips = (await this.readChips()).filter((chip) => (!this.include || this.include(chip.name)) && !this.exclude?.(chip.name))
    const readings = sensorReadings(chips)
    if (!chips.length && !this.warnedNoMatch) {
      this.warnedNoMatch = true
      this.ctx.log.warn(`include/exclude leave no chip to read`)
    }

    const original = new ValueSet(metrics.original)
    const byKind = new Map<SensorKind, ValueSet>()
    for (const reading of readings) {
      original.add(reading.value, [originalKey(reading.label)], reading.chip.toLowerCase())
      let set = byKind.get(reading.kind)
      if (!set) byKind.set(reading.kind, (set = new ValueSet(metrics[reading.kind])))
      set.add(reading.value, [reading.chip, reading.label], reading.kind)
    }
    return [original, ...byKind.values()].filter((set) => set.values.length > 0)
  }

  /** pollect 1.2's names: it ran `sensors` with no arguments and read the display. */
  private async probe12(): Promise<ValueSet[]> {
    const result = await this.ctx.spawn(["sensors"], { packageName: "lm-sensors", timeoutMs: 10_000 })
    const wanted = (chip: string) => (!this.include || this.include(chip)) && !this.exclude?.(chip)
    const { chips, readings } = pollect12Readings(result.stdout, this.config.useBaseUnits ?? true, wanted)
    if (!chips.length) this.checked([], result.stderr)
    if (!chips.some(wanted) && !this.warnedNoMatch) {
      this.warnedNoMatch = true
      this.ctx.log.warn(`include/exclude leave no chip to read`)
    }
    const set = new ValueSet(metrics.pollect12)
    for (const reading of readings) set.add(reading.value, [reading.device, reading.name, reading.unit])
    return set.values.length ? [set] : []
  }

  private async readChips(): Promise<SensorsChip[]> {
    if (!this.textOnly) {
      const result = await this.ctx.spawn(["sensors", "-j"], { packageName: "lm-sensors", timeoutMs: 10_000 })
      if (!sensorsJsonNotSupported(result.stderr)) return this.checked(parseSensorsJson(result.stdout), result.stderr)
      this.textOnly = true
      this.ctx.log.info("sensors does not know -j (lm-sensors < 3.5): reading `sensors -u` instead")
    }
    const result = await this.ctx.spawn(["sensors", "-u"], { packageName: "lm-sensors", timeoutMs: 10_000 })
    return this.checked(parseSensorsText(result.stdout), result.stderr)
  }

  /** No chip at all is a failure the user can act on (kernel modules, sensors-detect). */
  private checked(chips: SensorsChip[], stderr: string): SensorsChip[] {
    if (chips.length) return chips
    const why = stderr.trim().split("\n")[0]
    throw new Error(`sensors found no chips${why ? `: ${why}` : ""} (load the hwmon drivers; sensors-detect tells which)`)
  }
}
