/**
 * InfluxDB line protocol: `measurement,tag=v,tag=v field=1,field=2 timestamp`, one line per
 * series and tick, with the escaping the InfluxDB 1.x and 2.x parsers agree on (checked against
 * InfluxDB 1.6.7 and VictoriaMetrics 1.79):
 *
 * - measurement: `,` and space escaped with `\`; a leading `#` (a comment line) gets a `_` before it;
 * - tag keys, tag values, field keys: `,`, `=` and space escaped with `\`;
 * - a newline or carriage return cannot be written at all: it becomes a space (escaped);
 * - a backslash stays as it is before an ordinary character; before a special character, another
 *   backslash or at the end InfluxDB 1.x reads it as an escape (a trailing one swallows the
 *   separator and loses the line), so there it becomes `/`;
 * - keys InfluxDB refuses (`time` in 1.x: "invalid tag key"; `_measurement`, `_field` in 2.x) get
 *   a `_` appended: LoadAvg's `time=mid` is written as `time_=mid`;
 * - a tag with an empty key or value is left out (InfluxDB refuses it; a missing tag reads as "");
 * - values are floats (no `i` suffix), so a value that is 1 in one tick and 1.5 in the next never
 *   makes a field type conflict; NaN and ±Infinity cannot be written: the caller skips and counts.
 */

/** Keys InfluxDB refuses as tag or field keys. */
const RESERVED_KEYS = new Set(["time", "_measurement", "_field"])

// Characters that need work: `\` `,` `=` space `\n` `\r` `#`.
const NEEDS_WORK = /[\\,= \n\r]/

/** Backslashes that 1.x would read as escapes (before a special character, another backslash, or at the end). */
const AMBIGUOUS_BACKSLASH = /\\(?=[\\,= ]|$)/g
const NEWLINES = /[\n\r]/g

/** A tag key, tag value or field key, escaped. */
export function escapeKey(text: string): string {
  if (!NEEDS_WORK.test(text)) return text
  return text.replace(NEWLINES, " ").replace(AMBIGUOUS_BACKSLASH, "/").replace(/[,= ]/g, "\\$&")
}

/** A measurement, escaped (`=` needs no escape there, a leading `#` would make the line a comment). */
export function escapeMeasurement(text: string): string {
  let out = text
  if (NEEDS_WORK.test(out))
    out = out
      .replace(NEWLINES, " ")
      .replace(/\\(?=[\\, ]|$)/g, "/")
      .replace(/[, ]/g, "\\$&")
  return out.startsWith("#") ? `_${out}` : out
}

/** A tag or field key InfluxDB accepts: `time` → `time_`. */
export function safeKey(key: string): string {
  return RESERVED_KEYS.has(key) ? `${key}_` : key
}

/** A float field value as Go's ParseFloat reads it back exactly (`0.1`, `1e+21`, `-5`). */
export function formatValue(value: number): string {
  return String(value)
}

/** The `precision` query parameter and how a ms timestamp is written in it. */
export type Precision = "s" | "ms"

export function formatTime(ms: number, precision: Precision): string {
  return String(precision === "s" ? Math.floor(ms / 1000) : Math.round(ms))
}
