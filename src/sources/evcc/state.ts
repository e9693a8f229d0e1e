/**
 * evcc's websocket state → value sets. evcc (server/socket.go) sends a new client one JSON object
 * with every value it has (`{"gridPower": -1607.5, "loadpoints.0.chargePower": 2373, ...}`), then
 * one object per change (`{"loadpoints.0.chargePower": 2400}`; newer versions may put several
 * keys in one); a loadpoint's keys are flat, `loadpoints.<index>.<key>`, in every version.
 * `EvccState` keeps the newest value of each key; `stateSets` reports them as pollect 1.2 did.
 * Pure: the source does the I/O.
 */
import { ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

/** At most this many keys are kept (evcc sends ~100 per loadpoint and ~100 for the site). */
export const MAX_KEYS = 10_000
/** Keys longer than this are ignored. */
const MAX_KEY = 200
const LOADPOINT = /^loadpoints\.(\d{1,4})\.(.+)$/s

export class EvccMessageError extends Error {}

/** The newest value of every key evcc sent on one connection. */
export class EvccState {
  readonly values = new Map<string, unknown>()
  /** Messages merged since the last reset (tests). */
  messages = 0

  /** Merges one message (the welcome state or an update); throws EvccMessageError on anything but a JSON object. */
  merge(text: string): void {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      throw new EvccMessageError(`a message that is not JSON (${JSON.stringify(text.slice(0, 40))})`)
    }
    if (!message || typeof message !== "object" || Array.isArray(message))
      throw new EvccMessageError(`a message that is not a JSON object (${Array.isArray(message) ? "array" : typeof message})`)
    for (const [key, value] of Object.entries(message)) {
      if (key.length > MAX_KEY) continue
      if (!this.values.has(key) && this.values.size >= MAX_KEYS) throw new EvccMessageError(`more than ${MAX_KEYS} keys`)
      this.values.set(key, value)
    }
    this.messages++
  }

  reset(): void {
    this.values.clear()
    this.messages = 0
  }
}

const isMetric = (value: unknown): value is number | boolean =>
  typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))

/**
 * The values of one key: a number or boolean as it is (1.2's rule); an object's number and
 * boolean fields as `<key>.<field>` (newer evcc publishes some site values as objects, e.g.
 * `grid: {power, energy, currents}`, which 1.2 skipped); lists, text and null are skipped.
 */
function metricsOf(key: string, value: unknown): [string, number | boolean][] {
  if (isMetric(value)) return [[key, value]]
  if (!value || typeof value !== "object" || Array.isArray(value)) return []
  const out: [string, number | boolean][] = []
  for (const [field, inner] of Object.entries(value)) if (isMetric(inner) && field.length <= MAX_KEY) out.push([`${key}.${field}`, inner])
  return out
}

/**
 * As 1.2: the loadpoints' values labelled `title` (`loadpoints.<i>.title`; a loadpoint without
 * one is called by its index, a title two loadpoints share gets the index appended), named by
 * the key after `loadpoints.<i>.`; every other key is a site value named by the key.
 */
export function stateSets(values: ReadonlyMap<string, unknown>): ValueSet[] {
  const titles = new Map<string, string>()
  const used = new Set<string>()
  for (const [key] of values) {
    const match = LOADPOINT.exec(key)
    if (!match || titles.has(match[1]!)) continue
    const index = match[1]!
    const raw = values.get(`loadpoints.${index}.title`)
    let title = typeof raw === "string" && raw ? raw.slice(0, MAX_KEY) : index
    if (used.has(title)) title = `${title} ${index}`
    used.add(title)
    titles.set(index, title)
  }
  const loadpoint = new ValueSet(metrics.loadpoint)
  const site = new ValueSet(metrics.site)
  for (const [key, value] of values) {
    const match = LOADPOINT.exec(key)
    if (match) {
      for (const [name, metric] of metricsOf(match[2]!, value)) loadpoint.add(metric, [titles.get(match[1]!)!], name)
    } else {
      for (const [name, metric] of metricsOf(key, value)) site.add(metric, [], name)
    }
  }
  return [loadpoint, site]
}
