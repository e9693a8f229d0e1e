/**
 * pollect 1.2's MQTT topics: `<collection>.<type>[.<name>][/<valueName>]/<label>/<labelValue>…`,
 * the static labels of the source's config after the set's own, all lower-cased. The value is
 * published as its decimal text.
 */
import type { SourceResult, Value, ValueSet } from "../../api.ts"

/** Characters a publish topic must not hold: the wildcards `+` and `#` (a broker drops the client) and NUL. */
const FORBIDDEN = /[+#\u0000]/
const FORBIDDEN_ALL = /[+#\u0000]/g

/** The prefix of every topic of one source in one result: `pollect.loadavg`, `pollect.http.local`. */
export function topicBase(result: Pick<SourceResult, "collection" | "type" | "name">): string {
  const suffix = result.name === undefined ? result.type : `${result.type}.${result.name}`
  return result.collection.length > 0 ? `${result.collection}.${suffix}` : suffix
}

/**
 * The topic of one value, as 1.2 builds it; `+`, `#` and NUL (illegal in a publish topic) become `_`.
 *
 * @example
 * valueTopic("pollect.loadavg", set /* labels ["time"] *\/, { value: 0.5, labelValues: ["short"] }, {}) // "pollect.loadavg/time/short"
 */
export function valueTopic(base: string, set: ValueSet, value: Value, staticLabels: Record<string, string>): string {
  let path = base
  if (value.name !== undefined) path += `/${value.name}`
  const labels = set.labels
  for (let i = 0; i < labels.length; i++) path += `/${labels[i]}/${value.labelValues[i]}`
  for (const key in staticLabels) path += `/${key}/${staticLabels[key]}`
  path = path.toLowerCase()
  return FORBIDDEN.test(path) ? path.replace(FORBIDDEN_ALL, "_") : path
}

/** The payload of a value: its decimal text (`0.5`, `42`, `1e+21`); undefined for NaN and ±Infinity. */
export function valuePayload(value: number): string | undefined {
  return Number.isFinite(value) ? String(value) : undefined
}
