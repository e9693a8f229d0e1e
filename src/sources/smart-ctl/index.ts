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
 * - Under the config's `"compat": "1.2"`, pollect 1.2's names replace the first: one set labelled
 *   `attribute`, `dev` (`pollect_SmartCtl{attribute="Temperature_Celsius",dev="sda"}`), with the
 *   NVMe health log's entries by their JSON names (a list `temperature_sensors` as
 *   `temperature_sensors_0`, `_1`, ...).
 */
import { FailureLatch, mapConcurrent, Source, ValueSet, errorMessage, type MetricSpec } from "../../api.ts"
import { compileUserRegex } from "../../lib/options/user-regex.ts"
import {
  attributeUnit,
  jsonNotSupported,
  NVME_DATA_UNIT_BYTES,
  parseSmartJson,
  parseSmartScanJson,
  parseSmartScanText,
  parseSmartText,
  type NvmeHealth,
  type SmartDevice,
  type SmartReading,
} from "./parse.ts"
import { metrics } from "./metrics.ts"
import { options, type SmartCtlOptions } from "./options.ts"

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

/** A read disk, or why it could not be read (smartctl's message, without the device name). */
type Outcome = { device: SmartDevice; reading: SmartReading } | { device: SmartDevice; error: string }

/** The raw attribute set of each unit an attribute name carries (see attributeUnit). */
const RAW_BY_UNIT: Record<string, MetricSpec> = {
  "": metrics.raw,
  celsius: metrics.rawCelsius,
  hours: metrics.rawHours,
  minutes: metrics.rawMinutes,
  seconds: metrics.rawSeconds,
}

export class SmartCtlSource extends Source<SmartCtlOptions> {
  static override readonly options = options
  static override readonly metrics = metrics

  /** smartctl 6 has no --json; found out on the first scan, then its text is read. */
  private legacy = false
  private readonly attributes = new Set(this.config.attributes ?? [])
  private readonly patterns = (this.config.devices ?? []).map((pattern) => compileUserRegex(pattern, "start"))
  /** A failing disk is logged when it starts and stops failing, not every probe. */
  private readonly latch = new FailureLatch(this.ctx.log, {
    failed: (device, message) => `${device}: ${message}`,
    recovered: (device) => `${device}: readable again`,
  })

  override async probe(): Promise<ValueSet[]> {
    const devices = (await this.scan()).filter((device) => this.wanted(device))
    const outcomes = await mapConcurrent(devices, PARALLEL, (device) => this.read(device))
    const failed = outcomes.filter((o): o is Extract<Outcome, { error: string }> => "error" in o)
    if (devices.length && failed.length === devices.length) throw new Error(failed.map((o) => `${o.device.name}: ${o.error}`).join("; "))
    for (const o of outcomes) {
      if ("error" in o) this.latch.fail(o.device.name, o.device.name, o.error)
      else this.latch.ok(o.device.name, o.device.name)
    }
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
      return { device, error: errorMessage(error) }
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
      return { device, error: why }
    }
    return { device, reading }
  }

  /**
   * pollect 1.2's NVMe entries: every number of the health log under its JSON name, whole numbers
   * (1.2 took `int()`), a list as `name_0`, `name_1`, ...; `attributes` filters by the JSON name.
   */
  private addNvmeLog12(set: ValueSet, dev: string, reading: SmartReading): void {
    const nvme = reading.nvme
    const log: Record<string, number | number[]> =
      reading.nvmeLog ??
      Object.fromEntries(NVME_JSON_NAMES.flatMap(([field, name]) => (nvme?.[field] !== undefined ? [[name, nvme[field]!]] : [])))
    for (const [name, value] of Object.entries(log)) {
      if (this.attributes.size && !this.attributes.has(name)) continue
      if (Array.isArray(value)) value.forEach((item, i) => set.add(Math.trunc(item), [`${name}_${i}`, dev]))
      else set.add(Math.trunc(value), [name, dev])
    }
  }

  private valueSets(readings: { device: SmartDevice; reading: SmartReading }[]): ValueSet[] {
    // The original's raw values, one set per unit their names carry (`Power_On_Hours` → hours),
    // so the snake_case names come out in base units (`power_on_seconds`).
    const rawSets = new Map<string, ValueSet>()
    const rawSet = (name: string) => {
      const unit = attributeUnit(name)
      let found = rawSets.get(unit)
      if (!found) rawSets.set(unit, (found = new ValueSet(RAW_BY_UNIT[unit]!)))
      return found
    }
    const normalized = new ValueSet(metrics.normalized)
    const health = new ValueSet(metrics.health)
    const temperature = new ValueSet(metrics.temperature)
    const powerOn = new ValueSet(metrics.powerOn)
    const powerCycles = new ValueSet(metrics.powerCycles)
    const percentUsed = new ValueSet(metrics.percentUsed)
    const spare = new ValueSet(metrics.spare)
    const warning = new ValueSet(metrics.warning)
    const bytes = new ValueSet(metrics.bytes)
    const nvmeCounters = new ValueSet(metrics.nvmeCounters)

    const compat12 = this.ctx.compat === "1.2"
    const pollect12 = new ValueSet(metrics.pollect12)
    for (const { device, reading } of readings) {
      const dev = deviceLabel(device)
      const ids = [dev, reading.model ?? "", reading.serial ?? ""]
      const seen = new Set<string>()
      for (const attribute of reading.attributes) {
        if (this.attributes.size && !this.attributes.has(attribute.name)) continue
        // Several IDs can share a name (`Unknown_Attribute`): the first keeps it, the others get their ID.
        const name = seen.has(attribute.name) ? `${attribute.name}_${attribute.id}` : attribute.name
        seen.add(name)
        if (compat12) pollect12.add(attribute.raw, [name, dev])
        else rawSet(name).add(attribute.raw, [dev], name)
        if (attribute.normalized !== undefined) normalized.add(attribute.normalized, [...ids, name], "attribute_normalized")
      }
      if (reading.healthPassed !== undefined) health.add(reading.healthPassed, ids, "health")
      if (reading.temperatureCelsius !== undefined) temperature.add(reading.temperatureCelsius, ids, "current_temperature")
      if (reading.powerOnHours !== undefined) powerOn.add(Math.round(reading.powerOnHours * 3600), ids, "power_on_time")
      if (reading.powerCycles !== undefined) powerCycles.add(reading.powerCycles, ids, "power_cycles")
      if (compat12) this.addNvmeLog12(pollect12, dev, reading)
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
      pollect12,
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

/** The NVMe log's JSON names of NvmeHealth's fields, for smartctl 6's text (which has no JSON log). */
const NVME_JSON_NAMES: [keyof NvmeHealth, string][] = [
  ["criticalWarning", "critical_warning"],
  ["temperature", "temperature"],
  ["availableSpare", "available_spare"],
  ["percentageUsed", "percentage_used"],
  ["dataUnitsRead", "data_units_read"],
  ["dataUnitsWritten", "data_units_written"],
  ["powerCycles", "power_cycles"],
  ["powerOnHours", "power_on_hours"],
  ["unsafeShutdowns", "unsafe_shutdowns"],
  ["mediaErrors", "media_errors"],
  ["errorLogEntries", "num_err_log_entries"],
]

/** Re-exported: the tests (and readers of this file) find it beside the raw sets it names. */
export { attributeUnit }
