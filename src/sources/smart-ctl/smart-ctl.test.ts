/**
 * SmartCtl against a fake `smartctl` first on PATH that replays recorded outputs (the source
 * finds it exactly as it finds the real one), and once against the real smartctl.
 */
import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { Registry } from "../../core/registry.ts"
import { promName } from "../../core/naming.ts"
import { validateConfig } from "../../config/schema.ts"
import { attributeUnit, SmartCtlSource } from "./index.ts"
import { builtinSources } from "../index.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { readFileSync, writeFileSync } from "node:fs"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { builtinRegistry } from "../../registry.ts"
import type { SourceContext } from "../../core/plugin.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { fakeToolPerTest, fakeTools, type FakeCase } from "../../../test/helpers/fake-tool.ts"
import { byPromSeries } from "../../../test/helpers/proc-fixtures.ts"
import { makeLoggedSource } from "../../../test/helpers/logged-source.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { findTool, IN_CI, itWithTools } from "../../../test/helpers/tools.ts"

/** The recordings live in the golden cases: smartctl 7's JSON in testdata/smartctl-7, smartctl 6's text in testdata/smartctl-6. */
const f = (name: string) => join(import.meta.dir, "testdata", name.endsWith(".json") ? "smartctl-7" : "smartctl-6", name)

interface Replay {
  args: string
  stdout: string
  exit?: number
}

sourceConformance({
  type: "SmartCtl",
  cls: SmartCtlSource,
  dir: import.meta.dir,
  // Each case's replay.json lists what a fake `smartctl` first on PATH answers to which arguments
  // (files relative to the case: the compat-1.2 cases replay the smartctl-6/7 recordings).
  golden: async (testCase) => {
    const replay: Replay[] = JSON.parse(readFileSync(join(testCase.dir, "replay.json"), "utf8"))
    const fake = fakeTools({
      smartctl: replay.map((r) => ({ args: r.args, stdoutFile: join(testCase.dir, r.stdout), exit: r.exit })),
    })
    const undo = fake.onPath()
    try {
      return [await makeSource<SmartCtlSource>(SmartCtlSource, testCase.config, { compat: testCase.compat }).probe()]
    } finally {
      undo()
    }
  },
  failing: {
    config: { type: "SmartCtl" },
    // PATH without smartctl: the message names the Debian package.
    setup: () => {
      const old = process.env.PATH
      process.env.PATH = tempDir()
      return () => (process.env.PATH = old)
    },
    message: /smartctl not found on PATH \(install the smartmontools package\)/,
  },
})

/** smartctl ≥ 7: sda and nvme0 answer, sdb sleeps. */
const SMARTCTL_7: FakeCase[] = [
  { args: "--scan --json", stdoutFile: f("scan.json") },
  { args: "--json --all -n standby -d sat /dev/sda", stdoutFile: f("sda.json") },
  { args: "--json --all -n standby -d sat /dev/sdb", stdoutFile: f("sdb-standby.json"), exit: 2 },
  { args: "--json --all -n standby -d nvme /dev/nvme0", stdoutFile: f("nvme.json") },
]

/** smartctl 6: no --json. */
const SMARTCTL_6: FakeCase[] = [
  { args: "*--json*", stdoutFile: f("json-unrecognized-6.txt"), exit: 1 },
  { args: "--scan", stdoutFile: f("scan-6.txt") },
  { args: "-i -H -A -n standby -d sat /dev/sda", stdoutFile: f("sda-6.txt") },
  { args: "-i -H -A -n standby -d sat /dev/sdb", stdoutFile: f("sdb-standby-6.txt"), exit: 2 },
  { args: "-i -H -A -n standby -d nvme /dev/nvme0", stdoutFile: f("nvme-6.txt") },
]

const { use: withFake, hide: hideTool } = fakeToolPerTest("smartctl")

const graphite = (sets: ValueSet[]) => Object.fromEntries(byGraphitePath(sets, "SmartCtl"))

/** snake_case series names with their labels (byPromSeries gives the `pollect` scheme's). */
function snakeSeries(sets: ValueSet[]): string[] {
  const result = resultOf(sets, { type: "SmartCtl" })
  return result.sets.flatMap((set) =>
    set.values.map(
      (value) => `${promName(result, set, value, "snake_case")}{${set.labels.map((l, i) => `${l}=${value.labelValues[i]}`).join(",")}}`,
    ),
  )
}

describe("SmartCtl with smartctl ≥ 7 (JSON)", () => {
  it("reads every disk --scan finds, with -n standby and the scanned -d type", async () => {
    const fake = withFake(SMARTCTL_7)
    const source = makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" })
    await source.probe()
    expect(fake.calls().sort()).toEqual(
      [
        "smartctl --scan --json",
        "smartctl --json --all -n standby -d sat /dev/sda",
        "smartctl --json --all -n standby -d sat /dev/sdb",
        "smartctl --json --all -n standby -d nvme /dev/nvme0",
      ].sort(),
    )
  })

  it("the original's names for ATA attributes: raw value, label dev", async () => {
    withFake(SMARTCTL_7)
    const sets = await makeSource<SmartCtlSource>(SmartCtlSource, {
      type: "SmartCtl",
      attributes: ["Temperature_Celsius", "Reallocated_Sector_Ct", "Power_Cycle_Count"],
    }).probe()
    const values = graphite(sets)
    expect(values["pollect.smartctl.Temperature_Celsius.sda"]).toBe(32)
    expect(values["pollect.smartctl.Reallocated_Sector_Ct.sda"]).toBe(0)
    expect(values["pollect.smartctl.Power_Cycle_Count.sda"]).toBe(23)
    // Only the listed attributes (no Spin_Up_Time), and nothing of the sleeping sdb.
    expect(Object.keys(values).some((k) => k.includes("Spin_Up_Time"))).toBe(false)
    expect(Object.keys(values).some((k) => k.includes(".sdb"))).toBe(false)
    const pollect = [...byPromSeries(sets, "SmartCtl").keys()]
    expect(pollect).toContain('pollect_SmartCtl_Temperature_Celsius{dev="sda"}')
    expect(pollect).toContain('pollect_SmartCtl_Reallocated_Sector_Ct{dev="sda"}')
  })

  it("beside them: normalised values, health, temperature, power-on time and the NVMe health log, labelled device/model/serial", async () => {
    withFake(SMARTCTL_7)
    const sets = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe()
    const values = graphite(sets)
    const sda = "sda.WDC_WD30EFRX-68EUZN0.WD-xxxxxxxx"
    const nvme = "nvme0.SAMSUNG_MZVL2256HCHQ-00B00.xxxxxxxx"
    expect(values[`pollect.smartctl.attribute_normalized.${sda}.Temperature_Celsius`]).toBe(118)
    expect(values["pollect.smartctl.Power_On_Hours.sda"]).toBe(54781)
    expect(values[`pollect.smartctl.health.${sda}`]).toBe(1)
    expect(values[`pollect.smartctl.current_temperature.${sda}`]).toBe(32)
    expect(values[`pollect.smartctl.power_on_time.${sda}`]).toBe(54781 * 3600)
    expect(values[`pollect.smartctl.power_cycles.${sda}`]).toBe(23)
    expect(values[`pollect.smartctl.health.${nvme}`]).toBe(1)
    expect(values[`pollect.smartctl.current_temperature.${nvme}`]).toBe(36)
    expect(values[`pollect.smartctl.percentage_used.${nvme}`]).toBe(0)
    expect(values[`pollect.smartctl.available_spare.${nvme}`]).toBe(100)
    expect(values[`pollect.smartctl.data_read.${nvme}`]).toBe(3759 * 512_000)
    expect(values[`pollect.smartctl.data_written.${nvme}`]).toBe(576277 * 512_000)
    expect(values[`pollect.smartctl.power_on_time.${nvme}`]).toBe(5 * 3600)
    expect(values[`pollect.smartctl.media_errors.${nvme}`]).toBe(0)
    const snake = snakeSeries(sets)
    expect(snake).toContain("pollect_smart_ctl_data_written_bytes_total{device=nvme0,model=SAMSUNG MZVL2256HCHQ-00B00,serial=xxxxxxxx}")
    expect(snake).toContain("pollect_smart_ctl_power_on_time_seconds_total{device=sda,model=WDC WD30EFRX-68EUZN0,serial=WD-xxxxxxxx}")
    expect(snake).toContain("pollect_smart_ctl_percentage_used_ratio{device=nvme0,model=SAMSUNG MZVL2256HCHQ-00B00,serial=xxxxxxxx}")
    expect(snake).toContain("pollect_smart_ctl_temperature_celsius{dev=sda}")
    // The original's Power_On_Hours in base units (the Prometheus writer scales it ×3600).
    expect(snake).toContain("pollect_smart_ctl_power_on_seconds{dev=sda}")
    expect(snake).toContain(
      "pollect_smart_ctl_attribute_normalized{device=sda,model=WDC WD30EFRX-68EUZN0,serial=WD-xxxxxxxx,attribute=Power_On_Hours}",
    )
  })

  it("a failed health check is 0", async () => {
    const dir = tempDir()
    const failing = join(dir, "sda-failing.json")
    const data = JSON.parse(await Bun.file(f("sda.json")).text())
    data.smart_status.passed = false
    data.smartctl.exit_status = 8 // bit 3: DISK FAILING, the data itself was read fine
    await Bun.write(failing, JSON.stringify(data))
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sda", stdoutFile: failing, exit: 8 },
      { args: "*/dev/sdb", stdoutFile: f("sdb-standby.json"), exit: 2 },
      { args: "*/dev/nvme0", stdoutFile: f("nvme.json") },
    ])
    const values = graphite(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe())
    expect(values["pollect.smartctl.health.sda.WDC_WD30EFRX-68EUZN0.WD-xxxxxxxx"]).toBe(0)
  })

  it("attributes sharing a name (Unknown_Attribute): the first keeps it, the others get their ID", async () => {
    const file = join(tempDir(), "unknown.json")
    const data = JSON.parse(await Bun.file(f("sda.json")).text())
    const unknown = (id: number, raw: number) => ({
      id,
      name: "Unknown_Attribute",
      value: 100,
      worst: 100,
      thresh: 0,
      raw: { value: raw, string: String(raw) },
    })
    data.ata_smart_attributes.table = [unknown(16, 7), unknown(17, 9)]
    await Bun.write(file, JSON.stringify(data))
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sda", stdoutFile: file },
    ])
    const values = graphite(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sda"] }).probe())
    expect(values["pollect.smartctl.Unknown_Attribute.sda"]).toBe(7)
    expect(values["pollect.smartctl.Unknown_Attribute_17.sda"]).toBe(9)
  })

  it("units from attribute names, so snake_case names come out in base units", () => {
    expect(
      [
        "Temperature_Celsius",
        "Airflow_Temperature_Cel",
        "Power_On_Hours",
        "Power_On_Minutes",
        "Power_On_Hours_and_Msec",
        "Head_Flying_Hours",
        "Load_Cycle_Count",
      ].map(attributeUnit),
    ).toEqual(["celsius", "celsius", "hours", "minutes", "hours", "hours", ""])
  })

  it("devices: regexes at the start of the name, with or without /dev/", async () => {
    const fake = withFake(SMARTCTL_7)
    await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["nvme"] }).probe()
    expect(fake.calls().filter((c) => c.includes("--all"))).toEqual(["smartctl --json --all -n standby -d nvme /dev/nvme0"])
    const fake2 = withFake(SMARTCTL_7)
    await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sd[a-z]+$"] }).probe()
    expect(
      fake2
        .calls()
        .filter((c) => c.includes("--all"))
        .sort(),
    ).toEqual(["smartctl --json --all -n standby -d sat /dev/sda", "smartctl --json --all -n standby -d sat /dev/sdb"])
    const fake3 = withFake(SMARTCTL_7)
    await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["/dev/sda"] }).probe()
    expect(fake3.calls().filter((c) => c.includes("--all"))).toEqual(["smartctl --json --all -n standby -d sat /dev/sda"])
  })

  it("devices are RE2 syntax: Python's (?i) works; an alternation stays anchored at the start", async () => {
    const fake = withFake(SMARTCTL_7)
    await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["(?i)NVME"] }).probe()
    expect(fake.calls().filter((c) => c.includes("--all"))).toEqual(["smartctl --json --all -n standby -d nvme /dev/nvme0"])
    const fake2 = withFake(SMARTCTL_7)
    await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["xyz|sda"] }).probe()
    expect(fake2.calls().filter((c) => c.includes("--all"))).toEqual(["smartctl --json --all -n standby -d sat /dev/sda"])
  })

  it("a disk in standby is not woken and is no error; only standby disks: no values, no error", async () => {
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sd?", stdoutFile: f("sdb-standby.json"), exit: 2 },
      { args: "*/dev/nvme0", stdoutFile: f("nvme.json") },
    ])
    const { source, lines } = makeLoggedSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sd"] })
    expect(await source.probe()).toEqual([])
    expect(lines.filter((l) => /WARN|ERROR/.test(l))).toEqual([])
  })

  it("a disk that cannot be read: the others still report, the failure is logged once", async () => {
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sda", stdoutFile: f("sda.json") },
      { args: "*/dev/sdb", stdoutFile: f("open-failed.json"), exit: 2 },
      { args: "*/dev/nvme0", stdoutFile: f("nvme.json") },
    ])
    const { source, lines } = makeLoggedSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" })
    const values = graphite(await source.probe())
    await source.probe()
    expect(values["pollect.smartctl.Temperature_Celsius.sda"]).toBe(32)
    expect(values["pollect.smartctl.current_temperature.nvme0.SAMSUNG_MZVL2256HCHQ-00B00.xxxxxxxx"]).toBe(36)
    const warnings = lines.filter((l) => l.includes("WARN"))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("/dev/sdb: Smartctl open device: /dev/sdz failed: No such device")
  })

  it("every disk failing fails the probe with smartctl's messages", async () => {
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*", stdoutFile: f("open-failed.json"), exit: 2 },
    ])
    const error = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sda"] })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("/dev/sda: Smartctl open device: /dev/sdz failed: No such device")
  })

  it("no disks found: no values, no error", async () => {
    withFake([{ args: "--scan --json", stdoutFile: f("scan-none.json") }])
    expect(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe()).toEqual([])
  })

  it("smartctl missing: one error naming it and its package", async () => {
    hideTool()
    const error = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("smartctl not found on PATH (install the smartmontools package)")
  })

  itWithTools(["promtool"], "promtool check metrics passes on the snake_case exposition, every value served", async () => {
    withFake(SMARTCTL_7)
    const sets = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe()
    const text = snakeCaseExposition(resultOf(sets, { type: "SmartCtl" }))
    const samples = text.split("\n").filter((line) => line && !line.startsWith("#"))
    expect(samples).toHaveLength(sets.reduce((n, set) => n + set.values.length, 0))
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})

describe("SmartCtl with smartctl 6 (text)", () => {
  it("notices that --json is unknown once, then reads the text output", async () => {
    const fake = withFake(SMARTCTL_6)
    const { source, lines } = makeLoggedSource<SmartCtlSource>(SmartCtlSource, {
      type: "SmartCtl",
      attributes: ["Temperature_Celsius", "Reallocated_Sector_Ct"],
    })
    const values = graphite(await source.probe())
    await source.probe()
    expect(fake.calls().filter((c) => c.includes("json"))).toEqual(["smartctl --scan --json"])
    expect(lines.filter((l) => l.includes("smartctl < 7"))).toHaveLength(1)
    expect(values["pollect.smartctl.Temperature_Celsius.sda"]).toBe(32)
    expect(values["pollect.smartctl.Reallocated_Sector_Ct.sda"]).toBe(2203)
    expect(values["pollect.smartctl.health.sda.ST3000DM001-1CH166.Z1F0XXXX"]).toBe(1)
    expect(values["pollect.smartctl.power_on_time.sda.ST3000DM001-1CH166.Z1F0XXXX"]).toBe(57479 * 3600)
    expect(values["pollect.smartctl.data_written.nvme0.SAMSUNG_MZVL2256HCHQ-00B00.xxxxxxxx"]).toBe(576277 * 512_000)
    expect(Object.keys(values).some((k) => k.includes(".sdb"))).toBe(false)
  })

  it("gives the same NVMe values as smartctl 7's JSON", async () => {
    withFake(SMARTCTL_6)
    const text = graphite(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["nvme"] }).probe())
    withFake(SMARTCTL_7)
    const json = graphite(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["nvme"] }).probe())
    expect(text).toEqual(json)
  })
})

describe("SmartCtl options", () => {
  const registry = new Registry().addSources(builtinSources)
  const config = (devices: unknown) => ({
    executors: [{ collection: "pollect", sources: [{ type: "SmartCtl", attributes: ["Temperature_Celsius"], devices }] }],
  })

  it("the seed's sample regex `sd[a-z}+$` is a config error naming it, not a crash", () => {
    const result = validateConfig(config(["sd[a-z}+$"]), registry)
    expect("problems" in result).toBe(true)
    const problems = (result as { problems: string[] }).problems
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(
      /^executors\[0\]\.sources\[0\].*devices\[0\]: invalid regular expression "sd\[a-z\}\+\$": missing closing \]/,
    )
  })

  it("valid regexes and absent lists pass", () => {
    expect("problems" in validateConfig(config(["sd[a-z]+$", "nvme\\d"]), registry)).toBe(false)
    expect("problems" in validateConfig({ executors: [{ collection: "pollect", sources: [{ type: "SmartCtl" }] }] }, registry)).toBe(false)
  })
})

describe("SmartCtl with the real smartctl", () => {
  itWithTools(["smartctl"], "probes without error (values only where this machine has SMART disks)", async () => {
    const sets = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe()
    const scan = Bun.spawnSync([findTool("smartctl")!, "--scan", "--json"]).stdout.toString()
    // smartctl 6 (no --json) lists disks in its text form.
    const disks = scan.trimStart().startsWith("{")
      ? (JSON.parse(scan).devices ?? []).length
      : Bun.spawnSync([findTool("smartctl")!, "--scan"])
          .stdout.toString()
          .split("\n")
          .filter((l) => l.startsWith("/")).length
    if (!disks && !IN_CI) console.log("smartctl --scan found no disks here: nothing to read")
    // As many health values as readable disks (a sleeping disk gives none).
    const health = sets.flatMap((set) => set.values.filter((value) => value.name === "health"))
    expect(health.length).toBeLessThanOrEqual(disks)
    if (!disks) expect(sets).toEqual([])
  })
})

describe('SmartCtl under "compat": "1.2", side by side with pollect 1.2', () => {
  const probe = (config: Record<string, unknown>) =>
    makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", ...config }, { compat: "1.2" }).probe()

  it("gives 1.2's series for the same recordings: names, labels (attribute, dev without /dev/) and values", async () => {
    withFake(SMARTCTL_7)
    // The two sources of testdata/python-1.2/pollect-1.2.json.
    const devices = ["sda", "nvme0"]
    const some = ["Temperature_Celsius", "Power_On_Hours", "temperature_sensors", "data_units_written"]
    const results = [
      resultOf(await probe({ devices, attributes: [] }), { type: "SmartCtl", id: "a" }),
      resultOf(await probe({ name: "some", devices, attributes: some }), { type: "SmartCtl", name: "some", id: "b" }),
    ]
    const recorded = readFileSync(join(import.meta.dir, "testdata/python-1.2/metrics.txt"), "utf8")
    const { python, ours } = sideBySide(recorded, pollectExposition(results))
    expect(python.size).toBe(41)
    expect(ours).toEqual(python)
    // NVMe lists as name_0, name_1; the SATA raw string's first number.
    expect(python.get('pollect_SmartCtl{attribute="temperature_sensors_1",dev="nvme0"}')).toBe(36)
    expect(python.get('pollect_SmartCtl{attribute="Power_On_Hours",dev="sda"}')).toBe(54781)
  })

  it("1.2's set replaces the 1.0 raw sets; the port's other sets stay", async () => {
    withFake(SMARTCTL_7)
    const series = [...byPromSeries(await probe({}), "SmartCtl").keys()]
    expect(series).toContain('pollect_SmartCtl{attribute="Temperature_Celsius",dev="sda"}')
    expect(series).toContain('pollect_SmartCtl_health{device="sda",model="WDC WD30EFRX-68EUZN0",serial="WD-xxxxxxxx"}')
    expect(series.some((key) => key.startsWith("pollect_SmartCtl_Temperature_Celsius"))).toBe(false)
  })

  it("a raw string that is a duration (`5h+01m+29s`): the duration in the name's unit, where 1.2's int() failed the probe", async () => {
    const dir = join(import.meta.dir, "testdata/maxtor-power-on-seconds")
    withFake([
      { args: "*--json*", stdoutFile: f("json-unrecognized-6.txt"), exit: 1 },
      { args: "--scan", stdoutFile: join(dir, "scan.txt") },
      { args: "-i -H -A -n standby -d ata /dev/hda", stdoutFile: join(dir, "hda.txt") },
    ])
    const sets = await probe({ attributes: ["Power_On_Seconds"] })
    const values = [...byPromSeries(sets, "SmartCtl")].filter(([key]) => key.startsWith("pollect_SmartCtl{"))
    expect(values).toEqual([['pollect_SmartCtl{attribute="Power_On_Seconds",dev="hda"}', 5 * 3600 + 60 + 29]])
  })
})

describe("SmartCtl: when a disk's data counts as read", () => {
  const SCAN: FakeCase = { args: "--scan --json", stdoutFile: f("scan.json") }
  /** One probe of sda alone, smartctl printing `data` as JSON and exiting with `exit`. */
  async function sdaWith(data: Record<string, unknown>, exit = 0) {
    const file = join(tempDir(), "sda.json")
    writeFileSync(file, JSON.stringify(data))
    withFake([SCAN, { args: "*/dev/sda", stdoutFile: file, exit }])
    const lines: string[] = []
    const source = makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sda"] }, { log: lines })
    return source.probe().then(
      (sets) => ({ series: [...byPromSeries(sets, "SmartCtl")], lines }),
      (error: Error) => ({ error: error.message }),
    )
  }

  it("nothing but smartctl's own block: an error saying so", async () => {
    expect(await sdaWith({ smartctl: { exit_status: 0 } })).toEqual({
      error: "/dev/sda: smartctl exited with status 0 and reported no SMART data",
    })
  })

  it("any one of model, attributes, NVMe log or health is data: no error, and only the values present", async () => {
    expect(await sdaWith({ smartctl: { exit_status: 0 }, model_name: "WDC" })).toEqual({ series: [], lines: [] })
    expect(await sdaWith({ smartctl: { exit_status: 0 }, smart_status: { passed: true } })).toEqual({
      series: [['pollect_SmartCtl_health{device="sda",model="",serial=""}', 1]],
      lines: [],
    })
    expect(
      await sdaWith({
        smartctl: { exit_status: 0 },
        ata_smart_attributes: { table: [{ id: 5, name: "Reallocated_Sector_Ct", raw: { value: 7 } }] },
      }),
    ).toEqual({ series: [['pollect_SmartCtl_Reallocated_Sector_Ct{dev="sda"}', 7]], lines: [] })
    expect(await sdaWith({ smartctl: { exit_status: 0 }, nvme_smart_health_information_log: { temperature: 40 } })).toEqual({
      series: [['pollect_SmartCtl_current_temperature{device="sda",model="",serial=""}', 40]],
      lines: [],
    })
  })

  it("exit status bits 0 and 1 fail the read even with data (smartctl's error messages joined); bit 2 and up do not", async () => {
    const data = JSON.parse(readFileSync(f("sda.json"), "utf8"))
    data.smartctl.exit_status = 2
    data.smartctl.messages = [
      { string: "Read SMART Data failed: scsi error", severity: "error" },
      { string: "Read SMART Thresholds failed", severity: "error" },
    ]
    expect(await sdaWith(data, 2)).toEqual({ error: "/dev/sda: Read SMART Data failed: scsi error; Read SMART Thresholds failed" })
    data.smartctl.exit_status = 4
    data.smartctl.messages = []
    expect("series" in (await sdaWith(data, 4))).toBe(true)
  })

  it("JSON without exit_status: the process's exit code decides", async () => {
    const data = JSON.parse(readFileSync(f("sda.json"), "utf8"))
    delete data.smartctl.exit_status
    expect(await sdaWith(data, 2)).toEqual({ error: "/dev/sda: smartctl exited with status 2 and reported no SMART data" })
  })

  it("smartctl 6: exit status 2 and nothing read, with no message of its own", async () => {
    const empty = join(tempDir(), "empty.txt")
    writeFileSync(empty, "smartctl 6.6 2016-05-31 r4324 [x86_64-linux-4.9.0-8-amd64] (local build)\n")
    withFake([...SMARTCTL_6.slice(0, 2), { args: "*/dev/sda", stdoutFile: empty, exit: 2 }])
    const error = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sda"] })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("/dev/sda: smartctl exited with status 2 and reported no SMART data")
  })

  it("smartctl 6: an open failure on stderr after output without a final newline", async () => {
    const banner = join(tempDir(), "banner.txt")
    writeFileSync(banner, "smartctl 6.6 2016-05-31 r4324 [x86_64-linux-4.9.0-8-amd64] (local build)")
    withFake([
      ...SMARTCTL_6.slice(0, 2),
      { args: "*/dev/sda", stdoutFile: banner, stderr: "Smartctl open device: /dev/sda failed: No such device", exit: 2 },
    ])
    const error = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sda"] })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe("/dev/sda: Smartctl open device: /dev/sda failed: No such device")
  })
})

describe("SmartCtl: failures across disks and probes", () => {
  it("every disk failing: their messages joined", async () => {
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*", stdoutFile: f("open-failed.json"), exit: 2 },
    ])
    const error = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sd"] })
      .probe()
      .catch((e) => e)
    expect(error.message).toBe(
      "/dev/sda: Smartctl open device: /dev/sdz failed: No such device; /dev/sdb: Smartctl open device: /dev/sdz failed: No such device",
    )
  })

  it("a disk that fails and then reads again: one warning, then `readable again`", async () => {
    const cases = (sdb: FakeCase): FakeCase[] => [
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sda", stdoutFile: f("sda.json") },
      sdb,
    ]
    const { source, lines } = makeLoggedSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["sd"] })
    withFake(cases({ args: "*/dev/sdb", stdoutFile: f("open-failed.json"), exit: 2 }))
    await source.probe()
    withFake(cases({ args: "*/dev/sdb", stdoutFile: f("sda.json") }))
    await source.probe()
    await source.probe()
    expect(lines.filter((l) => /WARN|INFO/.test(l)).map((l) => l.replace(/^.*(WARN|INFO)\S*\s+/, "$1 "))).toEqual([
      expect.stringMatching(/^WARN .*\/dev\/sdb: Smartctl open device: \/dev\/sdz failed: No such device$/),
      expect.stringMatching(/^INFO .*\/dev\/sdb: readable again$/),
    ])
  })

  it("a disk whose output is not JSON is that disk's failure; the others report", async () => {
    const garbage = join(tempDir(), "garbage.txt")
    writeFileSync(garbage, "Segmentation fault\n")
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sda", stdoutFile: garbage, exit: 139 },
      { args: "*/dev/sdb", stdoutFile: f("sdb-standby.json"), exit: 2 },
      { args: "*/dev/nvme0", stdoutFile: f("nvme.json") },
    ])
    const { source, lines } = makeLoggedSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" })
    const values = graphite(await source.probe())
    expect(values["pollect.smartctl.current_temperature.nvme0.SAMSUNG_MZVL2256HCHQ-00B00.xxxxxxxx"]).toBe(36)
    expect(lines.filter((l) => l.includes("WARN"))).toEqual([
      expect.stringContaining('/dev/sda: smartctl --json: not JSON: "Segmentation fault"'),
    ])
  })

  it("the probe's deadline passing while disks are read fails the whole probe, not the disks one by one", async () => {
    withFake(SMARTCTL_7)
    const source = makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" })
    const ctx = (source as unknown as { ctx: SourceContext }).ctx
    const deadline = new AbortController()
    const spawn = ctx.spawn
    Object.defineProperty(ctx, "signal", { get: () => deadline.signal })
    ctx.spawn = async (argv, options) => {
      const result = await spawn(argv, { ...options, signal: deadline.signal })
      if (argv.includes("--scan")) deadline.abort(new Error("probe deadline passed"))
      return result
    }
    const error = await source.probe().catch((e) => e)
    expect(error.message).toBe("probe deadline passed")
  })

  for (const [version, cases] of [
    ["7", SMARTCTL_7],
    ["6", SMARTCTL_6],
  ] as const) {
    it(`smartctl ${version} gone between the scan and the reads: the error names its package`, async () => {
      withFake(cases)
      const source = makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["nvme"] })
      const ctx = (source as unknown as { ctx: SourceContext }).ctx
      const spawn = ctx.spawn
      ctx.spawn = async (argv, options) => {
        const result = await spawn(argv, options)
        if (argv.includes("--scan") && !argv.includes("--json")) hideTool()
        if (argv.includes("--scan") && version === "7") hideTool()
        return result
      }
      const error = await source.probe().catch((e) => e)
      expect(error.message).toBe("/dev/nvme0: smartctl not found on PATH (install the smartmontools package)")
    })
  }

  it("smartctl 6 gone on a later probe: the scan's error names its package", async () => {
    withFake(SMARTCTL_6)
    const source = makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" })
    await source.probe()
    hideTool()
    const error = await source.probe().catch((e) => e)
    expect(error.message).toBe("smartctl not found on PATH (install the smartmontools package)")
  })
})

describe("SmartCtl: options, scan entries and names", () => {
  it("attributes and devices null (YAML's empty key): every attribute of every disk", async () => {
    const fake = withFake(SMARTCTL_7)
    const sets = await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", attributes: null, devices: null }).probe()
    expect(fake.calls().filter((c) => c.includes("--all"))).toHaveLength(3)
    expect(graphite(sets)["pollect.smartctl.Spin_Up_Time.sda"]).toBeDefined()
  })

  it("devices match at the start of the name only: `da` reads nothing", async () => {
    const fake = withFake(SMARTCTL_7)
    expect(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl", devices: ["da"] }).probe()).toEqual([])
    expect(fake.calls().filter((c) => c.includes("--all"))).toEqual([])
  })

  it("a scanned device without a type is read without -d", async () => {
    const scan = join(tempDir(), "scan.json")
    writeFileSync(scan, JSON.stringify({ devices: [{ name: "/dev/sda" }] }))
    const fake = withFake([
      { args: "--scan --json", stdoutFile: scan },
      { args: "--json --all -n standby /dev/sda", stdoutFile: f("sda.json") },
    ])
    await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe()
    expect(fake.calls()).toEqual(["smartctl --scan --json", "smartctl --json --all -n standby /dev/sda"])
  })

  it("the raw values' label is dev for attributes in minutes and seconds too (testdata/maxtor-*)", async () => {
    for (const [folder, series] of [
      ["maxtor-5.32", 'pollect_SmartCtl_Power_On_Minutes{dev="hda"}'],
      ["maxtor-power-on-seconds", 'pollect_SmartCtl_Power_On_Seconds{dev="hda"}'],
    ] as const) {
      const dir = join(import.meta.dir, "testdata", folder)
      withFake([
        { args: "*--json*", stdoutFile: f("json-unrecognized-6.txt"), exit: 1 },
        { args: "--scan", stdoutFile: join(dir, "scan.txt") },
        { args: "-i -H -A -n standby -d ata /dev/hda", stdoutFile: join(dir, "hda.txt") },
      ])
      expect([
        ...byPromSeries(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe(), "SmartCtl").keys(),
      ]).toContain(series)
    }
  })

  it("snake_case names carry the declared units and kinds (testdata/attribute-units, the NVMe disk)", async () => {
    const dir = join(import.meta.dir, "testdata/attribute-units")
    withFake([
      { args: "--scan --json", stdoutFile: f("scan.json") },
      { args: "*/dev/sda", stdoutFile: join(dir, "sda.json") },
      { args: "*/dev/sdb", stdoutFile: f("sdb-standby.json"), exit: 2 },
      { args: "*/dev/nvme0", stdoutFile: f("nvme.json") },
    ])
    const names = new Set(
      snakeSeries(await makeSource<SmartCtlSource>(SmartCtlSource, { type: "SmartCtl" }).probe()).map((s) => s.split("{")[0]),
    )
    for (const name of [
      "pollect_smart_ctl_temperature_cel_celsius",
      "pollect_smart_ctl_airflow_temperature_celsius",
      "pollect_smart_ctl_spindle_total_seconds",
      "pollect_smart_ctl_spindle_seconds",
      "pollect_smart_ctl_current_temperature_celsius",
      "pollect_smart_ctl_power_cycles_total",
      "pollect_smart_ctl_available_spare_ratio",
      "pollect_smart_ctl_media_errors_total",
    ])
      expect([name, names.has(name)]).toEqual([name, true])
  })

  it("config validation keeps attributes and devices (no unknown-key warning)", () => {
    const checked = validateConfig(
      { executors: [{ sources: [{ type: "SmartCtl", attributes: ["Temperature_Celsius"], devices: ["sd[a-z]"] }] }] },
      builtinRegistry(),
    )
    if ("problems" in checked) throw new Error(checked.problems.join("\n"))
    expect(checked.executors[0]!.sources[0]!.config).toMatchObject({ attributes: ["Temperature_Celsius"], devices: ["sd[a-z]"] })
    expect(checked.warnings.filter((w) => w.includes("(SmartCtl)"))).toEqual([])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "SmartCtl", aliases: [], cls: SmartCtlSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})
