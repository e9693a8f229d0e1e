/**
 * pollect 1.2's JSON push: `{"metrics": {"<metric>": {"value": 124, "labels": {"host": "a"}}}}`.
 * Here a metric may also take a list of such objects (several label sets in one push). Every
 * series is checked before anything is applied; the first problem is the reply.
 */
import { checkedUpdate, type MetricDefinition, PushError, type Update } from "./update.ts"

/** Most series one push may carry. */
export const MAX_UPDATES = 10_000

/** The updates of a JSON body, or a PushError (400) naming the exact problem. */
export function parseJsonBody(text: string, definitions: ReadonlyMap<string, MetricDefinition>): Update[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new PushError(400, `the body is not JSON: ${(error as Error).message}`, "malformed JSON")
  }
  if (!isObject(data) || !isObject(data.metrics))
    throw new PushError(400, 'the body must be an object with an object "metrics": {"metrics": {"<name>": {"value": 1}}}', "malformed JSON")
  const updates: Update[] = []
  for (const [metric, entry] of Object.entries(data.metrics)) {
    const entries = Array.isArray(entry) ? entry : [entry]
    entries.forEach((one, i) => {
      const where = Array.isArray(entry) ? `metrics.${metric}[${i}]` : `metrics.${metric}`
      if (!isObject(one)) throw new PushError(400, `${where}: expected an object {"value": ..., "labels": {...}}`, "malformed JSON")
      const value = one.value
      if (typeof value !== "number" && typeof value !== "boolean")
        throw new PushError(400, `${where}.value: expected a number, got ${describe(value)}`, "bad value")
      const labels = new Map<string, string>()
      if (one.labels !== undefined) {
        if (!isObject(one.labels)) throw new PushError(400, `${where}.labels: expected an object of label values`, "malformed JSON")
        for (const [name, text] of Object.entries(one.labels)) {
          if (typeof text !== "string" && typeof text !== "number" && typeof text !== "boolean")
            throw new PushError(400, `${where}.labels.${name}: expected a string, got ${describe(text)}`, "bad label")
          labels.set(name, String(text))
        }
      }
      if (updates.length >= MAX_UPDATES) throw new PushError(413, `more than ${MAX_UPDATES} series in one push`, "too many updates")
      updates.push(checkedUpdate(definitions, metric, labels, Number(value), where))
    })
  }
  return updates
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing"
  if (value === null) return "null"
  return Array.isArray(value) ? "an array" : typeof value
}
