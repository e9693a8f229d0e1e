/**
 * Viessmann API data → pollect values: which installation/gateway/device to read, and the heating
 * features the original pollect reported, under its value names. Pure functions over parsed JSON.
 */
import { ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

export interface ViessmannDevicePath {
  installationId: string
  gatewaySerial: string
  deviceId: string
}

type Json = Record<string, unknown>

function obj(value: unknown): Json | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}

/**
 * The first installation's first gateway, and its first device that is not the Vitoconnect box
 * itself (device "0" when the gateway lists none), as the original chose.
 */
export function pickDevice(installations: unknown, wanted: Partial<ViessmannDevicePath> = {}): ViessmannDevicePath {
  const data = list(obj(installations)?.data)
  if (!obj(installations) || !Array.isArray(obj(installations)!.data)) throw new Error("installations answer has no data array")
  const installation = obj(data.find((i) => wanted.installationId === undefined || String(obj(i)?.id) === wanted.installationId))
  if (!installation || installation.id === undefined) {
    throw new Error(
      wanted.installationId ? `installation ${wanted.installationId} not found in the account` : "the account has no installation",
    )
  }
  const gateways = list(installation.gateways)
  const gateway = obj(gateways.find((g) => wanted.gatewaySerial === undefined || obj(g)?.serial === wanted.gatewaySerial))
  if (!gateway || typeof gateway.serial !== "string") {
    throw new Error(
      wanted.gatewaySerial
        ? `gateway ${wanted.gatewaySerial} not found in installation ${installation.id}`
        : `installation ${installation.id} has no gateway`,
    )
  }
  let deviceId = wanted.deviceId
  if (deviceId === undefined) {
    const device = list(gateway.devices)
      .map(obj)
      .find((d) => d && d.deviceType !== "vitoconnect" && d.id !== undefined)
    deviceId = device ? String(device.id) : "0"
  }
  return { installationId: String(installation.id), gatewaySerial: gateway.serial, deviceId }
}

/** Feature name → its properties, from a `/features` answer (`{ data: [{ feature, properties }] }`). */
export function featureMap(answer: unknown): Map<string, Json> {
  const root = obj(answer)
  if (!root || !Array.isArray(root.data)) throw new Error("features answer has no data array")
  const features = new Map<string, Json>()
  for (const item of root.data) {
    const feature = obj(item)
    if (feature && typeof feature.feature === "string") features.set(feature.feature, obj(feature.properties) ?? {})
  }
  return features
}

/** `properties[name].value` as a number (booleans 1/0); undefined when absent or not numeric. */
export function propertyNumber(features: Map<string, Json>, feature: string, property: string): number | undefined {
  const value = obj(features.get(feature)?.[property])?.value
  if (typeof value === "boolean") return Number(value)
  if (typeof value === "number" && Number.isFinite(value)) return value
  return undefined
}

export function propertyString(features: Map<string, Json>, feature: string, property: string): string | undefined {
  const value = obj(features.get(feature)?.[property])?.value
  return typeof value === "string" ? value : undefined
}

type Spec = [name: string, feature: string, property: string]

/** Temperatures (°C), in the original's order and names. */
const TEMPERATURES: Spec[] = [
  ["return_temperature", "heating.sensors.temperature.return", "value"],
  ["outside_temperature", "heating.sensors.temperature.outside", "value"],
  ["hot_water_storage_top", "heating.dhw.sensors.temperature.hotWaterStorage.top", "value"],
  ["hot_water_storage", "heating.dhw.sensors.temperature.hotWaterStorage", "value"],
  ["supply_temp", "heating.circuits.0.sensors.temperature.supply", "value"],
  ["secondary_return_temp", "heating.secondaryCircuit.sensors.temperature.return", "value"],
  ["secondary_supply_temp", "heating.secondaryCircuit.sensors.temperature.supply", "value"],
  ["hot_water_target_temp", "heating.dhw.temperature.main", "value"],
  ["program_normal_temp", "heating.circuits.0.operating.programs.normal", "temperature"],
]

/** Compressor statistics: starts and operating hours (monotonic counters). */
const STARTS: Spec = ["compressor_stats_starts", "heating.compressors.0.statistics", "starts"]
const HOURS: Spec[] = [
  ["compressor_stats_hours", "heating.compressors.0.statistics", "hours"],
  ["compressor_stats_hours_class_1", "heating.compressors.0.statistics", "hoursLoadClassOne"],
  ["compressor_stats_hours_class_2", "heating.compressors.0.statistics", "hoursLoadClassTwo"],
  ["compressor_stats_hours_class_3", "heating.compressors.0.statistics", "hoursLoadClassThree"],
  ["compressor_stats_hours_class_4", "heating.compressors.0.statistics", "hoursLoadClassFour"],
  ["compressor_stats_hours_class_5", "heating.compressors.0.statistics", "hoursLoadClassFive"],
]

/** On/off states (1/0). Pumps are "on" unless their status says "off", as the original read them. */
const BOOLEANS: Spec[] = [
  ["hot_water_charging", "heating.dhw.charging", "active"],
  ["heating_rod_active", "heating.heatingRod.status", "overall"],
  ["heating_rod_active_level_1", "heating.heatingRod.status", "level1"],
  ["heating_rod_active_level_2", "heating.heatingRod.status", "level2"],
  ["heating_rod_active_level_3", "heating.heatingRod.status", "level3"],
]
const PUMPS: Spec[] = [
  ["heating_circulation_pump", "heating.circuits.0.circulation.pump", "status"],
  ["hot_water_circulation_pump", "heating.dhw.pumps.circulation", "status"],
  ["hot_water_primary_pump", "heating.dhw.pumps.primary", "status"],
]

const PHASES = ["cooling", "heating", "pause"]

/** The value sets of one `/features` answer; features the device lacks are left out, not zero. */
export function viessmannValueSets(features: Map<string, Json>): ValueSet[] {
  const temperatures = new ValueSet(metrics.temperatures)
  for (const [name, feature, property] of TEMPERATURES) {
    let value = propertyNumber(features, feature, property)
    // Older installations name the hot water target "heating.dhw.temperature" (the seed read that).
    if (value === undefined && name === "hot_water_target_temp") value = propertyNumber(features, "heating.dhw.temperature", "value")
    if (value !== undefined) temperatures.add(value, [], name)
  }

  const states = new ValueSet(metrics.states)
  const phase = propertyString(features, "heating.compressors.0", "phase")
  if (phase !== undefined) states.add(phase !== "off" && phase !== "pause", [], "compressor_active")
  else {
    const active = propertyNumber(features, "heating.compressors.0", "active") ?? propertyNumber(features, "heating.compressor", "active")
    if (active !== undefined) states.add(active, [], "compressor_active")
  }
  for (const [name, feature, property] of BOOLEANS) {
    const value = propertyNumber(features, feature, property)
    if (value !== undefined) states.add(value, [], name)
  }
  for (const [name, feature, property] of PUMPS) {
    const status = propertyString(features, feature, property)
    if (status !== undefined) states.add(status !== "off", [], name)
  }

  const starts = new ValueSet(metrics.starts)
  const startCount = propertyNumber(features, STARTS[1], STARTS[2])
  if (startCount !== undefined) starts.add(startCount, [], STARTS[0])

  const hours = new ValueSet(metrics.hours)
  for (const [name, feature, property] of HOURS) {
    const value = propertyNumber(features, feature, property)
    if (value !== undefined) hours.add(value, [], name)
  }

  const phases = new ValueSet(metrics.phase)
  if (phase !== undefined) for (const p of PHASES) phases.add(phase === p, [p], "compressor_phase")

  return [temperatures, states, starts, hours, phases].filter((set) => set.values.length > 0)
}
