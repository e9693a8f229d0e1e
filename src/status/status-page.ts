/**
 * The status page: one server-rendered HTML document from a StatusDocument, with inline CSS and
 * SVG only (no script, no external asset: the binary works offline), readable on a phone, in
 * light and dark mode. It refreshes itself through `<meta http-equiv="refresh">`, so it needs no
 * JavaScript either. Every text that comes from a config, a device or an error is escaped.
 */
import { formatAge, formatDuration, formatValue } from "./format-value.ts"
import { sparkline } from "./sparkline.ts"
import type { SeriesStatus, SourceStatus, StatusDocument } from "./status-document.ts"

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }
/** Text safe in an element or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] as string)
}

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--wait:#9a6700;--card:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;--line:#30363d;--ok:#3fb950;--bad:#f85149;--wait:#d29922;--card:#161b22}}
*{box-sizing:border-box}body{margin:0 auto;max-width:72rem;padding:1rem;font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:1.3rem;margin:0 0 .25rem}h2{font-size:1.05rem;margin:1.5rem 0 .5rem}p{margin:.25rem 0}.muted{color:var(--muted)}
.summary{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}.pill{padding:.15rem .6rem;border-radius:1rem;border:1px solid var(--line);background:var(--card)}
.state{display:inline-block;min-width:4.5rem;padding:0 .4rem;border-radius:.3rem;font-weight:600;font-size:.8rem;text-align:center;color:#fff}
.ok{background:var(--ok)}.failing,.retrying,.stopped{background:var(--bad)}.pending,.connecting{background:var(--wait)}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.source{border:1px solid var(--line);border-radius:.5rem;margin:.6rem 0;padding:.5rem .75rem;background:var(--card)}
.source header{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:baseline}.source h3{font-size:1rem;margin:0}
.error{color:var(--bad);overflow-wrap:anywhere;margin:.35rem 0}.labels{color:var(--muted);overflow-wrap:break-word}
details summary{cursor:pointer;color:var(--muted);margin:.35rem 0}.spark{width:120px;height:24px;stroke:currentColor;fill:none;stroke-width:1.3;color:var(--ok)}.spark circle{fill:currentColor}
`

function time(ms: number | null, now: number): string {
  if (ms === null) return "never"
  return `<time datetime="${new Date(ms).toISOString()}">${escapeHtml(formatAge(ms, now))}</time>`
}

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ")
}

function seriesRow(series: SeriesStatus): string {
  const spark = series.history ? sparkline(series.history.map((v) => (v === null ? Number.NaN : v))) : ""
  // An unnamed value ("value") is told apart by its labels alone.
  const name = series.name === "value" ? "" : `${escapeHtml(series.name)} `
  const labels = labelsText(series.labels)
  return `<tr><td>${name}${labels ? `<span class="labels">${escapeHtml(labels)}</span>` : ""}</td><td class="num">${escapeHtml(
    formatValue(series.value, series.unit ?? undefined),
  )}</td><td>${spark}</td></tr>`
}

function sourceCard(source: SourceStatus, now: number): string {
  const title = `${source.type}${source.name ? ` “${source.name}”` : ""}`
  const since =
    source.state === "failing" && source.since !== null ? ` <span class="muted">failing since ${time(source.since, now)}</span>` : ""
  const facts = [
    `last probe ${time(source.lastProbeAt, now)}`,
    source.lastProbeMs !== null ? `took ${source.lastProbeMs} ms` : "",
    `${source.probes} probe(s), ${source.errors} error(s)`,
  ].filter(Boolean)
  const error = source.lastError ? `<p class="error">${escapeHtml(source.lastError)}</p>` : ""
  let values = ""
  if (source.values.length) {
    const table = `<div class="scroll"><table><thead><tr><th>series</th><th>now</th><th>last hour</th></tr></thead><tbody>${source.values
      .map(seriesRow)
      .join("")}</tbody></table></div>`
    values = source.values.length <= 12 ? table : `<details><summary>${source.values.length} values</summary>${table}</details>`
  }
  return `<section class="source" data-source="${escapeHtml(source.id)}" data-state="${source.state}"><header><span class="state ${source.state}">${source.state}</span><h3>${escapeHtml(
    title,
  )}</h3><span class="muted">${escapeHtml(source.collection)} · ${escapeHtml(source.id)}</span>${since}</header><p class="muted">${facts.join(" · ")}</p>${error}${values}</section>`
}

export interface PageOptions {
  /** Seconds between refreshes (meta refresh); default: the shortest tick, at least 5 s. */
  refreshSeconds?: number
}

export function renderStatusPage(doc: StatusDocument, options: PageOptions = {}): string {
  const { now } = doc
  const failing = doc.sources.filter((s) => s.state === "failing").length
  const ok = doc.sources.filter((s) => s.state === "ok").length
  const pending = doc.sources.length - ok - failing
  const writersDown = doc.writers.filter((w) => w.state !== "ok").length
  const shortest = Math.min(...doc.executors.map((e) => e.tickSeconds), 60)
  const refresh = options.refreshSeconds ?? Math.max(5, Math.ceil(shortest))
  const config = doc.pollect.configFile ? escapeHtml(doc.pollect.configFile) : "the embedded default config"
  const executors = doc.executors
    .map(
      (e) =>
        `<tr data-executor="${escapeHtml(e.id)}"><td>${escapeHtml(e.collection)}</td><td class="num">${e.tickSeconds} s</td><td>${time(e.lastTickAt, now)}</td><td class="num">${
          e.lastTickMs === null ? "" : `${e.lastTickMs} ms`
        }</td><td class="num">${e.ticks}</td><td class="num">${e.ticksSkipped}</td><td class="num">${e.sources}</td></tr>`,
    )
    .join("")
  const writers = doc.writers
    .map((w) => {
      const queue = w.queuePoints === null ? "" : `${w.queuePoints} point(s), ${formatValue(w.queueBytes ?? 0, "bytes")}`
      return `<tr data-writer="${escapeHtml(w.type)}" data-state="${w.state}"><td>${escapeHtml(w.type)}</td><td><span class="state ${w.state}">${w.state}</span></td><td>${escapeHtml(
        w.detail ?? "",
      )}${w.lastError ? `<div class="error">${escapeHtml(w.lastError)}</div>` : ""}</td><td class="num">${escapeHtml(queue)}</td><td class="num">${w.pointsDropped}</td></tr>`
    })
    .join("")
  // Failing sources first: what a person came to see.
  const order = { failing: 0, pending: 1, ok: 2 } as const
  const sources = [...doc.sources].sort((a, b) => order[a.state] - order[b.state]).map((s) => sourceCard(s, now))
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${refresh}"><link rel="icon" href="data:,"><title>pollect ${failing ? `· ${failing} failing` : "· ok"}</title><style>${CSS}</style></head>
<body><h1>pollect ${escapeHtml(doc.pollect.version)}</h1>
<p class="muted">up ${escapeHtml(formatDuration(doc.pollect.uptimeSeconds))} · ${config}, loaded ${time(doc.pollect.configLoadedAt, now)} · ${doc.pollect.reloads.success} reload(s)${
    doc.pollect.reloads.failure ? `, ${doc.pollect.reloads.failure} failed` : ""
  } · <a href="status.json">status.json</a></p>
<div class="summary"><span class="pill" id="sources-ok">${ok} source(s) ok</span><span class="pill" id="sources-failing">${failing} failing</span>${
    pending ? `<span class="pill">${pending} not probed yet</span>` : ""
  }<span class="pill" id="writers-down">${writersDown} writer(s) not ok</span></div>
<h2>Executors</h2><div class="scroll"><table><thead><tr><th>collection</th><th>tick</th><th>last tick</th><th>took</th><th>ticks</th><th>skipped</th><th>sources</th></tr></thead><tbody>${executors}</tbody></table></div>
<h2>Writers</h2><div class="scroll"><table><thead><tr><th>writer</th><th>state</th><th>where</th><th>queue</th><th>dropped</th></tr></thead><tbody>${writers}</tbody></table></div>
<h2>Sources</h2>${sources.join("\n")}
<p class="muted">Sparklines: one value per minute over the last hour, for up to ${doc.history.limit} series (${doc.history.series} kept). Refreshes every ${refresh} s.</p>
</body></html>
`
}
