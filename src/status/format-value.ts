/**
 * A value as a person reads it, from its declared unit: `1.5 GiB`, `12.3 ms`, `45.2 °C`, `87 %`.
 * Units are the base units sources declare (src/sources/<name>/metrics.ts).
 *
 * @example
 * formatValue(1610612736, "bytes") // "1.5 GiB"
 * formatValue(0.0123, "seconds")   // "12.3 ms"
 */
const IEC = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]

/** Up to 3 significant digits after scaling, without trailing zeros; integers stay whole. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf"
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return value.toLocaleString("en-US").replace(/,/g, " ")
  const abs = Math.abs(value)
  if (abs >= 1e15 || (abs > 0 && abs < 1e-3)) return value.toExponential(2)
  const digits = abs >= 100 ? 1 : abs >= 10 ? 2 : 3
  return String(Number(value.toFixed(digits)))
}

const SUFFIX: Record<string, string> = {
  celsius: "°C",
  percent: "%",
  volts: "V",
  amperes: "A",
  watts: "W",
  watt_hours: "Wh",
  hertz: "Hz",
  rpm: "rpm",
  joules: "J",
  meters: "m",
  pascals: "Pa",
  lux: "lx",
}

export function formatValue(value: number, unit?: string): string {
  if (!Number.isFinite(value) || !unit) return formatNumber(value)
  switch (unit) {
    case "bytes": {
      let scaled = value
      let i = 0
      while (Math.abs(scaled) >= 1024 && i < IEC.length - 1) {
        scaled /= 1024
        i++
      }
      return `${i ? formatNumber(Number(scaled.toFixed(2))) : formatNumber(scaled)} ${IEC[i]}`
    }
    case "seconds": {
      const abs = Math.abs(value)
      if (abs < 1e-3 && abs > 0) return `${formatNumber(value * 1e6)} µs`
      if (abs < 1) return `${formatNumber(value * 1e3)} ms`
      if (abs < 120) return `${formatNumber(value)} s`
      if (abs < 7200) return `${formatNumber(value / 60)} min`
      if (abs < 172_800) return `${formatNumber(value / 3600)} h`
      return `${formatNumber(value / 86_400)} d`
    }
    case "ratio":
      return `${formatNumber(value * 100)} %`
    default:
      return `${formatNumber(value)} ${SUFFIX[unit] ?? unit}`
  }
}

/** `3 min 20 s ago`-style age of `thenMs` at `nowMs`, for "last probe" and "failing since". */
export function formatAge(thenMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - thenMs) / 1000))
  if (s < 60) return `${s} s ago`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s ago`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min ago`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h ago`
}

/** An uptime of `seconds`: `2 d 3 h`, `4 h 12 min`, `35 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}
