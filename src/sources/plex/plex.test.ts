import { afterEach, describe, expect, it } from "bun:test"
import { join } from "node:path"
import { graphitePath, promName } from "../../core/naming.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { parseListing, parseSections, parseSessions, parseTotalSize } from "./plex-xml.ts"
import { PlexSource } from "./index.ts"
import { startFakePlex } from "./fake-server.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

const fixtures = join(import.meta.dir, "testdata")
const read = (name: string) => Bun.file(join(fixtures, name)).text()
const TOKEN = "xPlexT0ken-abc123"

function flat(sets: ValueSet[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const set of sets)
    for (const value of set.values)
      out[value.labelValues.length ? `${value.name}{${value.labelValues.join(",")}}` : value.name!] = value.value
  return out
}

describe("Plex XML", () => {
  it("reads library sections, totals and sessions", async () => {
    expect(parseSections(await read("library-sections.xml"))).toEqual([
      { key: "1", type: "movie", title: "Movies" },
      { key: "2", type: "show", title: "TV Shows" },
      { key: "3", type: "artist", title: "Music" },
      { key: "4", type: "photo", title: "Photos" },
    ])
    expect(parseTotalSize(await read("section-2-all-type-4.xml"))).toBe(2213)
    expect(parseTotalSize(await read("old-section-2-all.xml"))).toBeUndefined()
    expect(parseListing(await read("old-section-2-all.xml"))).toEqual({ count: 2, leaves: 62 + 73, childCount: 6 + 8 })
    expect(parseSessions(await read("status-sessions.xml"))).toEqual({
      movies: 1,
      shows: 1,
      music: 1,
      total: 3,
      transcodes: 2,
      bandwidthKbps: 11267 + 4400 + 350,
    })
    expect(parseSessions(await read("status-sessions-idle.xml"))).toEqual({
      movies: 0,
      shows: 0,
      music: 0,
      total: 0,
      transcodes: 0,
      bandwidthKbps: 0,
    })
  })

  it("says when an answer is not Plex's", () => {
    expect(() => parseSections("<html><body>login</body></html>")).toThrow("not a Plex response")
  })
})

describe("Plex against a fake server", () => {
  let fake: ReturnType<typeof startFakePlex> | undefined
  afterEach(() => fake?.stop())

  it("reports sessions and library sizes, sending the token as a header only", async () => {
    fake = startFakePlex({ token: TOKEN })
    const source = makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url, token: TOKEN })
    expect(flat(await source.probe())).toEqual({
      "streams.movies": 1,
      "streams.shows": 1,
      "streams.musics": 1,
      "streams.sessions": 3,
      "streams.transcodes": 2,
      "streams.bandwidth": 16017 * 1000,
      "lib.movies": 412,
      "lib.shows": 37,
      "lib.shows.episodes": 2213,
      "lib.shows.seasons": 151,
      "lib.music.artists": 58,
      "lib.music.albums": 96,
      "lib.music.songs": 1187,
      "lib.items{Movies,movie}": 412,
      "lib.items{Music,artist}": 58,
      "lib.items{Photos,photo}": 3050,
      "lib.items{TV Shows,show}": 37,
    })
    expect(fake.seen.length).toBe(1 + 1 + 1 + 3 + 3 + 1)
    for (const request of fake.seen) {
      expect(request.token).toBe(TOKEN)
      expect(request.search).not.toContain(TOKEN)
    }
  })

  it("counts from full listings when the server sends no totalSize (as the original)", async () => {
    fake = startFakePlex({ old: true, sessions: "status-sessions-idle.xml" })
    const values = flat(await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe())
    expect(values).toMatchObject({
      "lib.shows": 2,
      "lib.shows.seasons": 14,
      "lib.shows.episodes": 135,
      "lib.movies": 0,
      "streams.sessions": 0,
    })
    expect(fake.seen.every((request) => request.token === null)).toBe(true)
  })

  it("a 401 without a token says to set one; a wrong token is named as rejected, never shown", async () => {
    fake = startFakePlex({ token: TOKEN })
    const without = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url })
      .probe()
      .catch((e: Error) => e)
    expect((without as Error).message).toMatch(
      /^Plex answered 401 Unauthorized for \/(library\/sections|status\/sessions): set `token` \(X-Plex-Token\)/,
    )
    const wrong = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url, token: "wrong-token-999" })
      .probe()
      .catch((e: Error) => e)
    expect((wrong as Error).message).toContain("Plex rejected the token (401 Unauthorized")
    expect((wrong as Error).message).not.toContain("wrong-token-999")
  })

  it("keeps a base path in the URL (reverse proxy)", async () => {
    let seen = ""
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => ((seen = new URL(request.url).pathname), new Response("nope", { status: 404 })),
    })
    try {
      const error = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: `http://127.0.0.1:${server.port}/plex/` })
        .probe()
        .catch((e: Error) => e)
      expect((error as Error).message).toMatch(/^Plex answered 404 Not Found for \/plex\//)
      expect(seen.startsWith("/plex/")).toBe(true)
    } finally {
      server.stop(true)
    }
  })

  it("names values as the original pollect did", async () => {
    fake = startFakePlex()
    const sets = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe()
    const result = resultOf(sets, { type: "Plex" })
    const names = sets.flatMap((set) => set.values.map((value) => promName(result, set, value, "pollect")))
    for (const name of [
      "streams_movies",
      "streams_shows",
      "streams_musics",
      "lib_movies",
      "lib_shows",
      "lib_shows_episodes",
      "lib_shows_seasons",
      "lib_music_albums",
      "lib_music_songs",
    ]) {
      expect(names).toContain(`pollect_Plex_${name}`)
    }
    expect(graphitePath(result, sets[0]!.values[0]!)).toStartWith("pollect.plex.streams")
  })

  itWithTools(["promtool"], "promtool check metrics passes on its snake_case output", async () => {
    fake = startFakePlex()
    const sets = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe()
    const text = snakeCaseExposition(resultOf(sets, { type: "Plex" }))
    expect(text).toContain("pollect_plex_streams_bandwidth_bytes_per_second ")
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})
