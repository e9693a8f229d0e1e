/**
 * A small inline SVG line of the last hour (no script, no external asset): one polyline per run of
 * minutes with values, so a gap stays a gap; a flat series is a line in the middle.
 *
 * @example
 * sparkline([1, 2, NaN, 3]) // '<svg class="spark" viewBox="0 0 120 24" ...><polyline .../></svg>'
 */
export function sparkline(values: readonly number[], width = 120, height = 24): string {
  const finite = values.filter(Number.isFinite)
  if (!finite.length) return ""
  let min = finite[0] as number
  let max = min
  for (const v of finite) {
    if (v < min) min = v
    if (v > max) max = v
  }
  const span = max - min
  const step = values.length > 1 ? width / (values.length - 1) : 0
  const y = (v: number) => (span === 0 ? height / 2 : height - 2 - ((v - min) / span) * (height - 4))
  const runs: string[] = []
  let run: string[] = []
  values.forEach((v, i) => {
    // Whole units: at 120×24 a pixel is as fine as the eye sees, and the page stays small.
    if (Number.isFinite(v)) run.push(`${Math.round(i * step)},${Math.round(y(v))}`)
    else if (run.length) runs.push(run.join(" ")), (run = [])
  })
  if (run.length) runs.push(run.join(" "))
  const lines = runs
    .map((points) =>
      points.includes(" ")
        ? `<polyline points="${points}"/>`
        : `<circle cx="${points.split(",")[0]}" cy="${points.split(",")[1]}" r="1.5"/>`,
    )
    .join("")
  // Its size comes from the page's CSS (.spark), so each of hundreds of rows stays short.
  return `<svg class="spark" viewBox="0 0 ${width} ${height}" role="img" aria-label="last hour">${lines}</svg>`
}
