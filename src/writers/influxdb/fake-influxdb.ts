/**
 * A loopback InfluxDB for tests: takes `/write` and `/api/v2/write`, un-gzips, and parses every
 * line with a strict line-protocol parser (InfluxDB 1.x's rules, stricter where 1.x would guess),
 * so a test sees what InfluxDB would store or that a line would be refused. Answers are
 * scriptable (`answer`: the next statuses, then 204).
 */
import { gunzipSync } from "node:zlib"

export interface LinePoint {
  measurement: string
  tags: Record<string, string>
  fields: Record<string, number>
  time: number
}

/** Parses one line; throws with the reason when InfluxDB would refuse it or read it otherwise. */
export function parseLine(line: string): LinePoint {
  let i = 0
  /** Reads up to an unescaped character of `stops`; `escapable` are the characters `\` escapes. */
  const token = (stops: string, escapable: string): string => {
    let out = ""
    while (i < line.length && !stops.includes(line[i]!)) {
      const c = line[i]!
      if (c === "\\") {
        const next = line[i + 1]
        if (next === undefined) throw new Error(`a backslash at the end of ${JSON.stringify(line)}`)
        if (escapable.includes(next)) {
          out += next
          i += 2
          continue
        }
        if (next === "\\") throw new Error(`a double backslash (ambiguous between InfluxDB versions) in ${JSON.stringify(line)}`)
      }
      if (c === "\n" || c === "\r") throw new Error("a newline inside a line")
      out += c
      i++
    }
    return out
  }
  if (line.startsWith("#")) throw new Error(`a comment line: ${JSON.stringify(line)}`)
  const measurement = token(", ", ", ")
  if (!measurement) throw new Error(`no measurement in ${JSON.stringify(line)}`)
  const tags: Record<string, string> = {}
  while (line[i] === ",") {
    i++
    const key = token("=, ", ",= ")
    if (line[i] !== "=") throw new Error(`tag ${JSON.stringify(key)} has no value in ${JSON.stringify(line)}`)
    i++
    const value = token(", =", ",= ")
    if (line[i] === "=") throw new Error(`an unescaped = in tag value ${JSON.stringify(value)}`)
    if (!key || !value) throw new Error(`an empty tag key or value in ${JSON.stringify(line)}`)
    if (key === "time") throw new Error(`invalid tag key: input tag "time" on measurement "${measurement}" is invalid`)
    if (key in tags) throw new Error(`duplicate tag ${key}`)
    tags[key] = value
  }
  if (line[i] !== " ") throw new Error(`no space after the tags in ${JSON.stringify(line)}`)
  i++
  const fields: Record<string, number> = {}
  for (;;) {
    const key = token("= ,", ",= ")
    if (line[i] !== "=") throw new Error(`field ${JSON.stringify(key)} has no value`)
    i++
    const start = i
    while (i < line.length && line[i] !== "," && line[i] !== " ") i++
    const text = line.slice(start, i)
    if (!/^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`field ${key}: ${JSON.stringify(text)} is no float`)
    if (!key) throw new Error("an empty field key")
    if (key === "time") throw new Error(`invalid field name: input field "time" on measurement "${measurement}" is invalid`)
    if (key in fields) throw new Error(`duplicate field ${key}`)
    fields[key] = Number(text)
    if (line[i] === ",") {
      i++
      continue
    }
    break
  }
  if (line[i] !== " ") throw new Error(`no timestamp in ${JSON.stringify(line)}`)
  const time = line.slice(i + 1)
  if (!/^-?\d{1,19}$/.test(time)) throw new Error(`bad timestamp ${JSON.stringify(time)}`)
  return { measurement, tags, fields, time: Number(time) }
}

/** A body of lines (each ending in `\n`, as InfluxDB's clients send them). */
export function parseBody(body: string): LinePoint[] {
  if (body && !body.endsWith("\n")) throw new Error("the body does not end with a newline")
  return body
    .split("\n")
    .filter((line) => line !== "")
    .map(parseLine)
}

export interface FakeRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Headers
  /** The body, un-gzipped. */
  body: string
  gzip: boolean
}

export interface FakeInfluxDB {
  url: string
  port: number
  requests: FakeRequest[]
  /** Points of the accepted requests, in order. */
  points: LinePoint[]
  /** Parse errors of the bodies (a correct writer makes none). */
  errors: string[]
  /** Statuses for the next requests (then 204); a tuple adds a body. */
  answer: (number | [number, string])[]
  stop(): Promise<void>
}

/** `tls`: PEM texts, to serve https. */
export function startFakeInfluxDB(port = 0, tls?: { cert: string; key: string }): FakeInfluxDB {
  const state: Omit<FakeInfluxDB, "url" | "port" | "stop"> = { requests: [], points: [], errors: [], answer: [] }
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port,
    tls,
    async fetch(request) {
      const url = new URL(request.url)
      const raw = new Uint8Array(await request.arrayBuffer())
      const gzip = request.headers.get("content-encoding") === "gzip"
      let body: string
      try {
        body = new TextDecoder("utf-8", { fatal: true }).decode(gzip ? gunzipSync(raw) : raw)
      } catch (error) {
        state.errors.push(`undecodable body: ${error}`)
        return new Response('{"error":"bad body"}', { status: 400 })
      }
      state.requests.push({ method: request.method, path: url.pathname, query: url.searchParams, headers: request.headers, body, gzip })
      if (url.pathname === "/query") return Response.json({ results: [{ statement_id: 0 }] })
      const next = state.answer.shift() ?? 204
      const [status, text] = typeof next === "number" ? [next, `{"error":"status ${next}"}`] : next
      if (status !== 204) return new Response(text, { status, headers: { "content-type": "application/json" } })
      try {
        state.points.push(...parseBody(body))
      } catch (error) {
        state.errors.push(String(error))
        return new Response(JSON.stringify({ error: String(error) }), { status: 400 })
      }
      return new Response(null, { status: 204 })
    },
  })
  return Object.assign(state, {
    url: `${tls ? "https" : "http"}://127.0.0.1:${server.port}`,
    port: server.port!,
    stop: () => server.stop(true),
  })
}
