/**
 * Python's repr() of a float and of a str, so DryRun prints exactly what the original printed:
 * `('pollect.loadavg.mid', (1508478781, 0.01))`.
 */

/** repr(float(n)): shortest round-trip digits, always a `.0` or an exponent, `1e-05` / `1e+16` style. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "nan"
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf"
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0"
  const [mantissa, exp] = n.toExponential().split("e") as [string, string]
  const exponent = Number(exp)
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+"
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`
  }
  const fixed = String(n)
  return fixed.includes(".") ? fixed : fixed + ".0"
}

/** repr(str): single quotes unless the text holds a single quote and no double quote. */
export function pyStr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of text) {
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += "\\" + ch
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (ch < " " || ch === "\x7f") out += "\\x" + ch.charCodeAt(0).toString(16).padStart(2, "0")
    else out += ch
  }
  return out + quote
}
