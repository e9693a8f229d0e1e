/**
 * Parsers for smartctl's output: the JSON of smartctl ≥ 7 (`--json`) and the text of smartctl 6
 * (still on old NAS boxes). Both end up as one `SmartReading`, so the source does not care which
 * smartctl answered. Pure functions: text in, data out.
 */

/** A device as `smartctl --scan` lists it. */
export interface SmartDevice {
  /** `/dev/sda`, `/dev/nvme0`, `/dev/bus/0` */
  name: string
  /** `-d` type: `sat`, `nvme`, `megaraid,0`, ... */
  type?: string
  protocol?: string
}

export interface SmartAttribute {
  id: number
  name: string
  /** The normalised value (VALUE column), when smartctl printed one. */
  normalized?: number
  /**
   * First number of the raw value as smartctl formats it (`32 (Min/Max 20/45)` → 32), as the
   * original pollect read it; a duration smartctl printed as one (`301h+29m`) is given in the
   * unit the name carries instead (`Power_On_Minutes` → 18089), whole units.
   */
  raw: number
  /** The raw value in seconds, when smartctl printed it as a duration (`301h+29m` → 1085340). */
  seconds?: number
}

/** NVMe SMART/Health Information log (page 0x02). */
export interface NvmeHealth {
  criticalWarning?: number
  temperature?: number
  availableSpare?: number
  percentageUsed?: number
  dataUnitsRead?: number
  dataUnitsWritten?: number
  powerCycles?: number
  powerOnHours?: number
  unsafeShutdowns?: number
  mediaErrors?: number
  errorLogEntries?: number
}

export interface SmartReading {
  model?: string
  serial?: string
  /** Set when smartctl did not read the disk because it sleeps (`-n standby`): the power mode. */
  standby?: string
  /** Overall health self-assessment; undefined when smartctl did not report it. */
  healthPassed?: boolean
  temperatureCelsius?: number
  powerOnHours?: number
  powerCycles?: number
  attributes: SmartAttribute[]
  nvme?: NvmeHealth
  /**
   * The NVMe health log as smartctl's JSON names it (`data_units_written`, `temperature_sensors`:
   * a list), every numeric entry: what pollect 1.2 reported. Only from `--json`.
   */
  nvmeLog?: Record<string, number | number[]>
  /** smartctl's own error messages (device open failed, ...). */
  errors: string[]
  /** smartctl's exit status (a bit mask, see `man smartctl`). */
  exitStatus?: number
}

/** One data unit of the NVMe health log is 1000 blocks of 512 bytes. */
export const NVME_DATA_UNIT_BYTES = 512_000

/** `Device is in STANDBY mode, exit(2)` (smartctl -n standby): the mode, or undefined. */
export function standbyMode(text: string): string | undefined {
  return /Device is in (.+?) mode, exit\(\d+\)/.exec(text)?.[1]
}

/** smartctl 6 answers `--json` with `=======> UNRECOGNIZED OPTION: json`. */
export function jsonNotSupported(text: string): boolean {
  return /UNRECOGNIZED OPTION: ?j(son)?\b/i.test(text) || /invalid option -- '?j'?/.test(text)
}

/** The number a raw value starts with: `32 (Min/Max 20/45)` → 32, `54781h+23m` → 54781, `0x00ff` → 255. */
export function rawNumber(text: string): number | undefined {
  const token = text.trim().split(/\s+/, 1)[0] ?? ""
  if (/^0x[0-9a-f]+$/i.test(token)) return Number.parseInt(token, 16)
  const match = /-?[0-9]+/.exec(token)
  return match ? Number(match[0]) : undefined
}

/**
 * A raw value smartctl printed as a duration, in seconds: attribute 9 under `-v 9,minutes`
 * (`301h+29m`), `9,halfminutes` (`301h+29m`), `9,seconds` (`5h+01m+29s`) and `9,msec24hour32`
 * (`54781h+23m+10.123s`), as smartmontools' `ata_format_attr_raw_value()` writes them.
 */
export function rawDurationSeconds(text: string): number | undefined {
  const match = /^(\d+)h\+(\d+)m(?:\+(\d+(?:\.\d+)?)s)?(?=\s|$)/.exec(text.trim())
  if (!match) return undefined
  return Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3] ?? 0)
}

/** The unit an attribute's name carries: `Temperature_Celsius` → celsius, `Power_On_Hours` → hours (`Power_On_Half_Minutes` → minutes); "" for none. */
export function attributeUnit(name: string): string {
  if (/^(Airflow_)?Temperature_Cel/.test(name)) return "celsius"
  return /_(Hours|Minutes|Seconds)(_|$)/.exec(name)?.[1]?.toLowerCase() ?? ""
}

const UNIT_SECONDS: Record<string, number> = { hours: 3600, minutes: 60, seconds: 1 }

/** An attribute from its id, name, normalised value and raw text (`301h+29m` given in the name's unit, see `raw`). */
function attributeOf(
  id: number,
  name: string,
  normalized: number | undefined,
  rawText: string | undefined,
  rawValue?: number,
): SmartAttribute | undefined {
  const seconds = rawText === undefined ? undefined : rawDurationSeconds(rawText)
  const perUnit = UNIT_SECONDS[attributeUnit(name)]
  if (seconds !== undefined && perUnit !== undefined) return { id, name, normalized, raw: Math.floor(seconds / perUnit), seconds }
  const raw = (rawText === undefined ? undefined : rawNumber(rawText)) ?? rawValue
  return raw === undefined ? undefined : { id, name, normalized, raw }
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.trim() : undefined
}

function parseJsonObject(text: string, what: string): Json {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new Error(`${what}: not JSON: ${JSON.stringify(text.trim().slice(0, 120))}`)
  }
  if (!isObject(data)) throw new Error(`${what}: expected a JSON object`)
  return data
}

/** `smartctl --scan --json`: the devices (none when the key is missing, as smartctl prints it then). */
export function parseSmartScanJson(text: string): SmartDevice[] {
  const data = parseJsonObject(text, "smartctl --scan --json")
  const devices = Array.isArray(data.devices) ? data.devices : []
  return devices.flatMap((device): SmartDevice[] => {
    if (!isObject(device) || !str(device.name) || device.open_error !== undefined) return []
    return [{ name: str(device.name)!, type: str(device.type), protocol: str(device.protocol) }]
  })
}

/** `smartctl --scan` text: `/dev/sda -d sat # /dev/sda [SAT], ATA device` per line. */
export function parseSmartScanText(text: string): SmartDevice[] {
  const devices: SmartDevice[] = []
  for (const line of text.split("\n")) {
    const match = /^(\S+)\s+-d\s+(\S+)\s*(?:#.*?,\s*(\S+) device)?/.exec(line.trim())
    if (match && !line.trim().startsWith("#")) devices.push({ name: match[1]!, type: match[2], protocol: match[3] })
  }
  return devices
}

/** `smartctl --json --all` of one device. */
export function parseSmartJson(text: string): SmartReading {
  const data = parseJsonObject(text, "smartctl --json")
  const smartctl = isObject(data.smartctl) ? data.smartctl : {}
  const messages = (Array.isArray(smartctl.messages) ? smartctl.messages : []).filter(isObject)
  const reading: SmartReading = {
    attributes: [],
    errors: messages.filter((m) => m.severity === "error").flatMap((m) => str(m.string) ?? []),
    exitStatus: num(smartctl.exit_status),
  }
  const powerMode = isObject(data.power_mode) ? str(data.power_mode.name) : undefined
  reading.standby = standbyMode(messages.map((m) => str(m.string) ?? "").join("\n")) ?? undefined
  if (reading.standby && powerMode) reading.standby = powerMode

  reading.model = str(data.model_name) ?? str(data.scsi_model_name) ?? str(data.scsi_product)
  reading.serial = str(data.serial_number)
  if (isObject(data.smart_status) && typeof data.smart_status.passed === "boolean") reading.healthPassed = data.smart_status.passed
  if (isObject(data.temperature)) reading.temperatureCelsius = num(data.temperature.current)
  if (isObject(data.power_on_time)) {
    const hours = num(data.power_on_time.hours)
    if (hours !== undefined) reading.powerOnHours = hours + (num(data.power_on_time.minutes) ?? 0) / 60
  }
  reading.powerCycles = num(data.power_cycle_count)

  const table = isObject(data.ata_smart_attributes) && Array.isArray(data.ata_smart_attributes.table) ? data.ata_smart_attributes.table : []
  for (const row of table) {
    if (!isObject(row)) continue
    const name = str(row.name)
    const id = num(row.id)
    if (!name || id === undefined) continue
    const raw = isObject(row.raw) ? row.raw : {}
    // The raw string is already decoded per attribute (the packed raw.value of a temperature is not).
    const attribute = attributeOf(id, name, num(row.value), str(raw.string), num(raw.value))
    if (attribute) reading.attributes.push(attribute)
  }

  const log = data.nvme_smart_health_information_log
  if (isObject(log)) {
    reading.nvme = {
      criticalWarning: num(log.critical_warning),
      temperature: num(log.temperature),
      availableSpare: num(log.available_spare),
      percentageUsed: num(log.percentage_used),
      dataUnitsRead: num(log.data_units_read),
      dataUnitsWritten: num(log.data_units_written),
      powerCycles: num(log.power_cycles),
      powerOnHours: num(log.power_on_hours),
      unsafeShutdowns: num(log.unsafe_shutdowns),
      mediaErrors: num(log.media_errors),
      errorLogEntries: num(log.num_err_log_entries),
    }
    reading.nvmeLog = {}
    for (const [key, value] of Object.entries(log)) {
      if (typeof value === "number" && Number.isFinite(value)) reading.nvmeLog[key] = value
      else if (Array.isArray(value) && value.every((x) => typeof x === "number" && Number.isFinite(x))) reading.nvmeLog[key] = value
    }
    reading.temperatureCelsius ??= reading.nvme.temperature
    reading.powerOnHours ??= reading.nvme.powerOnHours
    reading.powerCycles ??= reading.nvme.powerCycles
  }
  return reading
}

/**
 * The ATA attribute table of `smartctl -A` text (any smartctl version). Columns are found by the
 * header, so the `-f brief` layout works too; the raw value is the first number of its column,
 * exactly as the original pollect read it.
 */
export function parseSmartAttributesText(text: string): SmartAttribute[] {
  const attributes: SmartAttribute[] = []
  let valueAt = -1
  let rawAt = -1
  for (const line of text.split("\n")) {
    const columns = line.trim().split(/\s+/)
    if (columns.includes("ATTRIBUTE_NAME")) {
      valueAt = columns.indexOf("VALUE")
      rawAt = columns.indexOf("RAW_VALUE")
      continue
    }
    if (rawAt < 0) continue
    if (!/^\d+$/.test(columns[0] ?? "") || columns.length <= rawAt) {
      if (!line.trim()) rawAt = -1 // the table ends at the first blank line
      continue
    }
    const normalized = valueAt >= 0 ? Number(columns[valueAt]) : Number.NaN
    const attribute = attributeOf(
      Number(columns[0]),
      columns[1]!,
      Number.isFinite(normalized) ? normalized : undefined,
      columns.slice(rawAt).join(" "),
    )
    if (attribute) attributes.push(attribute)
  }
  return attributes
}

/** `Key:   value` lines of smartctl's text output, keys lower-cased. */
function textFields(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z][^:]{0,60}?):\s+(.+?)\s*$/.exec(line)
    if (match && !fields.has(match[1]!.toLowerCase())) fields.set(match[1]!.toLowerCase(), match[2]!)
  }
  return fields
}

/** `1,234,567 [632 GB]` → 1234567 */
function textNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const match = /^(0x[0-9a-f]+|-?[0-9][0-9,.]*)/i.exec(text.trim())
  if (!match) return undefined
  const value = match[1]!.startsWith("0x") ? Number.parseInt(match[1]!, 16) : Number(match[1]!.replace(/,/g, ""))
  return Number.isFinite(value) ? value : undefined
}

/**
 * Hours from ATA attribute 9, whose name says its unit. smartctl prints the minute, half-minute
 * and second counters as durations (`301h+29m`): those are exact; a bare number is a count of
 * the name's unit.
 */
export function powerOnHoursOf(attribute: SmartAttribute): number | undefined {
  const unit = /^Power_On_(Hours|Minutes|Seconds|Half_Minutes)/.exec(attribute.name)?.[1]
  if (!unit) return undefined
  if (attribute.seconds !== undefined) return attribute.seconds / 3600
  return attribute.raw / { Hours: 1, Minutes: 60, Seconds: 3600, Half_Minutes: 120 }[unit as "Hours"]
}

/**
 * `smartctl -i -H -A` text (smartctl 6, or 7 without `--json`): identity, health, the ATA
 * attribute table, the NVMe health log and the few SCSI lines worth having.
 */
export function parseSmartText(text: string): SmartReading {
  const fields = textFields(text)
  const reading: SmartReading = { attributes: parseSmartAttributesText(text), errors: [] }
  reading.standby = standbyMode(text)
  const openFailed = /^Smartctl open device: .*$/m.exec(text)?.[0]
  if (openFailed) reading.errors.push(openFailed)

  reading.model = fields.get("device model") ?? fields.get("model number") ?? fields.get("product")
  reading.serial = fields.get("serial number")
  const health = fields.get("smart overall-health self-assessment test result") ?? fields.get("smart health status")
  if (health !== undefined) reading.healthPassed = /^(PASSED|OK)\b/.test(health)

  const attribute = (...ids: number[]) => ids.map((id) => reading.attributes.find((a) => a.id === id)).find((a) => a !== undefined)
  // smartctl's JSON takes the temperature from attribute 194, else 190; do the same.
  reading.temperatureCelsius = attribute(194, 190)?.raw ?? textNumber(fields.get("current drive temperature"))
  const powerOn = attribute(9)
  reading.powerOnHours = powerOn ? powerOnHoursOf(powerOn) : undefined
  reading.powerCycles = attribute(12)?.raw
  const scsiPowerOn = /Accumulated power on time, hours:minutes (\d+):(\d+)/.exec(text)
  if (scsiPowerOn) reading.powerOnHours ??= Number(scsiPowerOn[1]) + Number(scsiPowerOn[2]) / 60

  if (/SMART\/Health Information \(NVMe Log/.test(text)) {
    reading.nvme = {
      criticalWarning: textNumber(fields.get("critical warning")),
      temperature: textNumber(fields.get("temperature")),
      availableSpare: textNumber(fields.get("available spare")),
      percentageUsed: textNumber(fields.get("percentage used")),
      dataUnitsRead: textNumber(fields.get("data units read")),
      dataUnitsWritten: textNumber(fields.get("data units written")),
      powerCycles: textNumber(fields.get("power cycles")),
      powerOnHours: textNumber(fields.get("power on hours")),
      unsafeShutdowns: textNumber(fields.get("unsafe shutdowns")),
      mediaErrors: textNumber(fields.get("media and data integrity errors")),
      errorLogEntries: textNumber(fields.get("error information log entries")),
    }
    reading.temperatureCelsius ??= reading.nvme.temperature
    reading.powerOnHours ??= reading.nvme.powerOnHours
    reading.powerCycles ??= reading.nvme.powerCycles
  }
  return reading
}
