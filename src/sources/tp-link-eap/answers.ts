/**
 * The JSON answers of a TP-Link EAP's web API (`/data/*.json`), read into plain values. Pure
 * functions: they take the parsed body and throw a TpLinkEapError that names what is missing.
 */

/** A failure of the device or its answers; its message is stable, so it is logged once. */
export class TpLinkEapError extends Error {
  override readonly name = "TpLinkEapError"
}

/** What `/data/monitor.ap.aplist.json?operation=load` says of the first access point. */
export interface AccessPoint {
  mac: string
  clients: number
}

/** One radio's counters from `/data/monitor.ap.interface.json?operation=read`. */
export interface RadioCounters {
  rx_packets: number
  tx_packets: number
  rx_bytes: number
  tx_bytes: number
  rx_errors: number
  tx_errors: number
}

export const RADIO_FIELDS = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors"] as const

/**
 * Whether the answer says the session is gone: 1.2 treats any `timeout` other than absent, null,
 * false or "false" as "log in again".
 */
export function sessionExpired(body: unknown): boolean {
  if (!isObject(body)) return false
  const timeout = body.timeout
  return !(timeout === undefined || timeout === null || timeout === false || timeout === "false")
}

/** The first access point of the list, as 1.2 reads it (`data[0].MAC`, `data[0].StaNum`). */
export function firstAccessPoint(body: unknown, what: string): AccessPoint {
  const list = isObject(body) ? body.data : undefined
  if (!Array.isArray(list)) throw new TpLinkEapError(`${what}: no "data" list in the answer`)
  const ap = list[0]
  if (!isObject(ap)) throw new TpLinkEapError(`${what}: the device lists no access point`)
  const mac = ap.MAC
  if (typeof mac !== "string" || mac === "" || mac.length > 64) throw new TpLinkEapError(`${what}: the access point has no MAC`)
  return { mac, clients: numberField(ap, "StaNum", what) }
}

/** A radio's six counters (`data.rx_packets`, ...). */
export function radioCounters(body: unknown, what: string): RadioCounters {
  const data = isObject(body) ? body.data : undefined
  if (!isObject(data)) throw new TpLinkEapError(`${what}: no "data" object in the answer`)
  const out = {} as RadioCounters
  for (const field of RADIO_FIELDS) out[field] = numberField(data, field, what)
  return out
}

/** A numeric field; firmwares that send numbers as strings ("1234") are read too. */
function numberField(object: Record<string, unknown>, field: string, what: string): number {
  const raw = object[field]
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw
  if (typeof value !== "number" || !Number.isFinite(value)) throw new TpLinkEapError(`${what}: "${field}" is not a number`)
  return value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}
