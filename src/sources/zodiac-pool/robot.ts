/**
 * The robot's reported state (`state.reported.equipment.robot` of the device shadow) and the
 * remaining time of its cycle, as pollect 1.2 computes it. Pure functions.
 */
import { ZodiacError } from "./cloud.ts"

export interface Robot {
  /** 0 stopped, 1 running, 2 remote control. */
  state: number
  /** Program cycle: 0 waterline, 1 quick, 2 smart, 3 deep, 4 custom. */
  prCyc: number
  errorCode: number
  /** Unix seconds when the cycle started. */
  cycleStartTime: number
  firstSmrtFlag: number
  /** Minutes per program (`waterTim`, `quickTim`, `smartTim`, `firstSmartTim`, `deepTim`, `customTim`). */
  durations: Record<string, number>
}

/** The robot of a shadow answer; undefined when the device has none (not a pool cleaner). */
export function robotOf(shadow: unknown, serial: string): Robot | undefined {
  const robot = at(shadow, ["state", "reported", "equipment", "robot"])
  if (robot === undefined) return undefined
  if (!isObject(robot)) throw new ZodiacError(`device ${serial}: the shadow's robot is not an object`)
  const durations: Record<string, number> = {}
  if (isObject(robot.durations)) {
    for (const [key, value] of Object.entries(robot.durations))
      if (typeof value === "number" && Number.isFinite(value)) durations[key] = value
  }
  return {
    state: numberField(robot, "state", serial),
    prCyc: numberField(robot, "prCyc", serial),
    errorCode: numberField(robot, "errorCode", serial),
    cycleStartTime: optionalNumber(robot, "cycleStartTime"),
    firstSmrtFlag: optionalNumber(robot, "firstSmrtFlag"),
    durations,
  }
}

/** Minutes of the robot's current program; undefined for a program 1.2 does not know. */
export function cycleMinutes(robot: Robot): number | undefined {
  const d = robot.durations
  switch (robot.prCyc) {
    case 0:
      return d.waterTim ?? 0
    case 1:
      return d.quickTim ?? 0
    case 2:
      return (robot.firstSmrtFlag !== 0 ? d.firstSmartTim : d.smartTim) ?? 0
    case 3:
      return d.deepTim ?? 0
    case 4:
      return d.customTim ?? 0
    default:
      return undefined
  }
}

/**
 * Seconds until the cycle ends, as 1.2: -1 when the robot is stopped (state 0), else the
 * program's duration minus the time since the cycle started (negative once it overran);
 * undefined for an unknown program.
 */
export function remainingSeconds(robot: Robot, nowSeconds: number): number | undefined {
  if (robot.state === 0) return -1
  const minutes = cycleMinutes(robot)
  if (minutes === undefined) return undefined
  return Math.round(minutes * 60 - (nowSeconds - robot.cycleStartTime))
}

/** The serial numbers of `/v2/devices.json`'s list. */
export function serialsOf(list: unknown): string[] {
  if (!Array.isArray(list)) throw new ZodiacError("device list: the answer is not a list")
  const serials: string[] = []
  for (const device of list.slice(0, 100)) {
    const serial = isObject(device) ? device.serial_number : undefined
    if (typeof serial === "string" && /^[A-Za-z0-9_-]{1,64}$/.test(serial)) serials.push(serial)
  }
  return serials
}

function at(value: unknown, path: string[]): unknown {
  let current = value
  for (const key of path) {
    if (!isObject(current)) return undefined
    current = current[key]
  }
  return current
}

function numberField(object: Record<string, unknown>, field: string, serial: string): number {
  const value = object[field]
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new ZodiacError(`device ${serial}: the robot's "${field}" is not a number`)
  return value
}

function optionalNumber(object: Record<string, unknown>, field: string): number {
  const value = object[field]
  return typeof value === "number" && Number.isFinite(value) ? value : 0
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}
