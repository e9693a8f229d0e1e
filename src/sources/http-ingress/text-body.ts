/**
 * The Prometheus text exposition format, as a pushgateway takes it:
 * `name{label="value",...} 1.5` per line, `#` lines (HELP, TYPE, comments) and blank lines
 * skipped. Strict: label values are double-quoted with `\\`, `\"` and `\n` escapes, the value
 * is a float (`+Inf`, `-Inf`, `NaN` too), a timestamp is refused (as the pushgateway does), a
 * line is at most MAX_LINE characters. Only declared metrics and labels are accepted.
 */
import { MAX_UPDATES } from "./json-body.ts"
import { checkedUpdate, type MetricDefinition, PushError, type Update } from "./update.ts"

/** Longest line accepted, in characters. */
export const MAX_LINE = 4096

const NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** The updates of a text body, or a PushError (400) naming the line and the problem. */
export function parseTextBody(text: string, definitions: ReadonlyMap<string, MetricDefinition>): Update[] {
  const updates: Update[] = []
  let lineNo = 0
  for (const raw of text.split("\n")) {
    lineNo++
    const where = `line ${lineNo}`
    if (raw.length > MAX_LINE) throw new PushError(400, `${where}: longer than ${MAX_LINE} characters`, "line too long")
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    const trimmed = line.trim()
    if (trimmed === "" || trimmed.startsWith("#")) continue
    const { metric, labels, value } = parseSample(line, where)
    if (updates.length >= MAX_UPDATES) throw new PushError(413, `more than ${MAX_UPDATES} series in one push`, "too many updates")
    updates.push(checkedUpdate(definitions, metric, labels, value, where))
  }
  return updates
}

/** One sample line → its name, labels and value. */
export function parseSample(line: string, where: string): { metric: string; labels: Map<string, string>; value: number } {
  const fail = (problem: string, at: number): never => {
    throw new PushError(400, `${where}, column ${at + 1}: ${problem}`, "malformed text")
  }
  let pos = skipSpace(line, 0)
  NAME.lastIndex = pos
  const name = NAME.exec(line)
  if (!name) return fail("expected a metric name", pos)
  const metric = name[0]
  pos = NAME.lastIndex
  const labels = new Map<string, string>()
  if (line[skipSpace(line, pos)] === "{") {
    pos = skipSpace(line, skipSpace(line, pos) + 1)
    while (line[pos] !== "}") {
      LABEL_NAME.lastIndex = pos
      const label = LABEL_NAME.exec(line)
      if (!label) return fail("expected a label name or }", pos)
      pos = skipSpace(line, LABEL_NAME.lastIndex)
      if (line[pos] !== "=") return fail(`expected = after label ${label[0]}`, pos)
      pos = skipSpace(line, pos + 1)
      if (line[pos] !== '"') return fail(`expected " to open the value of label ${label[0]}`, pos)
      pos++
      let text = ""
      for (;;) {
        const ch = line[pos]
        if (ch === undefined) return fail(`the value of label ${label[0]} is not closed with "`, pos)
        if (ch === '"') break
        if (ch === "\\") {
          const next = line[pos + 1]
          if (next === "\\") text += "\\"
          else if (next === '"') text += '"'
          else if (next === "n") text += "\n"
          else return fail(`unknown escape \\${next ?? ""} in the value of label ${label[0]}`, pos)
          pos += 2
          continue
        }
        text += ch
        pos++
      }
      if (labels.has(label[0])) return fail(`label ${label[0]} given twice`, pos)
      labels.set(label[0], text)
      pos = skipSpace(line, pos + 1)
      if (line[pos] === ",") pos = skipSpace(line, pos + 1)
      else if (line[pos] !== "}") return fail("expected , or } after a label value", pos)
    }
    pos++
  }
  if (line[pos] !== " " && line[pos] !== "\t") return fail("expected a space and the value", pos)
  const fields = line
    .slice(pos)
    .trim()
    .split(/[ \t]+/)
  if (fields.length > 1) return fail("timestamps are not accepted (as a pushgateway refuses them)", line.length - fields.at(-1)!.length)
  const value = parseValue(fields[0]!)
  if (value === undefined) return fail(`${JSON.stringify(fields[0]!.slice(0, 40))} is not a number`, pos + 1)
  return { metric, labels, value }
}

/** A sample value as Prometheus writes it: a float, `+Inf`, `-Inf`, `NaN`. */
export function parseValue(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text)
  if (text === "+Inf" || text === "Inf") return Number.POSITIVE_INFINITY
  if (text === "-Inf") return Number.NEGATIVE_INFINITY
  if (text === "NaN") return Number.NaN
  return undefined
}

function skipSpace(line: string, pos: number): number {
  while (line[pos] === " " || line[pos] === "\t") pos++
  return pos
}
