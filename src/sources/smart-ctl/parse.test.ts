import { describe, expect, it } from "bun:test"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import {
  jsonNotSupported,
  parseSmartAttributesText,
  parseSmartJson,
  parseSmartScanJson,
  parseSmartScanText,
  parseSmartText,
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

describe("rawNumber", () => {
  it("reads the first number of a raw value", () => {
    expect(rawNumber("32 (Min/Max 20/45)")).toBe(32)
    expect(rawNumber("54781h+23m+45.123s")).toBe(54781)
    expect(rawNumber("0x000a")).toBe(10)
    expect(rawNumber("-")).toBeUndefined()
  })
})
