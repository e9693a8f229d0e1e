import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { originalKey, parseSensorsJson, parseSensorsText, pollect12Readings, sensorReadings, sensorsJsonNotSupported } from "./parse.ts"

const fixture = (name: string) => readFileSync(join(import.meta.dir, "testdata", name), "utf8")
/** `sensors` as a user sees it (recorded on a real machine). */
const display = fixture("nct6798-amdgpu-nvme/display.txt")
/** `sensors -j` and `sensors -u` derived from it (lm-sensors 3.6 print formats). */
const json = fixture("nct6798-amdgpu-nvme/sensors-j.json")
const raw = fixture("nct6798-amdgpu-nvme/sensors-u.txt")

const SCALE: Record<string, number> = { V: 1, mV: 1e-3, W: 1, mW: 1e-3, RPM: 1, "°C": 1 }

/** The recorded display: chip → label → [value in base units, tolerance from the printed decimals]. */
function displayed(text: string): Map<string, Map<string, [number, number]>> {
  const chips = new Map<string, Map<string, [number, number]>>()
  let chip: Map<string, [number, number]> | undefined
  for (const line of text.split("\n")) {
    if (!line.trim()) {
      chip = undefined
      continue
    }
    if (!chip) {
      chips.set(line.trim(), (chip = new Map()))
      continue
    }
    const match = /^([^:(]+):\s+\+?(-?\d+(?:\.(\d+))?)\s*(mV|V|mW|W|RPM|°C)/.exec(line)
    if (!match) continue
    const scale = SCALE[match[4]!]!
    chip.set(match[1]!, [Number(match[2]) * scale, 0.5 * 10 ** -(match[3]?.length ?? 0) * scale + 1e-9])
  }
  return chips
}

describe("sensors output", () => {
  it("-j: chips, adapters and features in order", () => {
    const chips = parseSensorsJson(json)
    expect(chips.map((c) => c.name)).toEqual(["nct6798-isa-0290", "amdgpu-pci-0700", "nvme-pci-0400", "k10temp-pci-00c3", "nvme-pci-0600"])
    expect(chips[0]!.adapter).toBe("ISA adapter")
    expect(chips[0]!.features.find((f) => f.label === "SYSTIN")!.values).toEqual({
      temp1_input: 35,
      temp1_max: 80,
      temp1_max_hyst: 75,
      temp1_alarm: 0,
      temp1_type: 4,
    })
  })

  it("-u gives exactly what -j gives", () => {
    expect(parseSensorsText(raw)).toEqual(parseSensorsJson(json))
  })

  it("every reading matches the recorded display, in base units", () => {
    const shown = displayed(display)
    const readings = sensorReadings(parseSensorsJson(json))
    let compared = 0
    for (const reading of readings) {
      const [value, tolerance] = shown.get(reading.chip)?.get(reading.label) ?? [Number.NaN, 0]
      expect({ ...reading, diff: Math.abs(reading.value - value) <= tolerance }).toEqual({ ...reading, diff: true })
      compared++
    }
    // Every numeric line of the display has a reading (intrusion/beep lines have none).
    expect(compared).toBe([...shown.values()].reduce((n, chip) => n + chip.size, 0))
  })

  it("readings: kinds and readable labels", () => {
    const readings = sensorReadings(parseSensorsJson(json))
    const count = (kind: string) => readings.filter((r) => r.kind === kind).length
    expect([count("voltage"), count("fan"), count("temperature"), count("power")]).toEqual([17, 7, 18, 1])
    expect(readings.find((r) => r.chip === "nct6798-isa-0290" && r.label === "in0")).toEqual({
      chip: "nct6798-isa-0290",
      label: "in0",
      kind: "voltage",
      value: 0.36,
      subfeature: "in0_input",
    })
    expect(readings.find((r) => r.label === "slowPPT")).toMatchObject({ kind: "power", value: 0.002, subfeature: "power1_average" })
    expect(readings.find((r) => r.chip === "nvme-pci-0600" && r.label === "Sensor 2")).toMatchObject({ kind: "temperature", value: 36.85 })
    expect(readings.some((r) => r.label.startsWith("intrusion") || r.label === "beep_enable")).toBe(false)
  })

  it("the original pollect's keys: what its regex took from the display", () => {
    // The seed's parse: lower-cased `label: number` lines of each chip block, spaces → _.
    const original = new Set<string>()
    let chip: string | undefined
    for (const line of display
      .toLowerCase()
      .split("\n")
      .map((l) => l.trim())) {
      if (!line) continue
      if (!line.includes(":")) {
        chip = line.startsWith("(") ? chip : line
        continue
      }
      const match = /^(.+?):\s+\+?(-?[0-9.]+)/.exec(line)
      if (match && !line.startsWith("adapter:")) original.add(`${chip}/${match[1]!.replace(/ /g, "_")}`)
    }
    const ours = new Set(sensorReadings(parseSensorsJson(json)).map((r) => `${r.chip.toLowerCase()}/${originalKey(r.label)}`))
    expect(ours).toEqual(original)
  })

  it("-j quirks of lm-sensors 3.5/3.6 are repaired: trailing comma, `(label)`, nan", () => {
    const quirky = `{
   "acpitz-acpi-0":{
      "Adapter": "ACPI interface",
   },
   "coretemp-isa-0000":{
      "Adapter": "ISA adapter",
      "Package id 0":{
         "temp1_input": 45.000,
         "temp1_max": nan
      },
      "fan1":{
(fan1)
      }
   }
}
`
    const chips = parseSensorsJson(quirky)
    expect(chips.map((c) => c.name)).toEqual(["acpitz-acpi-0", "coretemp-isa-0000"])
    expect(chips[1]!.features).toEqual([
      { label: "Package id 0", values: { temp1_input: 45 } },
      { label: "fan1", values: {} },
    ])
  })

  it("-u of an ASUS atk0110: a feature line beginning with a space (` +3.3 Voltage:`) is a feature, not a sub-reading", () => {
    const chips = parseSensorsText(fixture("atk0110-sensors-u.txt"))
    expect(chips.map((c) => [c.name, c.adapter])).toEqual([["atk0110-acpi-0", "ACPI interface"]])
    const features = chips[0]!.features
    expect(features.map((f) => f.label)).toEqual([
      "Vcore Voltage",
      "+3.3 Voltage",
      "+5 Voltage",
      "+12 Voltage",
      "CPU FAN Speed",
      "CHASSIS FAN Speed",
      "POWER FAN Speed",
      "CPU Temperature",
      "MB Temperature",
    ])
    // Each feature has its own values only: none of in1..in3 lands under Vcore.
    expect(features[0]!.values).toEqual({ in0_input: 1.1, in0_min: 0.85, in0_max: 1.6 })
    expect(features[1]!.values).toEqual({ in1_input: 3.31, in1_min: 2.97, in1_max: 3.63 })
    const voltages = sensorReadings(chips).filter((r) => r.kind === "voltage")
    expect(voltages.map((r) => [originalKey(r.label), r.value])).toEqual([
      ["vcore_voltage", 1.1],
      ["+3.3_voltage", 3.31],
      ["+5_voltage", 5.02],
      ["+12_voltage", 12.1],
    ])
    expect(sensorReadings(chips)).toHaveLength(9)
    // `sensors -j` prints the label as the chip gives it (`" +3.3 Voltage":{`): the same label.
    const json = `{\n   "atk0110-acpi-0":{\n      "Adapter": "ACPI interface",\n      " +3.3 Voltage":{\n         "in1_input": 3.310\n      }\n   }\n}\n`
    expect(parseSensorsJson(json)[0]!.features).toEqual([{ label: "+3.3 Voltage", values: { in1_input: 3.31 } }])
  })

  it("no chips: `{}` with a blank line, as lm-sensors 3.6 prints it", () => {
    expect(parseSensorsJson("{\n\n}\n")).toEqual([])
    expect(parseSensorsText("")).toEqual([])
  })

  it("broken JSON is an error that quotes it", () => {
    expect(() => parseSensorsJson("Usage: sensors [OPTION]... [CHIP]...")).toThrow("sensors -j: not JSON")
  })

  it("knows lm-sensors 3.4's answer to -j", () => {
    expect(sensorsJsonNotSupported("sensors: invalid option -- 'j'\nUsage: sensors [OPTION]... [CHIP]...")).toBe(true)
    expect(sensorsJsonNotSupported("No sensors found!")).toBe(false)
  })
})

describe("sensors display read by pollect 1.2's rules", () => {
  it("stops reading a chip at a line without a number, until the next chip header", () => {
    const text = [
      "it8728-isa-0a30",
      "Adapter: ISA adapter",
      "in0:          +1.20 V  (min =  +0.00 V)",
      "intrusion0:  ALARM",
      "fan1:        1200 RPM",
      "",
      "Coretemp-ISA-0000",
      "Package id 0:  +45.0°C  (high = +80.0°C, crit = +100.0°C)",
      "                       (crit = +84.8°C)",
      "PPT:          12.50 kW",
      "P2:           3.00 uW",
    ].join("\n")
    const { chips, readings } = pollect12Readings(text, true)
    expect(chips).toEqual(["it8728-isa-0a30", "coretemp-isa-0000"])
    expect(readings).toEqual([
      { device: "it8728-isa-0a30", name: "in0", value: 1.2, unit: "V" },
      { device: "coretemp-isa-0000", name: "package_id_0", value: 45, unit: "°C" },
      { device: "coretemp-isa-0000", name: "ppt", value: 12500, unit: "W" },
      // A prefix 1.2 did not know stays as displayed.
      { device: "coretemp-isa-0000", name: "p2", value: 3, unit: "uW" },
    ])
  })

  it("useBaseUnits false: the displayed number and unit", () => {
    const { readings } = pollect12Readings(display, false)
    expect(readings.find((r) => r.name === "in0")).toEqual({ device: "nct6798-isa-0290", name: "in0", value: 360, unit: "mV" })
    expect(readings.find((r) => r.name === "slowppt")).toEqual({ device: "amdgpu-pci-0700", name: "slowppt", value: 2, unit: "mW" })
  })

  it("base units by the same arithmetic as 1.2 (value × 0.001, exactly)", () => {
    const { readings } = pollect12Readings(display, true)
    expect(readings.find((r) => r.name === "in5")?.value).toBe(856 * 0.001)
    expect(readings).toHaveLength(43)
  })
})

describe("a power feature with both powerN_input and powerN_average (testdata/amdgpu-power-input-and-average)", () => {
  const dir = join(import.meta.dir, "testdata/amdgpu-power-input-and-average")
  const power = (chips: ReturnType<typeof parseSensorsJson>) =>
    sensorReadings(chips)
      .filter((r) => r.kind === "power")
      .map((r) => [r.chip, r.label, r.subfeature, r.value])

  it("input wins, as `sensors` shows it; average where it is the only one; one reading per feature, from -j and -u alike", () => {
    const expected = [
      ["amdgpu-pci-0300", "PPT", "power1_input", 31],
      ["power_meter-acpi-0", "power1", "power1_average", 118],
      ["ina219-i2c-1-40", "power1", "power1_input", 2.38],
    ]
    expect(power(parseSensorsJson(readFileSync(join(dir, "sensors-j.json"), "utf8")))).toEqual(expected)
    expect(power(parseSensorsText(readFileSync(join(dir, "sensors-u.txt"), "utf8")))).toEqual(expected)
  })

  it("the order the subfeatures come in does not decide (libsensors lists _average first)", () => {
    for (const values of [
      { power1_average: 24, power1_input: 31 },
      { power1_input: 31, power1_average: 24 },
    ]) {
      const readings = sensorReadings([{ name: "amdgpu-pci-0300", features: [{ label: "PPT", values: { ...values, power1_cap: 186 } }] }])
      expect(readings).toEqual([{ chip: "amdgpu-pci-0300", label: "PPT", kind: "power", value: 31, subfeature: "power1_input" }])
    }
  })
})

describe("sensors output: edge cases of the parsers", () => {
  it("knows getopt's refusals of -j with and without quotes (old glibc prints `-- j`)", () => {
    for (const stderr of [
      "sensors: invalid option -- 'j'",
      "sensors: invalid option -- j",
      "sensors: unrecognized option '-j'",
      "sensors: unrecognized option -j",
    ])
      expect([stderr, sensorsJsonNotSupported(stderr)]).toEqual([stderr, true])
  })

  it("-j repairs: an indented `(label)` line, -nan, inf and -inf, nan without a blank", () => {
    const quirky = `{
   "coretemp-isa-0000":{
      "Adapter": "ISA adapter",
      "Core 0":{
         "temp2_input": 41.000,
         "temp2_max": -nan,
         "temp2_crit": inf,
         "temp2_min": -inf,
         "temp2_crit_hyst":nan,
         (temp2_emergency) 
      }
   }
}
`
    expect(parseSensorsJson(quirky)[0]!.features).toEqual([{ label: "Core 0", values: { temp2_input: 41 } }])
  })

  it("-j: a document that is no object of chips is an error; chips and features that are no objects carry nothing", () => {
    for (const text of ["[]", "null", "42", '"x"'])
      expect(() => parseSensorsJson(text)).toThrow(new Error("sensors -j: expected a JSON object of chips"))
    const chips = parseSensorsJson(`{
      "a-isa-0000": null, "b-isa-0000": 5, "c-isa-0000": "x",
      "d-isa-0000": { "Adapter": "ISA adapter", "note": "x", "nothing": null, "list": [1, 2], "n": 3, "t":{ "temp1_input": 1e999, "temp1_max": 80, "temp1_label": "CPU" } },
      "e-isa-0000": { "Adapter": { "temp1_input": 30 } }
    }`)
    expect(chips).toEqual([
      { name: "a-isa-0000", features: [] },
      { name: "b-isa-0000", features: [] },
      { name: "c-isa-0000", features: [] },
      { name: "d-isa-0000", adapter: "ISA adapter", features: [{ label: "t", values: { temp1_max: 80 } }] },
      // an "Adapter" that is no string is read as a feature of that name
      { name: "e-isa-0000", features: [{ label: "Adapter", values: { temp1_input: 30 } }] },
    ])
  })

  it("-j: broken JSON is quoted trimmed and cut at 120 characters", () => {
    const text = `\n  Usage: sensors [OPTION]... [CHIP]...${"x".repeat(200)}\n`
    expect(() => parseSensorsJson(text)).toThrow(`: ${JSON.stringify(text.trim().slice(0, 120))}`)
  })

  it("-u with CRLF line ends reads as with LF", () => {
    expect(parseSensorsText(raw.replace(/\n/g, "\r\n"))).toEqual(parseSensorsText(raw))
    // the atk0110's feature lines that begin with a blank end in `:` before the CR too
    const atk = fixture("atk0110-sensors-u.txt")
    expect(parseSensorsText(atk.replace(/\n/g, "\r\n"))).toEqual(parseSensorsText(atk))
  })

  it("-u: a line of blanks separates chips; a chip without an Adapter line keeps its first feature", () => {
    const text =
      "k10temp-pci-00c3\nTctl:\n  temp1_input: 45.000\n   \nnvme-pci-0400\nAdapter: PCI adapter\nComposite:\n  temp1_input: 35.850\n"
    expect(parseSensorsText(text)).toEqual([
      { name: "k10temp-pci-00c3", features: [{ label: "Tctl", values: { temp1_input: 45 } }] },
      { name: "nvme-pci-0400", adapter: "PCI adapter", features: [{ label: "Composite", values: { temp1_input: 35.85 } }] },
    ])
  })

  it("-u: lines that are neither header, adapter, feature nor value carry nothing", () => {
    const text = [
      "   stray",
      "   Stray:",
      "coretemp-isa-0000",
      "Adapter: ISA adapter",
      "  temp9_input: 20.000",
      "Core 0:",
      "  temp2_input: 41.000",
      "  temp2_max: nan",
      "(temp2_emergency)",
      "  temp2_crit: 100.000",
      // two blanks after the colon: still a value
      "  temp2_crit_hyst:  90.000",
    ].join("\n")
    expect(parseSensorsText(text)).toEqual([
      {
        name: "coretemp-isa-0000",
        adapter: "ISA adapter",
        features: [{ label: "Core 0", values: { temp2_input: 41, temp2_crit: 100, temp2_crit_hyst: 90 } }],
      },
    ])
  })

  it("the subfeature that is a feature's value: exactly `<kind><n>_input` (and cpu<n>_vid, power<n>_average), any n", () => {
    const kinds: [string, string][] = [
      ["temp12_input", "temperature"],
      ["in10_input", "voltage"],
      ["cpu10_vid", "voltage"],
      ["fan10_input", "fan"],
      ["power10_input", "power"],
      ["power10_average", "power"],
      ["curr10_input", "current"],
      ["energy10_input", "energy"],
      ["humidity10_input", "humidity"],
    ]
    const chip = (names: string[]) => [{ name: "x-isa-0000", features: names.map((name) => ({ label: name, values: { [name]: 1 } })) }]
    expect(sensorReadings(chip(kinds.map(([name]) => name))).map((r) => [r.subfeature, r.kind])).toEqual(kinds)
    const notValues = kinds.flatMap(([name]) => [`x${name}`, `${name}_highest`])
    notValues.push("cpuN_vid", "temp1_max", "fan1_min", "power1_average_interval")
    expect(sensorReadings(chip(notValues))).toEqual([])
  })

  it("pollect 1.2's display units: M and G prefixes scale too (an energy counter in MJ, GJ); CRLF ends are trimmed", () => {
    const text = "amd_energy-isa-0000\r\nAdapter: ISA adapter\r\nEsocket0:     3.51 MJ\r\nEsocket1:     1.25 GJ\r\n"
    expect(pollect12Readings(text, true)).toEqual({
      chips: ["amd_energy-isa-0000"],
      readings: [
        { device: "amd_energy-isa-0000", name: "esocket0", value: 3.51 * 1_000_000, unit: "J" },
        { device: "amd_energy-isa-0000", name: "esocket1", value: 1.25 * 1_000_000_000, unit: "J" },
      ],
    })
  })
})
