/**
 * Home Assistant MQTT discovery for the values pollect publishes: one retained sensor config per
 * value on `<discoveryPrefix>/sensor/<object_id>/config` (home-assistant.io/integrations/mqtt,
 * "Discovery messages"; home-assistant.io/integrations/sensor.mqtt for the sensor's keys).
 */
import type { ValueKind } from "../../api.ts"

/** What Home Assistant accepts as a discovery topic's node id / object id. */
export const OBJECT_ID = /^[a-zA-Z0-9_-]+$/

/** How a declared pollect unit is shown in Home Assistant: its unit and, where one fits, its device class. */
export interface HassUnit {
  unit?: string
  deviceClass?: string
}

/**
 * pollect's declared units (`grep -rh "unit:" src/sources/*\/metrics.ts`) → Home Assistant's units
 * and sensor device classes. A device class only where Home Assistant's class takes that unit
 * (temperature: °C; data_size: B; data_rate: B/s, bit/s; duration: ms, s, min, h; ...).
 */
export const HASS_UNITS: Readonly<Record<string, HassUnit>> = {
  celsius: { unit: "°C", deviceClass: "temperature" },
  bytes: { unit: "B", deviceClass: "data_size" },
  bytes_per_second: { unit: "B/s", deviceClass: "data_rate" },
  bits_per_second: { unit: "bit/s", deviceClass: "data_rate" },
  milliseconds: { unit: "ms", deviceClass: "duration" },
  seconds: { unit: "s", deviceClass: "duration" },
  minutes: { unit: "min", deviceClass: "duration" },
  hours: { unit: "h", deviceClass: "duration" },
  days: { unit: "d", deviceClass: "duration" },
  volts: { unit: "V", deviceClass: "voltage" },
  amperes: { unit: "A", deviceClass: "current" },
  watts: { unit: "W", deviceClass: "power" },
  joules: { unit: "J", deviceClass: "energy" },
  watt_hours: { unit: "Wh", deviceClass: "energy" },
  kilowatt_hours: { unit: "kWh", deviceClass: "energy" },
  hertz: { unit: "Hz", deviceClass: "frequency" },
  volt_amperes: { unit: "VA", deviceClass: "apparent_power" },
  var: { unit: "var", deviceClass: "reactive_power" },
  kilometers: { unit: "km", deviceClass: "distance" },
  percent: { unit: "%" },
  ratio: {},
  rpm: { unit: "rpm" },
  per_second: { unit: "/s" },
}

/** Unit, device class and state class for a set's declared unit and kind. */
export function hassMeasure(unit: string | undefined, kind: ValueKind | undefined): Record<string, string> {
  const known = unit === undefined ? {} : (HASS_UNITS[unit] ?? { unit })
  const out: Record<string, string> = {}
  if (known.unit) out.unit_of_measurement = known.unit
  if (known.deviceClass) out.device_class = known.deviceClass
  // Home Assistant's energy class takes only total / total_increasing; a gauge of energy is a total.
  if (kind === "counter") out.state_class = "total_increasing"
  else out.state_class = known.deviceClass === "energy" ? "total" : "measurement"
  return out
}

/** `a.b/c d` → `a_b_c_d`: a string made into an object id (`[a-zA-Z0-9_-]+`), lower-cased. */
export function toObjectId(text: string): string {
  const id = text.toLowerCase().replace(/[^a-z0-9_-]+/g, "_")
  return id.length > 0 ? id : "_"
}

/** FNV-1a of a string, 8 hex digits: a stable suffix that tells two ids apart. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, "0")
}

/** Who publishes: one Home Assistant device per host. */
export interface DiscoveryDevice {
  /** The host name, as the device is called. */
  host: string
  /** pollect's version. */
  version: string
  /** The writer's availability topic (`online` / `offline`, retained; `offline` is the last will). */
  availabilityTopic: string
}

/** One value's discovery message. */
export interface DiscoveryEntry {
  objectId: string
  /** `<prefix>/sensor/<object_id>/config` */
  configTopic: string
  /** JSON text of the config. */
  payload: string
}

/**
 * The discovery config of one value published on `stateTopic`.
 *
 * @example
 * discoveryEntry("homeassistant", dev, "pollect_web1_pollect_loadavg_time_short", "pollect.loadavg/time/short", "pollect LoadAvg short", undefined, undefined)
 * // configTopic "homeassistant/sensor/pollect_web1_pollect_loadavg_time_short/config"
 */
export function discoveryEntry(
  prefix: string,
  device: DiscoveryDevice,
  objectId: string,
  stateTopic: string,
  name: string,
  unit: string | undefined,
  kind: ValueKind | undefined,
): DiscoveryEntry {
  const config = {
    name,
    unique_id: objectId,
    // Home Assistant 2025.10 replaced `object_id` by `default_entity_id` (domain.object_id); the
    // old key stops working in 2026.4. Older versions drop the unknown key.
    default_entity_id: `sensor.${objectId}`,
    state_topic: stateTopic,
    ...hassMeasure(unit, kind),
    availability_topic: device.availabilityTopic,
    payload_available: "online",
    payload_not_available: "offline",
    device: {
      identifiers: [`pollect_${toObjectId(device.host)}`],
      name: device.host,
      manufacturer: "pollect",
      model: "pollect",
      sw_version: device.version,
    },
    origin: { name: "pollect", sw_version: device.version },
  }
  return { objectId, configTopic: `${prefix}/sensor/${objectId}/config`, payload: JSON.stringify(config) }
}
