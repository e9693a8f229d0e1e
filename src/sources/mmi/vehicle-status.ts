/**
 * The CARIAD "selectivestatus" JSON (GET /vehicle/v1/vehicles/<VIN>/selectivestatus?jobs=...)
 * to the values the original MMI source reported. Paths follow audi_connect_ha's mapping of the
 * new JSON to the old field names (TOTAL_RANGE, TANK_LEVEL_IN_PERCENTAGE, ...). Pure, no I/O.
 */

export const STATUS_JOBS = ["measurements", "fuelStatus", "oilLevel", "charging"] as const

export interface VehicleValues {
  /** Original names: kilometers, range.total, range.adblue, tankLevel, oilLevelPercent, temp.outsite */
  plain: Record<string, number>
  /** Percentages (tankLevel, oilLevelPercent, batteryLevel). */
  percent: Record<string, number>
  celsius: Record<string, number>
}

function at(data: unknown, path: string[]): unknown {
  let node = data
  for (const key of path) {
    if (node === null || typeof node !== "object" || !(key in node)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}

function num(data: unknown, path: string[]): number | undefined {
  const value = at(data, path)
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
  return typeof n === "number" && Number.isFinite(n) ? n : undefined
}

export function parseVehicleStatus(data: unknown): VehicleValues {
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error("vehicle status is not a JSON object")
  const out: VehicleValues = { plain: {}, percent: {}, celsius: {} }
  const put = (group: Record<string, number>, name: string, value: number | undefined) => {
    if (value !== undefined) group[name] = value
  }
  put(out.plain, "kilometers", num(data, ["measurements", "odometerStatus", "value", "odometer"]))
  put(out.plain, "range.total", num(data, ["fuelStatus", "rangeStatus", "value", "totalRange_km"]))
  put(out.plain, "range.adblue", num(data, ["measurements", "rangeStatus", "value", "adBlueRange"]))
  put(out.plain, "range.primary", num(data, ["fuelStatus", "rangeStatus", "value", "primaryEngine", "remainingRange_km"]))
  put(out.plain, "range.secondary", num(data, ["fuelStatus", "rangeStatus", "value", "secondaryEngine", "remainingRange_km"]))
  put(out.percent, "tankLevel", num(data, ["measurements", "fuelLevelStatus", "value", "currentFuelLevel_pct"]))
  put(out.percent, "oilLevelPercent", num(data, ["oilLevel", "oilLevelStatus", "value", "value"]))
  put(
    out.percent,
    "batteryLevel",
    num(data, ["charging", "batteryStatus", "value", "currentSOC_pct"]) ??
      num(data, ["fuelStatus", "rangeStatus", "value", "primaryEngine", "currentSOC_pct"]),
  )
  const kelvin = num(data, ["measurements", "temperatureOutsideStatus", "value", "temperatureOutside_K"])
  // The original reported whole degrees (int(deci-kelvin / 10 - 273)).
  if (kelvin !== undefined) out.celsius["temp.outsite"] = Math.trunc(kelvin - 273)
  return out
}
