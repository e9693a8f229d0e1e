import { describe, expect, it } from "bun:test"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import {
  attributeUnit,
  jsonNotSupported,
  parseSmartAttributesText,
  parseSmartJson,
  parseSmartScanJson,
  parseSmartScanText,
  parseSmartText,
  powerOnHoursOf,
  rawDurationSeconds,
  rawNumber,
  standbyMode,
} from "./parse.ts"

const fixture = (name: string) =>
  readFileSync(join(import.meta.dir, "testdata", name.endsWith(".json") ? "smartctl-7" : "smartctl-6", name), "utf8")

describe("smartctl --scan", () => {
  it("JSON: name, type and protocol of each device", () => {
    expect(parseSmartScanJson(fixture("scan.json"))).toEqual([
      { name: "/dev/sda", type: "sat", protocol: "ATA" },
      { name: "/dev/sdb", type: "sat", protocol: "ATA" },
      { name: "/dev/nvme0", type: "nvme", protocol: "NVMe" },
    ])
  })

  it("JSON without devices (smartctl 7.3 on a machine without disks) is an empty list", () => {
    expect(parseSmartScanJson(fixture("scan-none.json"))).toEqual([])
  })

  it("text of smartctl 6 gives the same devices", () => {
    expect(parseSmartScanText(fixture("scan-6.txt"))).toEqual(parseSmartScanJson(fixture("scan.json")))
  })

  it("not JSON is an error that quotes the output", () => {
    expect(() => parseSmartScanJson("=======> UNRECOGNIZED OPTION: json")).toThrow("smartctl --scan --json: not JSON")
  })
})

describe("parseSmartJson", () => {
  it("ATA (sda.json): model, serial, health, temperature, power-on hours and every attribute", () => {
    const reading = parseSmartJson(fixture("sda.json"))
    expect(reading.model).toBe("WDC WD30EFRX-68EUZN0")
    expect(reading.serial).toBe("WD-xxxxxxxx")
    expect(reading.healthPassed).toBe(true)
    expect(reading.temperatureCelsius).toBe(32)
    expect(reading.powerOnHours).toBe(54781)
    expect(reading.powerCycles).toBe(23)
    expect(reading.standby).toBeUndefined()
    expect(reading.nvme).toBeUndefined()
    const data = JSON.parse(fixture("sda.json"))
    expect(reading.attributes).toHaveLength(data.ata_smart_attributes.table.length)
    expect(reading.attributes.find((a) => a.name === "Temperature_Celsius")).toEqual({
      id: 194,
      name: "Temperature_Celsius",
      normalized: 118,
      raw: 32,
    })
    expect(reading.attributes.find((a) => a.name === "Power_Cycle_Count")?.raw).toBe(23)
    // The normalised value is passed on as smartctl printed it (this recorded file has 37180691 here).
    expect(reading.attributes.find((a) => a.id === 1)?.normalized).toBe(data.ata_smart_attributes.table[0].value)
  })

  it("NVMe (nvme.json): the health log", () => {
    const reading = parseSmartJson(fixture("nvme.json"))
    expect(reading.model).toBe("SAMSUNG MZVL2256HCHQ-00B00")
    expect(reading.attributes).toEqual([])
    expect(reading.nvme).toEqual({
      criticalWarning: 0,
      temperature: 36,
      availableSpare: 100,
      percentageUsed: 0,
      dataUnitsRead: 3759,
      dataUnitsWritten: 576277,
      powerCycles: 3,
      powerOnHours: 5,
      unsafeShutdowns: 0,
      mediaErrors: 0,
      errorLogEntries: 0,
    })
    expect(reading.healthPassed).toBe(true)
    expect(reading.temperatureCelsius).toBe(36)
  })

  it("a disk in standby: the mode, no error", () => {
    const reading = parseSmartJson(fixture("sdb-standby.json"))
    expect(reading.standby).toBe("STANDBY")
    expect(reading.errors).toEqual([])
    expect(reading.exitStatus).toBe(2)
  })

  it("smartctl 7.5 also names the power mode in `power_mode`", () => {
    const data = JSON.parse(fixture("sdb-standby.json"))
    data.smartctl.messages[0].string = "Device is in STANDBY_Y mode, exit(2)"
    data.power_mode = { ata_value: 1, name: "STANDBY_Y" }
    expect(parseSmartJson(JSON.stringify(data)).standby).toBe("STANDBY_Y")
  })

  it("a device that cannot be opened: smartctl's error message", () => {
    const reading = parseSmartJson(fixture("open-failed.json"))
    expect(reading.standby).toBeUndefined()
    expect(reading.errors).toEqual(["Smartctl open device: /dev/sdz failed: No such device"])
    expect(reading.exitStatus).toBe(2)
  })

  it("the raw value is read from the raw string, as the original pollect did", () => {
    const data = JSON.parse(fixture("sda.json"))
    // A Seagate's temperature: raw.value packs min/max into one 48-bit number; the string is what counts.
    data.ata_smart_attributes.table = [
      { id: 194, name: "Temperature_Celsius", value: 32, raw: { value: 51539607584, string: "32 (0 12 0 0 0)" } },
    ]
    expect(parseSmartJson(JSON.stringify(data)).attributes[0]?.raw).toBe(32)
  })
})

describe("smartctl text (smartctl 6)", () => {
  it("the attribute table: raw value = first number of RAW_VALUE, as the original parsed it", () => {
    const attributes = parseSmartAttributesText(fixture("sda-attributes.txt"))
    expect(attributes).toHaveLength(22)
    expect(attributes.find((a) => a.name === "Airflow_Temperature_Cel")).toEqual({
      id: 190,
      name: "Airflow_Temperature_Cel",
      normalized: 68,
      raw: 32,
    })
    expect(attributes.find((a) => a.name === "Temperature_Celsius")).toEqual({
      id: 194,
      name: "Temperature_Celsius",
      normalized: 32,
      raw: 32,
    })
    expect(attributes.find((a) => a.name === "Reallocated_Sector_Ct")?.raw).toBe(2203)
    expect(attributes.find((a) => a.name === "Head_Flying_Hours")?.raw).toBe(57743)
    expect(attributes.find((a) => a.name === "End-to-End_Error")?.raw).toBe(0)
  })

  itWithTools(["python3"], "agrees with the original pollect's parser on every attribute", async () => {
    // The seed's own parsing loop, run by python3 over the same text.
    const script = `
import re, json, sys
space = re.compile('[ \\t]+'); number = re.compile('[0-9]+')
out = {}; found = False; count = 0
for line in sys.stdin.read().splitlines():
    line = line.strip()
    if found:
        cols = space.split(line)
        if len(cols) < 2: continue
        m = number.search(cols[count - 1])
        if m: out[cols[1]] = int(m.group(0))
        continue
    if 'ATTRIBUTE_NAME' in line:
        found = True; count = len(space.split(line))
print(json.dumps(out))`
    const python = Bun.spawn(["python3", "-c", script], { stdin: new TextEncoder().encode(fixture("sda-attributes.txt")), stdout: "pipe" })
    const original = JSON.parse(await new Response(python.stdout).text())
    const ours = Object.fromEntries(parseSmartAttributesText(fixture("sda-attributes.txt")).map((a) => [a.name, a.raw]))
    expect(ours).toEqual(original)
  })

  it("-i -H -A of an ATA disk: identity, health and values derived from the attributes", () => {
    const reading = parseSmartText(fixture("sda-6.txt"))
    expect(reading.model).toBe("ST3000DM001-1CH166")
    expect(reading.serial).toBe("Z1F0XXXX")
    expect(reading.healthPassed).toBe(true)
    expect(reading.temperatureCelsius).toBe(32)
    expect(reading.powerOnHours).toBe(57479)
    expect(reading.powerCycles).toBe(98)
    expect(reading.attributes).toEqual(parseSmartAttributesText(fixture("sda-attributes.txt")))
  })

  it("-i -H -A of an NVMe disk gives what the JSON of the same disk gives", () => {
    const text = parseSmartText(fixture("nvme-6.txt"))
    const json = parseSmartJson(fixture("nvme.json"))
    expect(text.nvme).toEqual(json.nvme!)
    expect([text.model, text.serial, text.healthPassed, text.temperatureCelsius, text.powerOnHours, text.powerCycles]).toEqual([
      json.model,
      json.serial,
      json.healthPassed,
      json.temperatureCelsius,
      json.powerOnHours,
      json.powerCycles,
    ])
  })

  it("a failed health check is 0, not missing", () => {
    const text = fixture("sda-6.txt").replace("test result: PASSED", "test result: FAILED!")
    expect(parseSmartText(text).healthPassed).toBe(false)
  })

  it("standby and an unknown --json are recognised", () => {
    expect(parseSmartText(fixture("sdb-standby-6.txt")).standby).toBe("STANDBY")
    expect(standbyMode("/dev/sdc: Device is in STANDBY (OS) mode, exit(2)")).toBe("STANDBY (OS)")
    expect(jsonNotSupported(fixture("json-unrecognized-6.txt"))).toBe(true)
    expect(jsonNotSupported(fixture("sda.json"))).toBe(false)
  })
})

describe("attribute 9 in minutes, half minutes or seconds (smartctl prints a duration)", () => {
  const maxtor = (name: string) => readFileSync(join(import.meta.dir, "testdata", name, "hda.txt"), "utf8")

  it("reads smartctl's duration formats as seconds, nothing else", () => {
    expect(rawDurationSeconds("301h+29m")).toBe(301 * 3600 + 29 * 60)
    expect(rawDurationSeconds("5h+01m+29s")).toBe(5 * 3600 + 60 + 29)
    expect(rawDurationSeconds("54781h+23m+10.123s")).toBeCloseTo(54781 * 3600 + 23 * 60 + 10.123, 6)
    expect(rawDurationSeconds("301h+29m (7)")).toBe(301 * 3600 + 29 * 60)
    for (const text of ["301", "32 (Min/Max 20/45)", "0x000a", "301h", "1d+02:41:52.150"]) expect(rawDurationSeconds(text)).toBeUndefined()
  })

  it("text (the real smartctl 5.32 Maxtor recording): Power_On_Minutes `301h+29m` is 18089 minutes, 301.48 hours", () => {
    const reading = parseSmartText(maxtor("maxtor-5.32"))
    expect(reading.attributes.find((a) => a.id === 9)).toEqual({
      id: 9,
      name: "Power_On_Minutes",
      normalized: 243,
      raw: 18089,
      seconds: 1085340,
    })
    expect(reading.powerOnHours).toBeCloseTo(301 + 29 / 60, 9)
  })

  it("text: Power_On_Half_Minutes `301h+29m` is 18089 minutes (its name's unit), Power_On_Seconds `5h+01m+29s` 18089 seconds", () => {
    const half = parseSmartText(maxtor("maxtor-power-on-half-minutes"))
    expect(half.attributes.find((a) => a.id === 9)).toMatchObject({ name: "Power_On_Half_Minutes", raw: 18089, seconds: 1085340 })
    expect(half.powerOnHours).toBeCloseTo(301 + 29 / 60, 9)
    const seconds = parseSmartText(maxtor("maxtor-power-on-seconds"))
    expect(seconds.attributes.find((a) => a.id === 9)).toMatchObject({ name: "Power_On_Seconds", raw: 18089, seconds: 18089 })
    expect(seconds.powerOnHours).toBeCloseTo(18089 / 3600, 9)
  })

  it("JSON: the duration string wins over the packed raw.value, as for any attribute", () => {
    const data = JSON.parse(fixture("sda.json"))
    data.ata_smart_attributes.table = [
      { id: 9, name: "Power_On_Minutes", value: 243, raw: { value: 18089, string: "301h+29m" } },
      { id: 9, name: "Power_On_Half_Minutes", value: 243, raw: { value: 36178, string: "301h+29m" } },
    ]
    expect(parseSmartJson(JSON.stringify(data)).attributes.map((a) => [a.name, a.raw, a.seconds])).toEqual([
      ["Power_On_Minutes", 18089, 1085340],
      ["Power_On_Half_Minutes", 18089, 1085340],
    ])
  })

  it("a bare count is in the name's unit: hours divide by 1, minutes by 60, half minutes by 120, seconds by 3600", () => {
    const hours = (name: string, raw: number) => powerOnHoursOf({ id: 9, name, raw })
    expect(hours("Power_On_Hours", 7)).toBe(7)
    expect(hours("Power_On_Minutes", 420)).toBe(7)
    expect(hours("Power_On_Half_Minutes", 840)).toBe(7)
    expect(hours("Power_On_Seconds", 25200)).toBe(7)
    expect(hours("Power_On_Hours_and_Msec", 7)).toBe(7)
    expect(hours("Load_Cycle_Count", 7)).toBeUndefined()
  })
})

describe("the attribute table ends at its first blank line", () => {
  it("numbered lines of the error and self-test logs after it are no attributes (testdata/maxtor-error-log)", () => {
    const text = readFileSync(join(import.meta.dir, "testdata/maxtor-error-log/hda.txt"), "utf8")
    // The error log's register line `40 51 08 ... Error: UNC 8 sectors ...` has a number where RAW_VALUE is.
    expect(text).toContain("  40 51 08 27 4b 9a e0  Error: UNC 8 sectors")
    const attributes = parseSmartAttributesText(text)
    expect(attributes.map((a) => a.id)).toEqual(
      parseSmartAttributesText(readFileSync(join(import.meta.dir, "testdata/maxtor-5.32/hda.txt"), "utf8")).map((a) => a.id),
    )
    expect(attributes).toHaveLength(30)
    expect(attributes.some((a) => a.id === 40 || a.name === "51")).toBe(false)
  })

  it("a second table after a blank line is read again only under its own header", () => {
    const table = "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE\n"
    const row = (id: number, name: string, raw: string) =>
      `${String(id).padStart(3)} ${name.padEnd(23)} 0x0032   100   100   000    Old_age   Always       -       ${raw}\n`
    const text = `${table}${row(9, "Power_On_Hours", "10")}\n${row(12, "Power_Cycle_Count", "5")}\n${table}${row(194, "Temperature_Celsius", "30")}`
    expect(parseSmartAttributesText(text).map((a) => [a.id, a.raw])).toEqual([
      [9, 10],
      [194, 30],
    ])
  })
})

describe("rawNumber", () => {
  it("reads the first number of a raw value", () => {
    expect(rawNumber("32 (Min/Max 20/45)")).toBe(32)
    expect(rawNumber("54781h+23m+45.123s")).toBe(54781)
    expect(rawNumber("0x000a")).toBe(10)
    expect(rawNumber("-")).toBeUndefined()
  })
})

describe("edge cases of the parsers", () => {
  /** The data as smartctl's JSON; the string "1e999" becomes the number literal (JSON.parse reads it as Infinity). */
  const json = (data: Record<string, unknown>) => parseSmartJson(JSON.stringify(data).replaceAll('"1e999"', "1e999"))

  it("standby: any exit code `-n standby,N` asks for; `power_mode` names the mode where it is given", () => {
    expect(standbyMode("Device is in SLEEP mode, exit(10)")).toBe("SLEEP")
    const data = JSON.parse(fixture("sdb-standby.json"))
    data.smartctl.messages[0].string = "Device is in STANDBY (OS) mode, exit(2)"
    data.power_mode = { ata_value: 0, name: "STANDBY" }
    expect(parseSmartJson(JSON.stringify(data)).standby).toBe("STANDBY")
  })

  it("--json unknown: smartctl 6's answers to the long and the short option, getopt's with and without quotes", () => {
    for (const text of [
      "=======> UNRECOGNIZED OPTION: json",
      "=======> UNRECOGNIZED OPTION: j",
      "=======> UNRECOGNIZED OPTION:json",
      "smartctl: invalid option -- 'j'",
      "smartctl: invalid option -- j",
    ])
      expect([text, jsonNotSupported(text)]).toEqual([text, true])
    expect(jsonNotSupported("=======> UNRECOGNIZED OPTION: jolly")).toBe(false)
  })

  it("rawNumber: leading blanks; hex only as a whole token", () => {
    expect(rawNumber("  32 (Min/Max 20/45)")).toBe(32)
    expect(rawNumber("10x20")).toBe(10)
    expect(rawNumber("0x1fg")).toBe(0)
  })

  it("rawDurationSeconds: only a duration at the start, blanks around it allowed", () => {
    expect(rawDurationSeconds("  301h+29m ")).toBe(301 * 3600 + 29 * 60)
    expect(rawDurationSeconds("x301h+29m")).toBeUndefined()
  })

  it("attributeUnit: a temperature by the name's start only", () => {
    expect(attributeUnit("Temperature_Celsius")).toBe("celsius")
    expect(attributeUnit("Max_Temperature_Celsius")).toBe("")
  })

  it("JSON attributes: raw.value when there is no raw string, none without either; a duration in a unitless name is its first number", () => {
    const reading = json({
      ata_smart_attributes: {
        table: [
          null,
          { name: "No_Id", raw: { value: 1, string: "1" } },
          { id: 2, raw: { value: 1, string: "1" } },
          { id: 5, name: "Reallocated_Sector_Ct", value: 100, raw: { value: 7 } },
          { id: 6, name: "No_Raw", value: 100 },
          { id: 240, name: "Head_Flying_Time", raw: { value: 0, string: "301h+29m" } },
        ],
      },
    })
    expect(reading.attributes).toEqual([
      { id: 5, name: "Reallocated_Sector_Ct", normalized: 100, raw: 7 },
      { id: 240, name: "Head_Flying_Time", normalized: undefined, raw: 301 },
    ])
  })

  it("JSON: values of the wrong type are left out (a string number, an overflowing number, a non-boolean verdict)", () => {
    const reading = json({
      smartctl: { exit_status: "0" },
      model_name: "  WDC WD30EFRX  ",
      serial_number: "   ",
      power_cycle_count: "23",
      temperature: { current: "1e999" },
      smart_status: { passed: "true" },
      power_on_time: { minutes: 30 },
    })
    expect(reading).toEqual({
      attributes: [],
      errors: [],
      exitStatus: undefined,
      standby: undefined,
      model: "WDC WD30EFRX",
      serial: undefined,
    })
  })

  it("JSON: power-on time is hours plus minutes / 60", () => {
    expect(json({ power_on_time: { hours: 10, minutes: 30 } }).powerOnHours).toBe(10.5)
  })

  it("JSON: smartctl or its messages not objects; a message without text", () => {
    expect(json({ smartctl: null, model_name: "X" }).model).toBe("X")
    expect(
      json({ smartctl: { messages: [null, "text", { severity: "error" }, { severity: "error", string: "open failed" }] } }).errors,
    ).toEqual(["open failed"])
  })

  it("JSON: a document that is no object is an error naming the command; broken JSON quoted trimmed, cut at 120 characters", () => {
    expect(() => parseSmartJson("[]")).toThrow(new Error("smartctl --json: expected a JSON object"))
    const text = `\n  smartctl: garbage ${"x".repeat(200)}\n`
    expect(() => parseSmartJson(text)).toThrow(new Error(`smartctl --json: not JSON: ${JSON.stringify(text.trim().slice(0, 120))}`))
  })

  it("JSON NVMe log: only numbers and lists of numbers; the log fills temperature, power-on hours and cycles where the top level has none", () => {
    const reading = json({
      nvme_smart_health_information_log: {
        temperature: 40,
        power_on_hours: 12,
        power_cycles: 3,
        text: "x",
        huge: "1e999",
        mixed: [1, "a"],
        overflow: [1, "1e999"],
        sensors: [40, 41],
      },
    })
    expect(reading.nvmeLog).toEqual({ temperature: 40, power_on_hours: 12, power_cycles: 3, sensors: [40, 41] })
    expect([reading.temperatureCelsius, reading.powerOnHours, reading.powerCycles]).toEqual([40, 12, 3])
  })

  it("--scan --json: entries that are no objects, without a name or that failed to open are skipped", () => {
    const scan = JSON.stringify({
      devices: [5, {}, { name: "  " }, { name: "/dev/sdc", open_error: "permission denied" }, { name: "/dev/sda", type: "sat" }],
    })
    expect(parseSmartScanJson(scan)).toEqual([{ name: "/dev/sda", type: "sat", protocol: undefined }])
  })

  it("--scan text: blanks around and between the fields, no comment; comment lines and other text skipped", () => {
    const text = [
      "/dev/sda -d sat # /dev/sda [SAT], ATA device",
      "/dev/sdb  -d  sat",
      "   /dev/sdc -d scsi # /dev/sdc, SCSI device",
      "#/dev/sdd -d sat # not scanned",
      "  #/dev/sde -d sat",
      "x /dev/sdf -d sat",
    ].join("\n")
    expect(parseSmartScanText(text)).toEqual([
      { name: "/dev/sda", type: "sat", protocol: "ATA" },
      { name: "/dev/sdb", type: "sat", protocol: undefined },
      { name: "/dev/sdc", type: "scsi", protocol: "SCSI" },
    ])
  })

  it("text: numbered lines before the table's header are no attributes; a row without a raw number is skipped", () => {
    expect(parseSmartAttributesText("1 23 x\n")).toEqual([])
    const table = [
      "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE",
      "  5 Reallocated_Sector_Ct   0x0033   100   100   010    Pre-fail  Always       -       -",
      "  9 Power_On_Hours          0x0032   036   036   000    Old_age   Always       -       57479",
    ].join("\n")
    expect(parseSmartAttributesText(table)).toEqual([{ id: 9, name: "Power_On_Hours", normalized: 36, raw: 57479 }])
  })

  it("text with CRLF line ends reads as with LF (the table still ends at its blank line)", () => {
    const text = readFileSync(join(import.meta.dir, "testdata/maxtor-error-log/hda.txt"), "utf8")
    expect(parseSmartText(text.replace(/\n/g, "\r\n"))).toEqual(parseSmartText(text))
  })

  it("text: the first line of a key wins", () => {
    expect(parseSmartText("Device Model:     FIRST\nDevice Model:     SECOND\n").model).toBe("FIRST")
  })

  it("text: no health line is no verdict, no NVMe log section is no NVMe data, nothing read is no error", () => {
    const reading = parseSmartText("smartctl 6.6 2016-05-31 r4324 [x86_64-linux-4.9.0-8-amd64] (local build)\n")
    expect(reading).toEqual({
      attributes: [],
      errors: [],
      standby: undefined,
      model: undefined,
      serial: undefined,
      temperatureCelsius: undefined,
      powerOnHours: undefined,
      powerCycles: undefined,
    })
  })

  it("text: the open failure is the whole line", () => {
    expect(parseSmartText("Smartctl open device: /dev/sdz failed: No such device\n").errors).toEqual([
      "Smartctl open device: /dev/sdz failed: No such device",
    ])
  })

  it("text: temperature from attribute 190 when there is no 194", () => {
    const table = [
      "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE",
      "190 Airflow_Temperature_Cel 0x0022   068   052   045    Old_age   Always       -       32 (Min/Max 21/32)",
    ].join("\n")
    expect(parseSmartText(table).temperatureCelsius).toBe(32)
  })

  it("text of a SCSI disk: product, health status, drive temperature and power-on time", () => {
    const text = [
      "=== START OF INFORMATION SECTION ===",
      "Vendor:               SEAGATE",
      "Product:              ST4000NM0023",
      "Serial number:        Z1Z0XXXX",
      "=== START OF READ SMART DATA SECTION ===",
      "SMART Health Status: OK",
      "Current Drive Temperature:     35 C",
      "Drive Trip Temperature:        68 C",
      "Accumulated power on time, hours:minutes 41520:30",
    ].join("\n")
    expect(parseSmartText(text)).toMatchObject({ model: "ST4000NM0023", healthPassed: true, temperatureCelsius: 35, powerOnHours: 41520.5 })
    expect(parseSmartText(text.replace("35 C", "<not available>")).temperatureCelsius).toBeUndefined()
  })

  it("text NVMe log: a critical warning in hex", () => {
    const text = fixture("nvme-6.txt").replace(/^Critical Warning:\s+0x00$/m, "Critical Warning:                   0x14")
    expect(parseSmartText(text).nvme?.criticalWarning).toBe(0x14)
  })
})
