/**
 * `pollect status`: the status document as tables for a terminal (no colours when not a TTY),
 * and the exit code scripts test: 0 all ok, 1 a source failing or a writer not ok.
 *
 * @example
 * process.stdout.write(statusTable(await (await fetch(url + "status.json")).json()))
 */
import { formatAge, formatDuration } from "./format-value.ts"
import type { StatusDocument } from "./status-document.ts"

/** Left-aligned columns separated by two spaces; cells cut at `max` characters. */
export function table(header: string[], rows: string[][], max = 80): string {
  const cut = (text: string) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
  const all = [header, ...rows].map((row) => row.map((cell) => cut(cell.replace(/\s+/g, " "))))
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? "").length)))
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
}

export function statusTable(doc: StatusDocument): string {
  const { now } = doc
  const age = (ms: number | null) => (ms === null ? "never" : formatAge(ms, now))
  const lines: string[] = []
  lines.push(
    `pollect ${doc.pollect.version}, up ${formatDuration(doc.pollect.uptimeSeconds)}, ${doc.pollect.configFile ?? "embedded default config"} (loaded ${age(doc.pollect.configLoadedAt)})`,
  )
  const failing = doc.sources.filter((s) => s.state === "failing").length
  lines.push(`${doc.sources.length} source(s): ${doc.sources.length - failing} ok or pending, ${failing} failing`, "")
  lines.push(
    table(
      ["STATE", "SOURCE", "COLLECTION", "LAST PROBE", "TOOK", "PROBES", "ERRORS", "MESSAGE"],
      doc.sources.map((s) => [
        s.state,
        `${s.type}${s.name ? ` "${s.name}"` : ""}`,
        s.collection,
        age(s.lastProbeAt),
        s.lastProbeMs === null ? "" : `${s.lastProbeMs} ms`,
        String(s.probes),
        String(s.errors),
        s.lastError ?? (s.state === "ok" ? `${s.values.length} value(s)` : ""),
      ]),
    ),
    "",
  )
  lines.push(
    table(
      ["STATE", "WRITER", "WHERE", "QUEUED", "DROPPED", "MESSAGE"],
      doc.writers.map((w) => [
        w.state,
        w.type,
        w.detail ?? "",
        w.queuePoints === null ? "" : String(w.queuePoints),
        String(w.pointsDropped),
        w.lastError ?? "",
      ]),
    ),
    "",
  )
  lines.push(
    table(
      ["EXECUTOR", "COLLECTION", "TICK", "LAST TICK", "TOOK", "SKIPPED"],
      doc.executors.map((e) => [
        e.id,
        e.collection,
        `${e.tickSeconds} s`,
        age(e.lastTickAt),
        e.lastTickMs === null ? "" : `${e.lastTickMs} ms`,
        String(e.ticksSkipped),
      ]),
    ),
  )
  return `${lines.join("\n")}\n`
}

/** 0 when every source is ok (or not probed yet) and every writer ok; 1 otherwise. */
export function statusExitCode(doc: StatusDocument): 0 | 1 {
  return doc.sources.some((s) => s.state === "failing") || doc.writers.some((w) => w.state !== "ok") ? 1 : 0
}

/** Reads a status document, with basic auth from the URL's userinfo; a clear error when it cannot. */
export async function fetchStatus(url: string, options: { timeoutMs?: number; insecure?: boolean } = {}): Promise<StatusDocument> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    throw new Error(`not a URL: ${url}`)
  }
  const headers: Record<string, string> = {}
  if (target.username || target.password) {
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString("base64")}`
    target.username = ""
    target.password = ""
  }
  if (!target.pathname.endsWith("status.json")) target.pathname = `${target.pathname.replace(/\/$/, "")}/status.json`
  let response: Response
  try {
    const tls = options.insecure ? { tls: { rejectUnauthorized: false } } : {}
    response = await fetch(target, { headers, signal: AbortSignal.timeout(options.timeoutMs ?? 5000), ...tls } as RequestInit)
  } catch (error) {
    throw new Error(
      `cannot reach ${target.origin}: ${(error as Error).message} (is pollect running with a "status" section in its config?)`,
    )
  }
  if (response.status === 401) throw new Error(`${target.origin} wants credentials: give them in the URL, http://user:password@host:port/`)
  if (!response.ok) throw new Error(`${target.href} answered HTTP ${response.status}`)
  const doc = (await response.json().catch(() => null)) as StatusDocument | null
  if (doc?.schema !== 1 || !Array.isArray(doc.sources)) throw new Error(`${target.href} is not a pollect status document`)
  return doc
}
