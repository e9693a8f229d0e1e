/**
 * openHAB's `/rest/items` answer → value sets, as pollect 1.2 read it: every item with a label
 * whose type is `Number` or `Number:<dimension>` and whose state is a number once the unit after
 * the first space is cut off (`"21.5 °C"` → 21.5), and every `Switch` (ON = 1, OFF = 0). The
 * value name is the item's label with every run of characters other than `[a-zA-Z0-9_:]` made
 * one `_`; the labels are the item's name and its groups joined by `,`. Pure: the source does
 * the I/O.
 */
import { ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

/** At most this many items are read from one answer (an answer with more is refused). */
export const MAX_ITEMS = 20_000
/** Labels, names and groups longer than this are cut (they become metric names and labels). */
const MAX_TEXT = 256

/** A number as openHAB writes one (`21.5`, `-3`, `1.5E-3`); nothing else (`NULL`, `UNDEF`, `NaN`). */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

export class OpenhabAnswerError extends Error {}

/** The label as 1.2 made it a value name: runs of anything but `[a-zA-Z0-9_:]` → `_`. */
export function valueName(label: string): string {
  return label.slice(0, MAX_TEXT).replace(/[^a-zA-Z0-9_:]+/g, "_")
}

/** A Number item's state without its unit (`"21.5 °C"` → 21.5); undefined for NULL, UNDEF and other text. */
export function numberState(state: unknown): number | undefined {
  if (typeof state !== "string") return undefined
  const head = state.split(" ")[0]!
  if (!DECIMAL.test(head)) return undefined
  const number = Number(head)
  return Number.isFinite(number) ? number : undefined
}

const text = (value: unknown): string | undefined => (typeof value === "string" ? value.slice(0, MAX_TEXT) : undefined)

/** The value sets of one `/rest/items` answer (already parsed JSON). */
export function itemSets(answer: unknown): ValueSet[] {
  if (!Array.isArray(answer))
    throw new OpenhabAnswerError(`expected a JSON array of items, got ${answer === null ? "null" : typeof answer}`)
  if (answer.length > MAX_ITEMS) throw new OpenhabAnswerError(`${answer.length} items, more than the ${MAX_ITEMS} read at most`)
  const numbers = new ValueSet(metrics.number)
  const switches = new ValueSet(metrics.switch)
  for (const entry of answer) {
    if (!entry || typeof entry !== "object") continue
    const item = entry as Record<string, unknown>
    const type = text(item.type)
    const name = text(item.name)
    const label = text(item.label)
    if (type === undefined || name === undefined || label === undefined) continue
    const metric = valueName(label)
    if (!metric) continue
    const groups = Array.isArray(item.groupNames) ? item.groupNames.filter((g): g is string => typeof g === "string") : []
    const labels = [name, groups.join(",").slice(0, MAX_TEXT)]
    if (type.startsWith("Number")) {
      const number = numberState(item.state)
      if (number !== undefined) numbers.add(number, labels, metric)
    } else if (type === "Switch") {
      // 1.2 reported a Switch in NULL or UNDEF (never set, binding offline) as 0; it is left out here.
      if (item.state === "ON" || item.state === "OFF") switches.add(item.state === "ON", labels, metric)
    }
  }
  return [numbers, switches].filter((set) => set.values.length > 0)
}
