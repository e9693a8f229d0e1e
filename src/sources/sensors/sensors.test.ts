/**
 * Sensors against a fake `sensors` first on PATH replaying recorded output (`-j` of lm-sensors
 * ≥ 3.5, or 3.4's refusal of `-j` and then `-u`), and once against the real lm-sensors.
 */
import { describe, expect, it } from "bun:test"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { promName } from "../../core/naming.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { SensorsSource } from "./index.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { fakeToolPerTest, fakeTools, type FakeCase } from "../../../test/helpers/fake-tool.ts"
import { byPromSeries } from "../../../test/helpers/proc-fixtures.ts"
import { makeLoggedSource } from "../../../test/helpers/logged-source.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { IN_CI, itWithTools } from "../../../test/helpers/tools.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { validateConfig } from "../../config/schema.ts"
import { builtinRegistry } from "../../registry.ts"

const f = (name: string) => join(import.meta.dir, "testdata/nct6798-amdgpu-nvme", name)

const LM_SENSORS_36: FakeCase[] = [{ args: "-j", stdoutFile: f("sensors-j.json") }]
const LM_SENSORS_34: FakeCase[] = [
  { args: "-j", stderr: "sensors: invalid option -- 'j'\nUsage: sensors [OPTION]... [CHIP]...", exit: 1 },
  { args: "-u", stdoutFile: f("sensors-u.txt") },
]

sourceConformance({
  type: "Sensors",
  cls: SensorsSource,
  dir: import.meta.dir,
  // Each case's sensors-j.json is what a fake `sensors -j` first on PATH prints; under
  // `"compat": "1.2"` its display.txt is what `sensors` (no arguments) prints.
  golden: async (testCase) => {
    const sensors =
      testCase.compat === "1.2"
        ? [{ args: "''", stdoutFile: join(testCase.dir, "display.txt") }]
        : [{ args: "-j", stdoutFile: join(testCase.dir, "sensors-j.json") }]
    const undo = fakeTools({ sensors }).onPath()
    try {
      return [await makeSource<SensorsSource>(SensorsSource, testCase.config, { compat: testCase.compat }).probe()]
    } finally {
      undo()
    }
  },
  failing: {
    config: { type: "Sensors" },
    // PATH without sensors: the message names the Debian package.
    setup: () => {
      const old = process.env.PATH
      process.env.PATH = tempDir()
      return () => (process.env.PATH = old)
    },
    message: /sensors not found on PATH \(install the lm-sensors package\)/,
  },
})

const { use: withFake, hide: hideTool } = fakeToolPerTest("sensors")

const graphite = (sets: ValueSet[]) => Object.fromEntries(byGraphitePath(sets, "Sensors"))

/** snake_case series → value (byPromSeries gives the `pollect` scheme's). */
function snakeSeries(sets: ValueSet[]): Record<string, number> {
  const result = resultOf(sets, { type: "Sensors" })
  return Object.fromEntries(
    result.sets.flatMap((set) =>
      set.values.map((value) => [
        `${promName(result, set, value, "snake_case")}{${set.labels.map((l, i) => `${l}="${value.labelValues[i]}"`).join(",")}}`,
        value.value,
      ]),
    ),
  )
}

describe("Sensors with lm-sensors ≥ 3.5 (sensors -j)", () => {
  it("the original's names: value name = chip, label name = feature, lower-cased", async () => {
    withFake(LM_SENSORS_36)
    const sets = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }).probe()
    const values = graphite(sets)
    expect(values["pollect.sensors.nct6798-isa-0290.systin"]).toBe(35)
    expect(values["pollect.sensors.nct6798-isa-0290.smbusmaster_0"]).toBe(31)
    expect(values["pollect.sensors.nct6798-isa-0290.fan2"]).toBe(1869)
    expect(values["pollect.sensors.nvme-pci-0400.composite"]).toBe(35.85)
    expect(values["pollect.sensors.nvme-pci-0600.sensor_2"]).toBe(36.85)
    // Base units, where the original copied the display (360.00 mV → 360, 2.00 mW → 2).
    expect(values["pollect.sensors.nct6798-isa-0290.in0"]).toBe(0.36)
    expect(values["pollect.sensors.amdgpu-pci-0700.slowppt"]).toBe(0.002)
    expect(byPromSeries(sets, "Sensors").get('pollect_Sensors_nct6798_isa_0290{name="systin"}')).toBe(35)
  })

  it("by kind with chip and feature labels and units", async () => {
    withFake(LM_SENSORS_36)
    const sets = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }).probe()
    const snake = snakeSeries(sets)
    expect(snake['pollect_sensors_temperature_celsius{chip="nct6798-isa-0290",feature="SYSTIN"}']).toBe(35)
    expect(snake['pollect_sensors_temperature_celsius{chip="nvme-pci-0400",feature="Sensor 1"}']).toBe(35.85)
    expect(snake['pollect_sensors_fan_rpm{chip="nct6798-isa-0290",feature="fan3"}']).toBe(1648)
    expect(snake['pollect_sensors_voltage_volts{chip="amdgpu-pci-0700",feature="vddnb"}']).toBe(0.931)
    expect(snake['pollect_sensors_power_watts{chip="amdgpu-pci-0700",feature="slowPPT"}']).toBe(0.002)
    expect(graphite(sets)["pollect.sensors.temperature.k10temp-pci-00c3.Tctl"]).toBe(31)
    // No alarms or beeps as readings.
    expect(Object.keys(snake).some((k) => k.includes("intrusion") || k.includes("beep"))).toBe(false)
  })

  it("include and exclude: chip names or globs, case-insensitive; exclude wins", async () => {
    withFake(LM_SENSORS_36)
    const chipsOf = (sets: ValueSet[]) =>
      [...new Set(sets.flatMap((s) => s.values.filter((v) => v.name === "temperature").map((v) => v.labelValues[0])))].sort()
    const probe = (config: Record<string, unknown>) => makeSource<SensorsSource>(SensorsSource, { type: "Sensors", ...config }).probe()
    expect(chipsOf(await probe({ include: ["nvme-*"] }))).toEqual(["nvme-pci-0400", "nvme-pci-0600"])
    expect(chipsOf(await probe({ include: ["K10TEMP-PCI-00C3"] }))).toEqual(["k10temp-pci-00c3"])
    expect(chipsOf(await probe({ include: ["nvme-*"], exclude: ["nvme-pci-0600"] }))).toEqual(["nvme-pci-0400"])
    expect(chipsOf(await probe({ include: [], exclude: ["nct*", "amdgpu*"] }))).toEqual([
      "k10temp-pci-00c3",
      "nvme-pci-0400",
      "nvme-pci-0600",
    ])
  })

  it("the seed's sample (include coretemp-isa-0000) on a machine without it: no values, one warning", async () => {
    withFake(LM_SENSORS_36)
    const { source, lines } = makeLoggedSource<SensorsSource>(SensorsSource, {
      type: "Sensors",
      tickTime: 60,
      include: ["coretemp-isa-0000"],
      exclude: [],
    })
    expect(await source.probe()).toEqual([])
    await source.probe()
    expect(lines.filter((l) => l.includes("WARN"))).toHaveLength(1)
  })

  it("no sensors: a failure that says what to do", async () => {
    // What lm-sensors 3.6 prints on this build machine, which has no hwmon chips.
    const none = join(tempDir(), "none.json")
    await Bun.write(none, "{\n\n}\n")
    withFake([
      { args: "-j", stdoutFile: none, stderr: "No sensors found!\nMake sure you loaded all the kernel drivers you need.", exit: 1 },
    ])
    const error = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("sensors found no chips: No sensors found! (load the hwmon drivers; sensors-detect tells which)")
  })

  it("sensors missing: one error naming it and its package", async () => {
    hideTool()
    const error = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("sensors not found on PATH (install the lm-sensors package)")
  })

  itWithTools(["promtool"], "promtool check metrics passes on the snake_case exposition, every value served", async () => {
    withFake(LM_SENSORS_36)
    const sets = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }).probe()
    const text = snakeCaseExposition(resultOf(sets, { type: "Sensors" }))
    const samples = text.split("\n").filter((line) => line && !line.startsWith("#"))
    expect(samples).toHaveLength(sets.reduce((n, set) => n + set.values.length, 0))
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})

describe("Sensors with lm-sensors < 3.5 (no -j)", () => {
  it("falls back to sensors -u once and gives the same values", async () => {
    const fake = withFake(LM_SENSORS_34)
    const { source, lines } = makeLoggedSource<SensorsSource>(SensorsSource, { type: "Sensors" })
    const text = graphite(await source.probe())
    await source.probe()
    expect(fake.calls()).toEqual(["sensors -j", "sensors -u", "sensors -u"])
    expect(lines.filter((l) => l.includes("lm-sensors < 3.5"))).toHaveLength(1)
    withFake(LM_SENSORS_36)
    const json = graphite(await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }).probe())
    expect(text).toEqual(json)
  })
})

describe("Sensors with the real lm-sensors", () => {
  itWithTools(["sensors"], "reads this machine's chips, or says there are none", async () => {
    const result = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" })
      .probe()
      .then((sets) => ({ sets }))
      .catch((error: Error) => ({ error }))
    if ("error" in result) {
      // Containers and VMs often have no hwmon chips: lm-sensors says so, and so do we.
      expect(result.error.message).toStartWith("sensors found no chips")
      if (!IN_CI) console.log(`real sensors: ${result.error.message}`)
      return
    }
    const readings = result.sets.flatMap((set) => set.values)
    expect(readings.length).toBeGreaterThan(0)
    for (const value of readings) expect(Number.isFinite(value.value)).toBe(true)
  })
})

describe('Sensors under "compat": "1.2", side by side with pollect 1.2', () => {
  const dir = join(import.meta.dir, "testdata/python-1.2")
  const DISPLAY: FakeCase[] = [{ args: "''", stdoutFile: f("display.txt") }]
  const probe = (config: Record<string, unknown>) =>
    makeSource<SensorsSource>(SensorsSource, { type: "Sensors", ...config }, { compat: "1.2" }).probe()

  it("runs `sensors` with no arguments, as 1.2 did, and gives 1.2's series: names, labels and values", async () => {
    const fake = withFake(DISPLAY)
    // The two sources of testdata/python-1.2/pollect-1.2.json.
    const results = [
      resultOf(await probe({}), { type: "Sensors", id: "a" }),
      resultOf(await probe({ name: "raw", useBaseUnits: false }), { type: "Sensors", name: "raw", id: "b" }),
    ]
    expect(fake.calls()).toEqual(["sensors ", "sensors "])
    const { python, ours } = sideBySide(readFileSync(join(dir, "metrics.txt"), "utf8"), pollectExposition(results))
    expect(python.size).toBe(86)
    expect(ours).toEqual(python)
    expect(python.get('pollect_Sensors{device="nct6798-isa-0290",name="in0",unit="V"}')).toBe(0.36)
    expect(python.get('pollect_Sensors_raw{device="nct6798-isa-0290",name="in0",unit="mV"}')).toBe(360)
  })

  it("emits only 1.2's set: no `-j`, no by-kind metrics", async () => {
    withFake(DISPLAY)
    const sets = await probe({})
    expect(sets.map((set) => set.labels)).toEqual([["device", "name", "unit"]])
    expect(Object.keys(graphite(sets))).toContain("pollect.sensors.nvme-pci-0600.sensor_2.°C")
  })

  it("include/exclude filter 1.2's chips (lower-cased names); none left: one warning", async () => {
    withFake(DISPLAY)
    const devices = (sets: ValueSet[]) => [...new Set(sets.flatMap((s) => s.values.map((v) => v.labelValues[0])))].sort()
    expect(devices(await probe({ include: ["nvme-*"], exclude: ["nvme-pci-0600"] }))).toEqual(["nvme-pci-0400"])
    const lines: string[] = []
    const source = makeSource<SensorsSource>(SensorsSource, { type: "Sensors", include: ["coretemp-*"] }, { compat: "1.2", log: lines })
    expect(await source.probe()).toEqual([])
    expect(lines.filter((l) => l.includes("WARN"))).toHaveLength(1)
  })
})

describe("Sensors: options, messages and names", () => {
  const noChipsJson = () => {
    const none = join(tempDir(), "none.json")
    writeFileSync(none, "{\n\n}\n")
    return none
  }

  it("include and exclude null (as YAML's `include:` gives them) read every chip", async () => {
    withFake(LM_SENSORS_36)
    const sets = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors", include: null, exclude: null }).probe()
    const chips = new Set(sets.flatMap((s) => s.values.filter((v) => v.name === "temperature").map((v) => v.labelValues[0])))
    expect(chips.size).toBe(5)
  })

  it("include/exclude leaving no chip: the warning says so, once", async () => {
    withFake(LM_SENSORS_36)
    const { source, lines } = makeLoggedSource<SensorsSource>(SensorsSource, { type: "Sensors", exclude: ["*"] })
    await source.probe()
    await source.probe()
    expect(lines.filter((l) => l.includes("WARN"))).toEqual([expect.stringContaining("include/exclude leave no chip to read")])
  })

  it("no chip and nothing on stderr: the message has no empty reason", async () => {
    withFake([{ args: "-j", stdoutFile: noChipsJson() }])
    const error = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("sensors found no chips (load the hwmon drivers; sensors-detect tells which)")
  })

  it("the reason is stderr's first line with text, blank lines before it skipped", async () => {
    withFake([
      {
        args: "-j",
        stdoutFile: noChipsJson(),
        stderr: "\n\nNo sensors found!\nMake sure you loaded all the kernel drivers you need.",
        exit: 1,
      },
    ])
    const error = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("sensors found no chips: No sensors found! (load the hwmon drivers; sensors-detect tells which)")
  })

  it("sensors gone after the fall-back to -u: the error still names the package", async () => {
    withFake(LM_SENSORS_34)
    const source = makeSource<SensorsSource>(SensorsSource, { type: "Sensors" })
    await source.probe()
    hideTool()
    const error = await source.probe().catch((e) => e)
    expect(error.message).toBe("sensors not found on PATH (install the lm-sensors package)")
  })

  it("snake_case names carry the units of current, energy (a counter) and humidity", async () => {
    withFake([{ args: "-j", stdoutFile: join(import.meta.dir, "testdata/k10temp-energy-humidity/sensors-j.json") }])
    const names = new Set(
      Object.keys(snakeSeries(await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }).probe())).map((k) => k.split("{")[0]!),
    )
    expect([...names].filter((n) => /^pollect_sensors_(current|energy|humidity)_/.test(n)).sort()).toEqual([
      "pollect_sensors_current_amperes",
      "pollect_sensors_energy_joules_total",
      "pollect_sensors_humidity_ratio",
    ])
  })

  it("config validation keeps include, exclude and useBaseUnits (no unknown-key warning)", () => {
    const checked = validateConfig(
      { executors: [{ sources: [{ type: "Sensors", include: ["nvme-*"], exclude: ["nvme-pci-0600"], useBaseUnits: false }] }] },
      builtinRegistry(),
    )
    if ("problems" in checked) throw new Error(checked.problems.join("\n"))
    expect(checked.executors[0]!.sources[0]!.config).toMatchObject({ include: ["nvme-*"], exclude: ["nvme-pci-0600"], useBaseUnits: false })
    expect(checked.warnings.filter((w) => w.includes("(Sensors)"))).toEqual([])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Sensors", aliases: [], cls: SensorsSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})

describe('Sensors under "compat": "1.2": failures and warnings', () => {
  const DISPLAY: FakeCase[] = [{ args: "''", stdoutFile: f("display.txt") }]

  it("sensors missing: the error names the package", async () => {
    hideTool()
    const error = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }, { compat: "1.2" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("sensors not found on PATH (install the lm-sensors package)")
  })

  it("no chips: the same failure as under 1.0, with sensors' reason", async () => {
    const empty = join(tempDir(), "empty.txt")
    await Bun.write(empty, "")
    withFake([
      { args: "''", stdoutFile: empty, stderr: "No sensors found!\nMake sure you loaded all the kernel drivers you need.", exit: 1 },
    ])
    const error = await makeSource<SensorsSource>(SensorsSource, { type: "Sensors" }, { compat: "1.2" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("sensors found no chips: No sensors found! (load the hwmon drivers; sensors-detect tells which)")
  })

  it("include matching some chips: no warning; matching none: one warning over several probes, saying why", async () => {
    withFake(DISPLAY)
    const some: string[] = []
    const source = makeSource<SensorsSource>(SensorsSource, { type: "Sensors", include: ["nvme-*"] }, { compat: "1.2", log: some })
    expect((await source.probe()).length).toBe(1)
    await source.probe()
    expect(some.filter((l) => l.includes("WARN"))).toEqual([])
    const none: string[] = []
    const nothing = makeSource<SensorsSource>(SensorsSource, { type: "Sensors", include: ["coretemp-*"] }, { compat: "1.2", log: none })
    await nothing.probe()
    await nothing.probe()
    expect(none.filter((l) => l.includes("WARN"))).toEqual([expect.stringContaining("include/exclude leave no chip to read")])
  })
})
