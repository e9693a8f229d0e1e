/**
 * Parsers for the Plex Media Server HTTP API's XML (`<MediaContainer>` documents):
 * - `/library/sections`: `<Directory key="1" type="movie" title="Movies">` per library
 * - `/library/sections/<id>/all?type=N` with `X-Plex-Container-Size=0`: `totalSize` = item count
 *   (type 1 movies, 2 shows, 3 seasons, 4 episodes, 8 artists, 9 albums, 10 tracks)
 * - the same without paging (old servers without `totalSize`): one child per item, shows and
 *   albums with `leafCount` (episodes, tracks) and `childCount` (seasons)
 * - `/status/sessions`: one `<Video>`/`<Track>`/`<Photo>` per playing session, each with
 *   `<Session bandwidth="kbit/s" location="lan|wan">` and, when converted,
 *   `<TranscodeSession videoDecision=".." audioDecision="..">`
 */
import { XMLParser } from "fast-xml-parser"

type Attrs = Record<string, unknown>

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseAttributeValue: false,
  parseTagValue: false,
  // Every element below MediaContainer may repeat.
  isArray: (_name, jpath, _leaf, isAttribute) => !isAttribute && String(jpath).split(".").length >= 2,
})

function container(xml: string, what: string): Attrs {
  let doc: { MediaContainer?: Attrs | string }
  try {
    doc = parser.parse(xml) as typeof doc
  } catch (error) {
    throw new Error(`${what}: the XML does not parse: ${(error as Error).message}`)
  }
  const root = doc.MediaContainer
  if (root === undefined) throw new Error(`${what}: not a Plex response (no <MediaContainer>)`)
  return typeof root === "object" ? root : {}
}

/** The child elements of MediaContainer, whatever their tag. */
function children(root: Attrs): Attrs[] {
  const out: Attrs[] = []
  for (const [key, value] of Object.entries(root)) {
    if (key.startsWith("@") || key === "#text") continue
    for (const item of Array.isArray(value) ? value : [value]) if (item && typeof item === "object") out.push(item as Attrs)
  }
  return out
}

const text = (value: unknown) => (typeof value === "string" ? value : value === undefined ? undefined : String(value))
const int = (value: unknown) => {
  const number = Number(text(value))
  return Number.isFinite(number) ? number : undefined
}

export interface PlexSection {
  key: string
  type: string
  title: string
}

export function parseSections(xml: string): PlexSection[] {
  return children(container(xml, "/library/sections"))
    .filter((item) => text(item["@key"]) !== undefined)
    .map((item) => ({ key: text(item["@key"])!, type: text(item["@type"]) ?? "", title: text(item["@title"]) ?? "" }))
}

/** `totalSize` of a paged listing; undefined when the server does not send it (then count the full listing). */
export function parseTotalSize(xml: string): number | undefined {
  return int(container(xml, "library listing")["@totalSize"])
}

export interface PlexListing {
  /** Items listed (the `size` attribute, or the children counted). */
  count: number
  /** Sum of `leafCount` (episodes of shows, tracks of albums). */
  leaves: number
  /** Sum of `childCount` (seasons of shows). */
  childCount: number
}

/** A full (unpaged) listing, as the original counted it. */
export function parseListing(xml: string): PlexListing {
  const root = container(xml, "library listing")
  const items = children(root)
  let leaves = 0
  let childCount = 0
  for (const item of items) {
    leaves += int(item["@leafCount"]) ?? 0
    childCount += int(item["@childCount"]) ?? 0
  }
  return { count: items.length || (int(root["@size"]) ?? 0), leaves, childCount }
}

export interface PlexSessions {
  movies: number
  shows: number
  music: number
  total: number
  /** Sessions whose video or audio Plex converts (not direct play or direct stream). */
  transcodes: number
  /** Sum of the sessions' `bandwidth`, kbit/s. */
  bandwidthKbps: number
}

export function parseSessions(xml: string): PlexSessions {
  const sessions: PlexSessions = { movies: 0, shows: 0, music: 0, total: 0, transcodes: 0, bandwidthKbps: 0 }
  for (const item of children(container(xml, "/status/sessions"))) {
    sessions.total++
    const type = text(item["@type"])
    if (type === "movie") sessions.movies++
    else if (type === "episode") sessions.shows++
    else if (type === "track") sessions.music++
    const session = first(item.Session)
    sessions.bandwidthKbps += int(session?.["@bandwidth"]) ?? 0
    const transcode = first(item.TranscodeSession)
    if (transcode && (text(transcode["@videoDecision"]) === "transcode" || text(transcode["@audioDecision"]) === "transcode"))
      sessions.transcodes++
  }
  return sessions
}

function first(value: unknown): Attrs | undefined {
  const item = Array.isArray(value) ? value[0] : value
  return item && typeof item === "object" ? (item as Attrs) : undefined
}
