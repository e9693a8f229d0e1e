/**
 * Parsers for lm-sensors' `sensors` output: `-j` (JSON, lm-sensors ≥ 3.5) and `-u` (raw text, any
 * 3.x). Both give the same chips → features → subfeature values, in the units libsensors uses
 * (°C, V, RPM, W, A, J, %RH), which are the base units. Pure functions: text in, data out.
 */

export interface SensorsFeature {
  /** The feature's label as `sensors` shows it: `SYSTIN`, `Composite`, `in0`. */
  label: string
  /** Subfeature values by name: `temp1_input`, `temp1_max`, ... */
  values: Record<string, number>
}

export interface SensorsChip {
  /** `nct6798-isa-0290` */
  name: string
  adapter?: string
  features: SensorsFeature[]
}

export type SensorKind = "temperature" | "voltage" | "fan" | "power" | "current" | "energy" | "humidity"

/** One reading worth reporting: a feature's current value, by kind. */
export interface SensorReading {
  chip: string
  /** The feature's label (`SYSTIN`); the readable name of `temp1_input`. */
  label: string
  kind: SensorKind
  value: number
  /** The subfeature it came from: `temp1_input`. */
  subfeature: string
}

/** `sensors -j` is not known (lm-sensors < 3.5): getopt's complaint. */
export function sensorsJsonNotSupported(stderr: string): boolean {
  return /invalid option -- '?j'?/.test(stderr) || /unrecognized option '?-j'?/.test(stderr)
}

/**
 * `sensors -j`. lm-sensors 3.5/3.6 print JSON by hand and get it wrong in corner cases: a chip
 * without readable features leaves a trailing comma, an unreadable subfeature prints `(label)`,
 * and a NaN prints `nan`. Those are repaired before parsing; anything else is an error.
 */
export function parseSensorsJson(text: string): SensorsChip[] {
  const repaired = text
    .replace(/^\s*\([^\n]*\),?\s*$/gm, "")
    .replace(/:\s*[-+]?(nan|inf(inity)?)\b/gi, ": null")
    .replace(/,(\s*[}\]])/g, "$1")
  let data: unknown
  try {
    data = JSON.parse(repaired)
  } catch (error) {
    throw new Error(`sensors -j: not JSON (${(error as Error).message}): ${JSON.stringify(text.trim().slice(0, 120))}`)
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new Error("sensors -j: expected a JSON object of chips")
  return Object.entries(data as Record<string, unknown>).map(([name, body]) => {
    const chip: SensorsChip = { name, features: [] }
    if (typeof body !== "object" || body === null) return chip
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (key === "Adapter" && typeof value === "string") chip.adapter = value
      else if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        const values: Record<string, number> = {}
        for (const [sub, number] of Object.entries(value as Record<string, unknown>)) {
          if (typeof number === "number" && Number.isFinite(number)) values[sub] = number
        }
        chip.features.push({ label: featureLabel(key), values })
      }
    }
    return chip
  })
}

/**
 * `sensors -u`:
 * ```
 * nct6798-isa-0290
 * Adapter: ISA adapter
 * SYSTIN:
 *   temp1_input: 35.000
 * ```
 * Chips are separated by a blank line; subfeature lines are indented and carry a value. A
 * feature line ends with a colon and may begin with a space (atk0110: ` +3.3 Voltage:`).
 */
export function parseSensorsText(text: string): SensorsChip[] {
  const chips: SensorsChip[] = []
  let chip: SensorsChip | undefined
  let feature: SensorsFeature | undefined
  let afterHeader = false
  for (const line of text.split("\n")) {
    if (!line.trim()) {
      chip = undefined
      feature = undefined
      continue
    }
    // A subfeature line is indented and has a value after its colon (`  in1_input: 3.310`). An
    // indented line without one is a feature whose label begins with a space: ASUS atk0110
    // prints ` +3.3 Voltage:` (the label its ACPI table gives), which is not a sub-reading.
    const sub = /^\s+(\S+):\s+(\S+)\s*$/.exec(line)
    if (sub) {
      const value = Number(sub[2])
      if (feature && Number.isFinite(value)) feature.values[sub[1]!] = value
      continue
    }
    if (/^\s/.test(line) && (!chip || !line.trimEnd().endsWith(":"))) continue
    if (!chip) {
      chip = { name: line.trim(), features: [] }
      chips.push(chip)
      afterHeader = true
      continue
    }
    if (afterHeader && line.startsWith("Adapter: ")) {
      chip.adapter = line.slice("Adapter: ".length).trim()
      afterHeader = false
      continue
    }
    afterHeader = false
    if (line.trimEnd().endsWith(":")) {
      feature = { label: featureLabel(line.trimEnd().slice(0, -1)), values: {} }
      chip.features.push(feature)
    }
    // anything else: `(label)` for an unreadable subfeature; nothing to read
  }
  return chips
}

/**
 * A feature's label without the padding some chips put around it (atk0110: ` +3.3 Voltage`),
 * as Telegraf's sensors input trims it; `-j` and `-u` then agree.
 */
function featureLabel(label: string): string {
  return label.trim()
}

/**
 * The subfeatures that are a feature's current value, in order of preference. Power is
 * `powerN_input` (instantaneous) on some chips, `powerN_average` on others, both on some
 * (amdgpu on newer kernels): as `sensors` itself shows it (`print_chip_power()`: "display the
 * average power if the instantaneous power attribute does not exist"), input wins. libsensors
 * lists `_average` first (its subfeature number is lower), so the order of the output does not
 * decide.
 */
const INPUTS: [RegExp, SensorKind][] = [
  [/^temp\d+_input$/, "temperature"],
  [/^in\d+_input$/, "voltage"],
  [/^cpu\d+_vid$/, "voltage"],
  [/^fan\d+_input$/, "fan"],
  [/^power\d+_input$/, "power"],
  [/^power\d+_average$/, "power"],
  [/^curr\d+_input$/, "current"],
  [/^energy\d+_input$/, "energy"],
  [/^humidity\d+_input$/, "humidity"],
]

/** The current value of each feature, one per feature (limits, alarms and beeps left out). */
export function sensorReadings(chips: SensorsChip[]): SensorReading[] {
  const readings: SensorReading[] = []
  for (const chip of chips) {
    for (const feature of chip.features) {
      const names = Object.keys(feature.values)
      for (const [pattern, kind] of INPUTS) {
        const subfeature = names.find((name) => pattern.test(name))
        if (subfeature === undefined) continue
        readings.push({ chip: chip.name, label: feature.label, kind, value: feature.values[subfeature]!, subfeature })
        break
      }
    }
  }
  return readings
}

/** How the original pollect named a feature: its label lower-cased, spaces → `_` (`SMBUSMASTER 0` → `smbusmaster_0`). */
export function originalKey(label: string): string {
  return label.toLowerCase().replace(/ /g, "_")
}

/** A reading as pollect 1.2 took it from `sensors`' display: chip (lower-cased), key, value, unit. */
export interface Pollect12Reading {
  /** The chip's header line lower-cased: `nct6798-isa-0290`. */
  device: string
  /** The label lower-cased, spaces → `_`: `smbusmaster_0`. */
  name: string
  value: number
  /** The displayed unit (`mV`, `°C`, `RPM`), or its base unit (`V`) with `useBaseUnits`. */
  unit: string
}

/** `label:  +35.0°C  (high = …)`: the label, the displayed number, the rest of the line. */
const DISPLAY_READING = /^(.+?):\s+\+?(-?[0-9.]+)(.*)$/

/**
 * `sensors` with no arguments (the display), read by pollect 1.2's rules: a line without a
 * colon starts a chip (`nct6798-isa-0290`), `Adapter:` and indented continuation lines
 * (`(crit = +84.8°C)`) are skipped, a reading line gives label, number and unit, and a line
 * that is neither (`intrusion0:  ALARM`, `beep_enable: disabled`) ends the chip: what follows
 * until the next header is not read. `wanted` filters chips by their lower-cased name.
 */
export function pollect12Readings(
  text: string,
  useBaseUnits: boolean,
  wanted: (chip: string) => boolean = () => true,
): {
  chips: string[]
  readings: Pollect12Reading[]
} {
  const chips: string[] = []
  const readings: Pollect12Reading[] = []
  let device: string | undefined
  for (const raw of text.split("\n")) {
    if (raw.startsWith(" ")) continue
    const line = raw.trim()
    if (!line) continue
    if (!line.includes(":")) {
      chips.push(line.toLowerCase())
      device = wanted(line.toLowerCase()) ? line.toLowerCase() : undefined
      continue
    }
    if (line.split(":")[0] === "Adapter") continue
    const match = DISPLAY_READING.exec(line)
    if (!match) {
      device = undefined
      continue
    }
    const number = Number(match[2])
    if (device === undefined || !Number.isFinite(number)) continue
    const [value, unit] = displayUnit(number, match[3]!, useBaseUnits)
    readings.push({ device, name: match[1]!.replace(/ /g, "_").toLowerCase(), value, unit })
  }
  return { chips, readings }
}

/** Prefixes of a two-letter unit and their factors, as pollect 1.2 scaled them (`mV` → `V` × 0.001). */
const PREFIXES = ["m", "", "k", "M", "G"]

/** The unit word after the number (`mV` of ` mV (min = …)`), and with `toBase` the value in its base unit. */
function displayUnit(value: number, rest: string, toBase: boolean): [number, string] {
  const unit = rest.trim().split(" ")[0]!
  if (!toBase || unit.startsWith("°") || [...unit].length !== 2) return [value, unit]
  // The factor is built by the same steps (× 1000 from 0.001), so the doubles are 1.2's exactly.
  let factor = 0.001
  for (const prefix of PREFIXES) {
    if (prefix === unit[0]) return [value * factor, unit.slice(1)]
    factor *= 1000
  }
  return [value, unit]
}
