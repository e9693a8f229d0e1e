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

const INPUTS: [RegExp, SensorKind][] = [
  [/^temp\d+_input$/, "temperature"],
  [/^in\d+_input$/, "voltage"],
  [/^cpu\d+_vid$/, "voltage"],
  [/^fan\d+_input$/, "fan"],
  [/^power\d+_(input|average)$/, "power"],
  [/^curr\d+_input$/, "current"],
  [/^energy\d+_input$/, "energy"],
  [/^humidity\d+_input$/, "humidity"],
]

/** The current value of each feature (limits, alarms and beeps left out). */
export function sensorReadings(chips: SensorsChip[]): SensorReading[] {
  const readings: SensorReading[] = []
  for (const chip of chips) {
    for (const feature of chip.features) {
      // power has `_input` on some chips and `_average` on others: take the first present.
      for (const [subfeature, value] of Object.entries(feature.values)) {
        const kind = INPUTS.find(([pattern]) => pattern.test(subfeature))?.[1]
        if (!kind) continue
        readings.push({ chip: chip.name, label: feature.label, kind, value, subfeature })
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
