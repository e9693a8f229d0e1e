/**
 * Python's repr() of a float and of a str, so DryRun prints exactly what the original printed:
 * `('pollect.loadavg.mid', (1508478781, 0.01))`.
 */

/** repr(float(n)): shortest round-trip digits, always a `.0` or an exponent, `1e-05` / `1e+16` style. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "nan"
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf"
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0"
  const magnitude = Math.abs(n)
  // Where Python prints fixed notation, JavaScript does too (it turns to exponents only below 1e-6 and from 1e21).
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const fixed = String(n)
    return fixed.includes(".") ? fixed : fixed + ".0"
  }
  const [mantissa, exp] = n.toExponential().split("e") as [string, string]
  const exponent = Number(exp)
  const sign = exponent < 0 ? "-" : "+"
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`
}

/**
 * What Python's repr() escapes (str.isprintable() is false): control, format, surrogate,
 * private-use and unassigned characters, and separators other than the ASCII space.
 */
const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u

/** `\x7f`, `\u2028`, `\U000e0001`: the shortest of Python's three escapes that holds the code point. */
function pyEscape(code: number): string {
  const hex = code.toString(16)
  if (code < 0x100) return "\\x" + hex.padStart(2, "0")
  if (code < 0x10000) return "\\u" + hex.padStart(4, "0")
  return "\\U" + hex.padStart(8, "0")
}

/** Printable ASCII (space to ~) but for `'` and `\`: repr() only quotes it. */
const PLAIN = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/

/** repr(str): single quotes unless the text holds a single quote and no double quote; non-printable characters escaped. */
export function pyStr(text: string): string {
  if (PLAIN.test(text)) return `'${text}'` // printable ASCII without ' or \: nearly every path
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of text) {
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += "\\" + ch
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch > " " && ch < "\x7f")
      out += ch // printable ASCII, nearly every character of a path
    else if (ch !== " " && NOT_PRINTABLE.test(ch)) out += pyEscape(ch.codePointAt(0)!)
    else out += ch
  }
  return out + quote
}
