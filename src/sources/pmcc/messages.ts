/**
 * What the Porsche Mobile Charger Connect pushes on its websocket (`wss://<host>/ws`), as pollect
 * 1.2 read it: JSON objects `{interface, path, name, args}`, of which two matter —
 * - `de.bebro.WebServer`, path `/`, name `swaggerCurrentSessionChanged`: `args.swaggerCurrentSession`
 *   is the current charging session, itself JSON text, with `soc`, `startSoc` (%) and
 *   `evChargingRatekW` (kW);
 * - `de.bebro.iCAN`, path `/`: one of `args.activePowerL1|L2|L3`, JSON text `{"value": <W>}`.
 * Everything else (other interfaces and properties) is ignored. Pure: the source does the I/O.
 */
import { ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

export class PmccMessageError extends Error {}

/** The newest values received; a value never received is absent (1.2 reported 0 for it). */
export interface PmccData {
  soc?: number
  startSoc?: number
  /** kW */
  evChargeRate?: number
  /** W, L1..L3 */
  phasePower: (number | undefined)[]
}

export function emptyData(): PmccData {
  return { phasePower: [undefined, undefined, undefined] }
}

const PHASES = ["activePowerL1", "activePowerL2", "activePowerL3"] as const

const num = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined)

/** A field that is JSON text on the wire (or, tolerated, already an object). */
function nested(value: unknown, what: string): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  let parsed = value
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value)
    } catch {
      throw new PmccMessageError(`${what} is not JSON`)
    }
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new PmccMessageError(`${what} is not a JSON object`)
  return parsed as Record<string, unknown>
}

/**
 * Applies one message to `data`. Returns false for a message of another shape (no `interface`:
 * 1.2 logged those), throws PmccMessageError for text that is not JSON.
 */
export function applyMessage(data: PmccData, text: string): boolean {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    throw new PmccMessageError(`a message that is not JSON (${JSON.stringify(text.slice(0, 40))})`)
  }
  if (!message || typeof message !== "object" || Array.isArray(message)) return false
  const { interface: iface, path, name, args } = message as Record<string, unknown>
  if (typeof iface !== "string") return false
  const fields = args && typeof args === "object" ? (args as Record<string, unknown>) : {}
  if (iface === "de.bebro.WebServer" && name === "swaggerCurrentSessionChanged" && path === "/") {
    const session = nested(fields.swaggerCurrentSession, "swaggerCurrentSession")
    if (!session) return true
    data.startSoc = num(session.startSoc) ?? data.startSoc
    data.soc = num(session.soc) ?? data.soc
    data.evChargeRate = num(session.evChargingRatekW) ?? data.evChargeRate
    return true
  }
  if (iface === "de.bebro.iCAN" && path === "/") {
    PHASES.forEach((key, i) => {
      const value = num(nested(fields[key], key)?.value)
      if (value !== undefined) data.phasePower[i] = value
    })
    return true
  }
  return true
}

/** 1.2's two sets: `chargePower` by `phase` (ev in kW, l1–l3 in W) and `soc` by `type` (current, start). */
export function dataSets(data: PmccData): ValueSet[] {
  const power = new ValueSet(metrics.chargePower)
  if (data.evChargeRate !== undefined) power.add(data.evChargeRate, ["ev"], "chargePower")
  data.phasePower.forEach((value, i) => {
    if (value !== undefined) power.add(value, [`l${i + 1}`], "chargePower")
  })
  const soc = new ValueSet(metrics.soc)
  if (data.soc !== undefined) soc.add(data.soc, ["current"], "soc")
  if (data.startSoc !== undefined) soc.add(data.startSoc, ["start"], "soc")
  return [power, soc]
}
