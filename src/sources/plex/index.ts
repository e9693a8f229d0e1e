/**
 * `Plex`: sessions and library sizes of a Plex Media Server, from its HTTP API (XML).
 * The original's names: streams.movies, streams.shows, streams.musics, lib.movies, lib.shows,
 * lib.shows.episodes, lib.shows.seasons, lib.music.albums, lib.music.songs. Beside them:
 * streams.sessions, streams.transcodes, streams.bandwidth (bit/s), lib.music.artists and
 * lib.items{section,type} per library. Library sizes come from `totalSize` of a zero-length
 * page (one small request per count); servers without it are counted from the full listing
 * as the original did. `token` goes in the X-Plex-Token header, never in a URL or a log line.
 */
import { Source, ValueSet, type CommonSourceOptions, type SourceContext } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type PlexOptions } from "./options.ts"
import { parseListing, parseSections, parseSessions, parseTotalSize, type PlexSection } from "./plex-xml.ts"

/** Plex metadata types for `/library/sections/<id>/all?type=N`. */
const TYPE = { movie: 1, show: 2, season: 3, episode: 4, artist: 8, album: 9, track: 10 } as const

export interface PlexLibrary {
  movies: number
  shows: number
  seasons: number
  episodes: number
  artists: number
  albums: number
  tracks: number
  /** Items per library section. */
  sections: { title: string; type: string; items: number }[]
}

export class PlexSource extends Source<PlexOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 30

  constructor(config: PlexOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    if (config.token) ctx.registerSecret(config.token)
  }

  override async probe(): Promise<ValueSet[]> {
    const [library, sessionsXml] = await Promise.all([this.library(), this.get("/status/sessions")])
    return plexValueSets(library, parseSessions(sessionsXml))
  }

  private async library(): Promise<PlexLibrary> {
    const sections = parseSections(await this.get("/library/sections"))
    const library: PlexLibrary = { movies: 0, shows: 0, seasons: 0, episodes: 0, artists: 0, albums: 0, tracks: 0, sections: [] }
    await Promise.all(sections.map((section) => this.countSection(section, library)))
    library.sections.sort((a, b) => a.title.localeCompare(b.title))
    return library
  }

  private async countSection(section: PlexSection, library: PlexLibrary): Promise<void> {
    const base = `/library/sections/${encodeURIComponent(section.key)}`
    const all = `${base}/all`
    const listing = async (path = all) => parseListing(await this.get(path))
    // Without totalSize (old servers) the counts come from full listings, as the original did.
    let items: number
    switch (section.type) {
      case "movie":
        items = (await this.total(all, TYPE.movie)) ?? (await listing()).count
        library.movies += items
        break
      case "show": {
        const [shows = 0, seasons = 0, episodes = 0] = await this.totals(all, [TYPE.show, TYPE.season, TYPE.episode], async () => {
          const shown = await listing()
          return [shown.count, shown.childCount, shown.leaves]
        })
        library.shows += shows
        library.seasons += seasons
        library.episodes += episodes
        items = shows
        break
      }
      case "artist": {
        const [artists = 0, albums = 0, tracks = 0] = await this.totals(all, [TYPE.artist, TYPE.album, TYPE.track], async () => {
          const [artistList, albumList] = await Promise.all([listing(), listing(`${base}/albums`)])
          return [artistList.count, albumList.count, albumList.leaves]
        })
        library.artists += artists
        library.albums += albums
        library.tracks += tracks
        items = artists
        break
      }
      default:
        items = (await this.total(all)) ?? (await listing()).count
    }
    library.sections.push({ title: section.title, type: section.type, items })
  }

  /** `totalSize` of each type or, when the server leaves any of them out, the counts `fromListing` makes. */
  private async totals(path: string, types: number[], fromListing: () => Promise<number[]>): Promise<number[]> {
    const totals = await Promise.all(types.map((type) => this.total(path, type)))
    return totals.every((total) => total !== undefined) ? (totals as number[]) : fromListing()
  }

  /** `totalSize` of a zero-length page; undefined when the server does not report it. */
  private async total(path: string, type?: number): Promise<number | undefined> {
    const query = new URLSearchParams({ "X-Plex-Container-Start": "0", "X-Plex-Container-Size": "0" })
    if (type !== undefined) query.set("type", String(type))
    return parseTotalSize(await this.get(`${path}?${query}`))
  }

  private async get(path: string): Promise<string> {
    const url = new URL(this.config.url)
    const [pathname = "", search = ""] = path.split("?")
    // Keep a base path (a reverse proxy's /plex) in front of the API path.
    url.pathname = url.pathname.replace(/\/+$/, "") + pathname
    url.search = search
    const headers: Record<string, string> = { accept: "application/xml" }
    if (this.config.token) headers["X-Plex-Token"] = this.config.token
    const response = await this.ctx.fetch(url, { headers })
    const body = await response.text()
    const where = url.pathname
    if (response.status === 401) {
      throw new Error(
        this.config.token
          ? `Plex rejected the token (401 Unauthorized for ${where}); get a current X-Plex-Token`
          : `Plex answered 401 Unauthorized for ${where}: set \`token\` (X-Plex-Token), or allow unauthenticated access from this address in Plex's network settings`,
      )
    }
    if (!response.ok) throw new Error(`Plex answered ${response.status} ${response.statusText} for ${where}`)
    return body
  }
}

export function plexValueSets(library: PlexLibrary, sessions: ReturnType<typeof parseSessions>): ValueSet[] {
  const streams = new ValueSet(metrics.streams)
    .add(sessions.movies, [], "streams.movies")
    .add(sessions.shows, [], "streams.shows")
    .add(sessions.music, [], "streams.musics")
    .add(sessions.total, [], "streams.sessions")
    .add(sessions.transcodes, [], "streams.transcodes")
  const bandwidth = new ValueSet(metrics.bandwidth).add(sessions.bandwidthKbps * 1000, [], "streams.bandwidth")
  const lib = new ValueSet(metrics.lib)
    .add(library.movies, [], "lib.movies")
    .add(library.shows, [], "lib.shows")
    .add(library.episodes, [], "lib.shows.episodes")
    .add(library.seasons, [], "lib.shows.seasons")
    .add(library.artists, [], "lib.music.artists")
    .add(library.albums, [], "lib.music.albums")
    .add(library.tracks, [], "lib.music.songs")
  const sections = new ValueSet(metrics.sections)
  for (const section of library.sections) sections.add(section.items, [section.title, section.type], "lib.items")
  return sections.values.length ? [streams, bandwidth, lib, sections] : [streams, bandwidth, lib]
}
