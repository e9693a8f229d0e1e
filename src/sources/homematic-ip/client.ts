/**
 * The HomematicIP cloud REST API, the parts pollect needs, as the homematicip-rest-api library
 * speaks it: the client token derived from the access point id, the client characteristics
 * sent to the lookup host and with each call, and getCurrentState's JSON → value sets.
 * Everything here is pure; the source does the I/O.
 */
import { createHash } from "node:crypto"
import { release } from "node:os"
import { ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

/** Salt of the CLIENTAUTH header (homematicip-rest-api, client_token_builder.py). */
const CLIENT_AUTH_SALT = "jiLpVitHvWnIGD1yo7MA"

/** `3014-F711-A000-0000-0000-0001` → `3014F711A0000000000000001` (the form the API expects). */
export function normalizeAccessPoint(id: string): string {
  return id.replace(/[-\s]/g, "").toUpperCase()
}

/** CLIENTAUTH: SHA-512 of access point id + salt, upper-case hex. */
export function clientAuthToken(accessPoint: string): string {
  return createHash("sha512")
    .update(accessPoint + CLIENT_AUTH_SALT, "utf8")
    .digest("hex")
    .toUpperCase()
}

function osType(): string {
  const names: Record<string, string> = { linux: "Linux", darwin: "Darwin", win32: "Windows", freebsd: "FreeBSD" }
  return names[process.platform] ?? process.platform
}

/**
 * The body of the lookup and of getCurrentState. The application identifier is the Python
 * library's: auth tokens are generated with it (hmip_generate_auth_token), so we present the same.
 */
export function clientCharacteristics(accessPoint: string): Record<string, unknown> {
  return {
    clientCharacteristics: {
      apiVersion: "10",
      applicationIdentifier: "homematicip-python",
      applicationVersion: "1.0",
      deviceManufacturer: "none",
      deviceType: "Computer",
      language: "en_US",
      osType: osType(),
      osVersion: release(),
    },
    id: accessPoint,
  }
}

/** The REST URL from the lookup answer (`{ urlREST, urlWebSocket }`). */
export function restUrlFromLookup(answer: unknown): string {
  const url = (answer as Record<string, unknown> | null)?.urlREST
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) throw new Error("lookup answer has no urlREST")
  return url.replace(/\/+$/, "")
}

/** Room names as the original escaped them: lower case, ä/ö/ü spelled out, spaces → `_`. */
export function escapeLabel(label: string): string {
  return label.toLowerCase().replace(/ä/g, "ae").replace(/ü/g, "ue").replace(/ö/g, "oe").replace(/ /g, "_")
}

type Json = Record<string, unknown>

function obj(value: unknown): Json | undefined {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined
}

/** Channels of the wall thermostats and climate sensors with display (the original's TemperatureHumiditySensorDisplay). */
const CLIMATE_CHANNEL = "WALL_MOUNTED_THERMOSTAT_PRO_CHANNEL"
/** Radiator thermostats (eTRV): valve position and the temperature measured at the valve. */
const VALVE_CHANNEL = "HEATING_THERMOSTAT_CHANNEL"

interface Device {
  id: string
  label: string
  channels: Json[]
}

function devicesOf(state: Json): Map<string, Device> {
  const devices = new Map<string, Device>()
  for (const [id, value] of Object.entries(obj(state.devices) ?? {})) {
    const device = obj(value)
    if (!device) continue
    const channels = Object.values(obj(device.functionalChannels) ?? {})
      .map(obj)
      .filter((c): c is Json => !!c)
    devices.set(id, { id, label: typeof device.label === "string" ? device.label : id, channels })
  }
  return devices
}

/** Rooms (META groups) in the state's order, each with its devices in the order listed, once each. */
function roomsOf(state: Json): { room: string; deviceIds: string[] }[] {
  const rooms: { room: string; deviceIds: string[] }[] = []
  for (const value of Object.values(obj(state.groups) ?? {})) {
    const group = obj(value)
    if (group?.type !== "META") continue
    const ids: string[] = []
    for (const channel of Array.isArray(group.channels) ? group.channels : []) {
      const id = obj(channel)?.deviceId
      if (typeof id === "string" && !ids.includes(id)) ids.push(id)
    }
    rooms.push({ room: escapeLabel(typeof group.label === "string" ? group.label : ""), deviceIds: ids })
  }
  return rooms
}

/**
 * Values of one getCurrentState answer:
 * - the original's, labelled by room: `temperature_target`, `temperature`, `humidity` of the
 *   first climate display (wall thermostat) in each room;
 * - per device, labelled room and device: `device_temperature`, `device_temperature_target`,
 *   `device_humidity` (climate displays), `valve_position` (0..1), `valve_temperature` and
 *   `device_temperature_target` (radiator thermostats).
 */
export function homematicValueSets(answer: unknown): ValueSet[] {
  const state = obj(answer)
  if (!state || !obj(state.devices) || !obj(state.groups)) throw new Error("getCurrentState answer has no devices/groups")
  const devices = devicesOf(state)

  const roomTemps = new ValueSet(metrics.roomTemperature)
  const roomHumidity = new ValueSet(metrics.roomHumidity)
  const deviceTemps = new ValueSet(metrics.deviceTemperature)
  const deviceHumidity = new ValueSet(metrics.deviceHumidity)
  const valves = new ValueSet(metrics.valvePosition)

  for (const { room, deviceIds } of roomsOf(state)) {
    let roomDone = false
    for (const id of deviceIds) {
      const device = devices.get(id)
      if (!device) continue
      const name = escapeLabel(device.label)
      for (const channel of device.channels) {
        if (channel.functionalChannelType === CLIMATE_CHANNEL) {
          const target = num(channel.setPointTemperature)
          const actual = num(channel.actualTemperature)
          const humidity = num(channel.humidity)
          if (!roomDone) {
            // The original added all three for every display; one per room keeps series unique.
            if (target !== undefined) roomTemps.add(target, [room], "temperature_target")
            if (actual !== undefined) roomTemps.add(actual, [room], "temperature")
            if (humidity !== undefined) roomHumidity.add(humidity, [room], "humidity")
            roomDone = true
          }
          if (actual !== undefined) deviceTemps.add(actual, [room, name], "device_temperature")
          if (target !== undefined) deviceTemps.add(target, [room, name], "device_temperature_target")
          if (humidity !== undefined) deviceHumidity.add(humidity, [room, name], "device_humidity")
        } else if (channel.functionalChannelType === VALVE_CHANNEL) {
          const position = num(channel.valvePosition)
          const actual = num(channel.valveActualTemperature)
          const target = num(channel.setPointTemperature)
          if (position !== undefined) valves.add(position, [room, name], "valve_position")
          if (actual !== undefined) deviceTemps.add(actual, [room, name], "valve_temperature")
          if (target !== undefined) deviceTemps.add(target, [room, name], "device_temperature_target")
        }
      }
    }
  }
  return [roomTemps, roomHumidity, deviceTemps, deviceHumidity, valves].filter((set) => set.values.length > 0)
}
