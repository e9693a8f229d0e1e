/**
 * `SmartCtl`: SMART data of the disks `smartctl --scan` finds, read with
 * `smartctl --json --all -n standby` (smartctl ≥ 7) or, on smartctl 6 (old NAS boxes), its text
 * output. A disk in standby is not woken: smartctl skips it and so do we, without an error.
 *
 * - ATA attributes under the original pollect's names: value name = attribute, label `dev`
 *   (`pollect.smartctl.Temperature_Celsius.sda`, `pollect_SmartCtl_Temperature_Celsius{dev="sda"}`),
 *   value = the first number of the raw value, as the original read it.
 * - Beside them, labelled `device`, `model`, `serial`: each attribute's normalised value
 *   (`attribute_normalized` with an `attribute` label), the overall health (1 passed, 0 failed),
 *   temperature, power-on time in seconds, power cycles, and the NVMe health log (percentage
 *   used, available spare, bytes read/written, media errors, unsafe shutdowns, error log
 *   entries, critical warning).
 */
import * as v from "valibot"
import { Source, ValueSet, errorMessage, type ValueSetMeta } from "../../api.ts"
import { regexString } from "../../lib/options/regex-option.ts"
import {
  jsonNotSupported,
  NVME_DATA_UNIT_BYTES,
  parseSmartJson,
  parseSmartScanJson,
  parseSmartScanText,
  parseSmartText,
  type SmartDevice,
  type SmartReading,
} from "./parse.ts"

const devicePattern = regexString((pattern, reason) => `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`)

const options = v.object({
  /** ATA attribute names to report (`Temperature_Celsius`); empty: all of them. */
  attributes: v.optional(v.nullable(v.array(v.string())), []),
  /** Regular expressions matched at the start of the device name (`sd[a-z]+$`, `nvme0`, `/dev/sd.*`); empty: every disk. */
  devices: v.optional(v.nullable(v.array(devicePattern)), []),
})

const PACKAGE = "smartmontools"
/** Disks read at the same time. */
const PARALLEL = 4
/** One smartctl call; a slow USB bridge takes seconds. The probe's own deadline still applies. */
const READ_TIMEOUT_MS = 30_000
const SCAN_TIMEOUT_MS = 10_000

/** `/dev/sda` → `sda`: the name the original pollect used (it listed /dev). */
export function deviceLabel(device: SmartDevice): string {
  return device.name.replace(/^\/dev\//, "")
}

type Outcome = { device: SmartDevice; reading: SmartReading } | { device: SmartDevice; error: string }

export class SmartCtlSource extends Source<v.InferOutput<typeof options>> {
  static override readonly options = options

  /** smartctl 6 has no --json; found out on the first scan, then its text is read. */
  private legacy = false
  private readonly attributes = new Set(this.config.attributes ?? [])
  private readonly patterns = (this.config.devices ?? []).map((pattern) => new RegExp(`^(?:${pattern})`))
  /** Devices failing last time, so a failing disk is logged when it starts and stops failing, not every probe. */
  private failing = new Set<string>()

  override async probe(): Promise<ValueSet[]> {
    const devices = (await this.scan()).filter((device) => this.wanted(device))
    const outcomes = await mapLimit(devices, PARALLEL, (device) => this.read(device))
    const failed = outcomes.filter((o): o is Extract<Outcome, { error: string }> => "error" in o)
    if (devices.length && failed.length === devices.length) throw new Error(failed.map((o) => o.error).join("; "))
    this.reportFailures(failed)
    return this.valueSets(outcomes.flatMap((o) => ("reading" in o && !o.reading.standby ? [{ device: o.device, reading: o.reading }] : [])))
  }

  private wanted(device: SmartDevice): boolean {
    if (!this.patterns.length) return true
    const short = deviceLabel(device)
    return this.patterns.some((re) => re.test(short) || re.test(device.name))
  }

  private async scan(): Promise<SmartDevice[]> {
    if (!this.legacy) {
      const result = await this.ctx.spawn(["smartctl", "--scan", "--json"], { packageName: PACKAGE, timeoutMs: SCAN_TIMEOUT_MS })
      if (!jsonNotSupported(result.stdout + result.stderr)) return parseSmartScanJson(result.stdout)
      this.legacy = true
      this.ctx.log.info("smartctl does not know --json (smartctl < 7): reading its text output")
    }
    const result = await this.ctx.spawn(["smartctl", "--scan"], { packageName: PACKAGE, timeoutMs: SCAN_TIMEOUT_MS })
    return parseSmartScanText(result.stdout)
  }

  private async read(device: SmartDevice): Promise<Outcome> {
    const type = device.type ? ["-d", device.type] : []
    try {
      if (!this.legacy) {
        const result = await this.ctx.spawn(["smartctl", "--json", "--all", "-n", "standby", ...type, device.name], {
          packageName: PACKAGE,
          timeoutMs: READ_TIMEOUT_MS,
        })
        const reading = parseSmartJson(result.stdout)
        reading.exitStatus ??= result.exitCode
        return this.judge(device, reading)
      }
      const result = await this.ctx.spawn(["smartctl", "-i", "-H", "-A", "-n", "standby", ...type, device.name], {
        packageName: PACKAGE,
        timeoutMs: READ_TIMEOUT_MS,
      })
      const reading = parseSmartText(result.stdout + "\n" + result.stderr)
      reading.exitStatus = result.exitCode
      return this.judge(device, reading)
    } catch (error) {
      if (this.ctx.signal.aborted) throw error // the probe's deadline: the whole probe fails
      return { device, error: `${device.name}: ${errorMessage(error)}` }
    }
  }

  /**
   * smartctl's exit status is a bit mask: bit 0 bad command line, bit 1 device open failed (or
   * low-power mode, told apart by the message); the higher bits report disk problems in data
   * that was read fine, so they are no failure of the probe.
   */
  private judge(device: SmartDevice, reading: SmartReading): Outcome {
    if (reading.standby) return { device, reading }
    const status = reading.exitStatus ?? 0
    const gotData =
      reading.model !== undefined || reading.attributes.length > 0 || reading.nvme !== undefined || reading.healthPassed !== undefined
    if (status & 0b11 || !gotData) {
      const why = reading.errors.join("; ") || `smartctl exited with status ${status} and reported no SMART data`
      return { device, error: `${device.name}: ${why}` }
    }
    return { device, reading }
  }

  private reportFailures(failed: { device: SmartDevice; error: string }[]): void {
    const now = new Set(failed.map((o) => o.device.name))
    for (const o of failed) if (!this.failing.has(o.device.name)) this.ctx.log.warn(o.error)
    for (const name of this.failing) if (!now.has(name)) this.ctx.log.info(`${name}: readable again`)
    this.failing = now
  }

  private valueSets(readings: { device: SmartDevice; reading: SmartReading }[]): ValueSet[] {
    const labels = ["device", "model", "serial"]
    const set = (meta: ValueSetMeta) => new ValueSet(labels, meta)
    // The original's raw values, one set per unit their names carry (`Power_On_Hours` → hours),
    // so the snake_case names come out in base units (`power_on_seconds`).
    const rawSets = new Map<string, ValueSet>()
    const rawSet = (name: string) => {
      const unit = attributeUnit(name)
      let found = rawSets.get(unit)
      if (!found)
        rawSets.set(
          unit,
          (found = new ValueSet(["dev"], { unit: unit || undefined, help: "SMART attribute raw value (the original pollect's names)" })),
        )
      return found
    }
    const normalized = new ValueSet([...labels, "attribute"], { help: "SMART attribute normalised value (VALUE column)" })
    const health = set({ help: "SMART overall health self-assessment: 1 passed, 0 failed" })
    const temperature = set({ unit: "celsius", help: "Drive temperature" })
    const powerOn = set({ unit: "seconds", kind: "counter", help: "Drive power-on time" })
    const powerCycles = set({ kind: "counter", help: "Drive power cycles" })
    const percentUsed = set({ unit: "percent", help: "NVMe percentage of rated life used" })
    const spare = set({ unit: "percent", help: "NVMe available spare" })
    const warning = set({ help: "NVMe critical warning bits (0: none)" })
    const bytes = set({ unit: "bytes", kind: "counter", help: "NVMe data read and written" })
    const nvmeCounters = set({ kind: "counter", help: "NVMe error and shutdown counters" })

    for (const { device, reading } of readings) {
      const dev = deviceLabel(device)
      const ids = [dev, reading.model ?? "", reading.serial ?? ""]
      const seen = new Set<string>()
      for (const attribute of reading.attributes) {
        if (this.attributes.size && !this.attributes.has(attribute.name)) continue
        // Several IDs can share a name (`Unknown_Attribute`): the first keeps it, the others get their ID.
        const name = seen.has(attribute.name) ? `${attribute.name}_${attribute.id}` : attribute.name
        seen.add(name)
        rawSet(name).add(attribute.raw, [dev], name)
        if (attribute.normalized !== undefined) normalized.add(attribute.normalized, [...ids, name], "attribute_normalized")
      }
      if (reading.healthPassed !== undefined) health.add(reading.healthPassed, ids, "health")
      if (reading.temperatureCelsius !== undefined) temperature.add(reading.temperatureCelsius, ids, "current_temperature")
      if (reading.powerOnHours !== undefined) powerOn.add(Math.round(reading.powerOnHours * 3600), ids, "power_on_time")
      if (reading.powerCycles !== undefined) powerCycles.add(reading.powerCycles, ids, "power_cycles")
      const nvme = reading.nvme
      if (!nvme) continue
      if (nvme.percentageUsed !== undefined) percentUsed.add(nvme.percentageUsed, ids, "percentage_used")
      if (nvme.availableSpare !== undefined) spare.add(nvme.availableSpare, ids, "available_spare")
      if (nvme.criticalWarning !== undefined) warning.add(nvme.criticalWarning, ids, "critical_warning")
      if (nvme.dataUnitsRead !== undefined) bytes.add(nvme.dataUnitsRead * NVME_DATA_UNIT_BYTES, ids, "data_read")
      if (nvme.dataUnitsWritten !== undefined) bytes.add(nvme.dataUnitsWritten * NVME_DATA_UNIT_BYTES, ids, "data_written")
      if (nvme.mediaErrors !== undefined) nvmeCounters.add(nvme.mediaErrors, ids, "media_errors")
      if (nvme.unsafeShutdowns !== undefined) nvmeCounters.add(nvme.unsafeShutdowns, ids, "unsafe_shutdowns")
      if (nvme.errorLogEntries !== undefined) nvmeCounters.add(nvme.errorLogEntries, ids, "error_log_entries")
    }
    return [
      ...rawSets.values(),
      normalized,
      health,
      temperature,
      powerOn,
      powerCycles,
      percentUsed,
      spare,
      warning,
      bytes,
      nvmeCounters,
    ].filter((s) => s.values.length > 0)
  }
}

/** The unit an attribute's name carries: `Temperature_Celsius` → celsius, `Power_On_Hours` → hours; "" for none. */
export function attributeUnit(name: string): string {
  if (/^(Airflow_)?Temperature_Cel/.test(name)) return "celsius"
  return /_(Hours|Minutes|Seconds)(_|$)/.exec(name)?.[1]?.toLowerCase() ?? ""
}

/** Runs `fn` over `items`, at most `limit` at a time, results in input order. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await fn(items[index]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
