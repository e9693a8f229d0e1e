import { afterEach, describe, expect, it } from "bun:test"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { graphitePath, promLabels, promName } from "../../core/naming.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { parseListing, parseSections, parseSessions, parseTotalSize } from "./plex-xml.ts"
import { PlexSource } from "./index.ts"
import { startFakePlex } from "./fake-server.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { serveFake, type FakeServer } from "../../../test/helpers/fake-server.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

/** Recorded answers: testdata/current (a server with totalSize), testdata/old-server (without). */
const read = (file: string) => Bun.file(join(import.meta.dir, "testdata", file)).text()
const TOKEN = "xPlexT0ken-abc123"

/** Graphite path → value, as a plain object for toEqual/toMatchObject. */
const paths = (sets: ValueSet[]) => Object.fromEntries(byGraphitePath(sets, "Plex"))

/** The failing case's server wants a token the config does not give; its URL is known once it runs. */
const failingConfig: Record<string, unknown> = { type: "Plex" }

sourceConformance({
  type: "Plex",
  cls: PlexSource,
  dir: import.meta.dir,
  // The case's folder of recorded answers, served on loopback (with the case's token required, if it has one).
  golden: async (testCase) => {
    const fake = startFakePlex({ dir: testCase.dir, token: testCase.config.token as string | undefined })
    try {
      return [await makeSource<PlexSource>(PlexSource, { ...testCase.config, url: fake.url }).probe()]
    } finally {
      await fake.stop()
    }
  },
  failing: {
    config: failingConfig,
    setup: () => {
      const fake = startFakePlex({ token: TOKEN })
      failingConfig.url = fake.url
      return () => void fake.stop()
    },
    message: /Plex answered 401 Unauthorized for \/\S+: set `token` \(X-Plex-Token\)/,
  },
})

describe("Plex XML", () => {
  it("reads library sections, totals and sessions", async () => {
    expect(parseSections(await read("current/library-sections.xml"))).toEqual([
      { key: "1", type: "movie", title: "Movies" },
      { key: "2", type: "show", title: "TV Shows" },
      { key: "3", type: "artist", title: "Music" },
      { key: "4", type: "photo", title: "Photos" },
    ])
    expect(parseTotalSize(await read("current/section-2-all-type-4.xml"))).toBe(2213)
    expect(parseTotalSize(await read("old-server/section-2-all.xml"))).toBeUndefined()
    expect(parseListing(await read("old-server/section-2-all.xml"))).toEqual({ count: 2, leaves: 62 + 73, childCount: 6 + 8 })
    expect(parseSessions(await read("current/status-sessions.xml"))).toEqual({
      movies: 1,
      shows: 1,
      music: 1,
      total: 3,
      transcodes: 2,
      bandwidthKbps: 11267 + 4400 + 350,
    })
    expect(parseSessions(await read("old-server/status-sessions.xml"))).toEqual({
      movies: 0,
      shows: 0,
      music: 0,
      total: 0,
      transcodes: 0,
      bandwidthKbps: 0,
    })
  })

  it("says when an answer is not Plex's, naming which answer", () => {
    const html = "<html><body>login</body></html>"
    expect(() => parseSections(html)).toThrow(/^\/library\/sections: not a Plex response \(no <MediaContainer>\)$/)
    expect(() => parseTotalSize(html)).toThrow(/^library listing: not a Plex response/)
    expect(() => parseListing(html)).toThrow(/^library listing: not a Plex response/)
    expect(() => parseSessions(html)).toThrow(/^\/status\/sessions: not a Plex response/)
    expect(() => parseSections("<MediaContainer")).toThrow(/^\/library\/sections: the XML does not parse: ./)
  })

  it("a section needs a key; a missing type or title is empty; a numeric-looking title stays text", () => {
    const xml =
      '<MediaContainer size="3"><Directory title="no key" type="movie"/><Directory key="7"/><Directory key="5" type="movie" title="007"/></MediaContainer>'
    expect(parseSections(xml)).toEqual([
      { key: "7", type: "", title: "" },
      { key: "5", type: "movie", title: "007" },
    ])
  })

  it("a listing without children counts its size attribute (0 without one); text elements are not items", () => {
    expect(parseListing('<MediaContainer size="5" />')).toEqual({ count: 5, leaves: 0, childCount: 0 })
    expect(parseListing("<MediaContainer />")).toEqual({ count: 0, leaves: 0, childCount: 0 })
    expect(parseListing('<MediaContainer size="9"><Directory leafCount="3"/><Note>text</Note></MediaContainer>')).toEqual({
      count: 1,
      leaves: 3,
      childCount: 0,
    })
  })

  it("sessions: a photo counts only in the total, one without <Session> adds no bandwidth, only a transcode decision is a transcode", () => {
    const xml = `<MediaContainer size="5">
      <Photo type="photo"/>
      <Video type="movie"><Session bandwidth="1000"/><TranscodeSession videoDecision="transcode" audioDecision="copy"/></Video>
      <Video type="movie"><Session bandwidth="1"/><TranscodeSession videoDecision="transcode" audioDecision="copy"/></Video>
      <Video type="episode"><Session bandwidth="20"/><TranscodeSession videoDecision="copy" audioDecision="transcode"/></Video>
      <Track type="track"><Session bandwidth="200"/><TranscodeSession videoDecision="copy" audioDecision="copy"/></Track>
      <Note>text</Note>
    </MediaContainer>`
    expect(parseSessions(xml)).toEqual({ movies: 2, shows: 1, music: 1, total: 5, transcodes: 3, bandwidthKbps: 1221 })
  })
})

describe("Plex against a fake server", () => {
  let fake: FakeServer | undefined
  afterEach(() => fake?.stop())

  it("reports sessions and library sizes, sending the token as a header only", async () => {
    fake = startFakePlex({ token: TOKEN })
    const source = makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url, token: TOKEN })
    expect(paths(await source.probe())).toEqual({
      "pollect.plex.streams.movies": 1,
      "pollect.plex.streams.shows": 1,
      "pollect.plex.streams.musics": 1,
      "pollect.plex.streams.sessions": 3,
      "pollect.plex.streams.transcodes": 2,
      "pollect.plex.streams.bandwidth": 16017 * 1000,
      "pollect.plex.lib.movies": 412,
      "pollect.plex.lib.shows": 37,
      "pollect.plex.lib.shows.episodes": 2213,
      "pollect.plex.lib.shows.seasons": 151,
      "pollect.plex.lib.music.artists": 58,
      "pollect.plex.lib.music.albums": 96,
      "pollect.plex.lib.music.songs": 1187,
      "pollect.plex.lib.items.Movies.movie": 412,
      "pollect.plex.lib.items.Music.artist": 58,
      "pollect.plex.lib.items.Photos.photo": 3050,
      "pollect.plex.lib.items.TV_Shows.show": 37,
    })
    expect(fake.requests.length).toBe(1 + 1 + 1 + 3 + 3 + 1)
    for (const request of fake.requests) {
      expect(request.headers.get("x-plex-token")).toBe(TOKEN)
      expect(request.search).not.toContain(TOKEN)
    }
  })

  it("counts from full listings when the server sends no totalSize (as the original)", async () => {
    fake = startFakePlex({ old: true })
    const values = paths(await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe())
    expect(values).toMatchObject({
      "pollect.plex.lib.shows": 2,
      "pollect.plex.lib.shows.seasons": 14,
      "pollect.plex.lib.shows.episodes": 135,
      "pollect.plex.lib.movies": 0,
      "pollect.plex.streams.sessions": 0,
    })
    expect(fake.requests.every((request) => request.headers.get("x-plex-token") === null)).toBe(true)
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

  it("keeps a base path in the URL (reverse proxy), its trailing slashes dropped", async () => {
    fake = serveFake(() => new Response("nope", { status: 404 }))
    const error = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: `${fake.url}/plex//` })
      .probe()
      .catch((e: Error) => e)
    expect((error as Error).message).toMatch(/^Plex answered 404 Not Found for \/plex\//)
    expect(fake.requests.map((request) => request.path).sort()).toEqual(["/plex/library/sections", "/plex/status/sessions"])
  })

  it("asks for XML; counts with zero-length pages of each type, other requests without a query", async () => {
    fake = startFakePlex()
    await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe()
    expect(fake.requests.every((request) => request.headers.get("accept") === "application/xml")).toBe(true)
    const asked = fake.requests.map((request) => `${request.path}${request.search}`).sort()
    const page = (type: number) => `?X-Plex-Container-Start=0&X-Plex-Container-Size=0&type=${type}`
    expect(asked).toEqual([
      "/library/sections",
      `/library/sections/1/all${page(1)}`,
      `/library/sections/2/all${page(2)}`,
      `/library/sections/2/all${page(3)}`,
      `/library/sections/2/all${page(4)}`,
      `/library/sections/3/all${page(10)}`,
      `/library/sections/3/all${page(8)}`,
      `/library/sections/3/all${page(9)}`,
      "/library/sections/4/all?X-Plex-Container-Start=0&X-Plex-Container-Size=0",
      "/status/sessions",
    ])
  })

  it("an old server's music library: artists from the listing, albums and tracks from /albums", async () => {
    fake = startFakePlex({ dir: join(import.meta.dir, "testdata/old-server-music") })
    const values = paths(await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe())
    expect(values).toEqual({
      "pollect.plex.streams.movies": 1,
      "pollect.plex.streams.shows": 0,
      "pollect.plex.streams.musics": 1,
      "pollect.plex.streams.sessions": 3,
      "pollect.plex.streams.transcodes": 1,
      "pollect.plex.streams.bandwidth": 1200 * 1000,
      "pollect.plex.lib.movies": 3,
      "pollect.plex.lib.shows": 0,
      "pollect.plex.lib.shows.episodes": 0,
      "pollect.plex.lib.shows.seasons": 0,
      "pollect.plex.lib.music.artists": 2,
      "pollect.plex.lib.music.albums": 3,
      "pollect.plex.lib.music.songs": 40,
      "pollect.plex.lib.items.007.movie": 3,
      "pollect.plex.lib.items.Music.artist": 2,
    })
    expect(fake.seen("/library/sections/3/albums").length).toBe(1)
  })

  it("a server that gives totalSize for some types only is counted from the listing", async () => {
    const dir = tempDir("plex-mixed-")
    const files: Record<string, string> = {
      "library-sections.xml": '<MediaContainer size="1"><Directory key="2" type="show" title="TV Shows"/></MediaContainer>',
      "section-2-all-type-2.xml": '<MediaContainer size="0" totalSize="99"/>',
      "section-2-all-type-3.xml": '<MediaContainer size="0" totalSize="98"/>',
      "section-2-all.xml":
        '<MediaContainer size="1"><Directory type="show" title="The Expanse" leafCount="62" childCount="6"/></MediaContainer>',
      "status-sessions.xml": '<MediaContainer size="0"/>',
    }
    for (const [name, xml] of Object.entries(files)) writeFileSync(join(dir, name), xml)
    fake = startFakePlex({ dir })
    expect(paths(await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe())).toMatchObject({
      "pollect.plex.lib.shows": 1,
      "pollect.plex.lib.shows.seasons": 6,
      "pollect.plex.lib.shows.episodes": 62,
    })
  })

  it("a server without libraries still reports the sessions and zero library sizes, no per-section set", async () => {
    const dir = tempDir("plex-empty-")
    writeFileSync(join(dir, "library-sections.xml"), '<MediaContainer size="0"/>')
    writeFileSync(join(dir, "status-sessions.xml"), '<MediaContainer size="0"/>')
    fake = startFakePlex({ dir })
    const sets = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe()
    expect(sets.map((set) => set.values.length)).toEqual([5, 1, 7])
    expect(Object.values(paths(sets)).every((value) => value === 0)).toBe(true)
  })

  it("labels each section's items by section and type", async () => {
    fake = startFakePlex()
    const sets = await makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url }).probe()
    const result = resultOf(sets, { type: "Plex" })
    const items = sets[3]!
    expect(items.values.map((value) => promLabels(result, items, value))).toEqual([
      { section: "Movies", type: "movie" },
      { section: "Music", type: "artist" },
      { section: "Photos", type: "photo" },
      { section: "TV Shows", type: "show" },
    ])
  })

  it("never logs the token", async () => {
    fake = startFakePlex({ token: TOKEN })
    const lines: string[] = []
    const source = makeSource<PlexSource>(PlexSource, { type: "Plex", url: fake.url, token: TOKEN }, { log: lines })
    ;(source as unknown as { ctx: { log: { warn(s: string): void } } }).ctx.log.warn(`token is ${TOKEN}`)
    expect(lines.length).toBe(1)
    expect(lines.join("\n")).not.toContain(TOKEN)
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Plex", aliases: [], cls: PlexSource, dir: import.meta.dir, readme }, text)).toBe(text)
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
