/**
 * A fake Plex Media Server on loopback (test/helpers/fake-server.ts) replaying the XML answers of
 * one folder of testdata/ (written after Plex's documented API format): `library-sections.xml`
 * for /library/sections, `section-<id>-all-type-<N>.xml` for /library/sections/<id>/all?type=N,
 * `section-<id>-all.xml` without a type (or, when it has no totalSize, the full listing an old
 * server sends for any query), `section-<id>-albums.xml` for /library/sections/<id>/albums (a
 * music library's albums, as an old server lists them), `status-sessions.xml` for
 * /status/sessions. A recorded zero-length page (with totalSize) answers only zero-length page
 * requests (400 otherwise).
 * With `token` set, every request needs the X-Plex-Token header, else 401 as Plex answers it.
 */
import { join } from "node:path"
import { serveFake, type FakeServer } from "../../../test/helpers/fake-server.ts"

const TESTDATA = join(import.meta.dir, "testdata")

export interface FakePlexOptions {
  /** The folder of recorded answers (a golden case's); default testdata/current. */
  dir?: string
  /** A server without totalSize: testdata/old-server (one TV library, full listings only, idle). */
  old?: boolean
  /** The X-Plex-Token every request must carry. */
  token?: string
}

const UNAUTHORIZED = "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"

export function startFakePlex(options: FakePlexOptions = {}): FakeServer {
  const dir = options.dir ?? join(TESTDATA, options.old ? "old-server" : "current")
  const xml = (body: string) => new Response(body, { headers: { "content-type": "text/xml;charset=utf-8" } })
  const recorded = async (name: string) => {
    const file = Bun.file(join(dir, name))
    return (await file.exists()) ? file.text() : undefined
  }
  const notFound = () => new Response("not found", { status: 404 })
  return serveFake(async (request, url) => {
    if (options.token && request.headers.get("x-plex-token") !== options.token)
      return new Response(UNAUTHORIZED, { status: 401, headers: { "content-type": "text/html" } })
    if (url.pathname === "/status/sessions") {
      const body = await recorded("status-sessions.xml")
      return body === undefined ? notFound() : xml(body)
    }
    if (url.pathname === "/library/sections") {
      const body = await recorded("library-sections.xml")
      return body === undefined ? notFound() : xml(body)
    }
    const albums = /^\/library\/sections\/(\d+)\/albums$/.exec(url.pathname)
    if (albums) {
      const body = await recorded(`section-${albums[1]}-albums.xml`)
      return body === undefined ? notFound() : xml(body)
    }
    const all = /^\/library\/sections\/(\d+)\/all$/.exec(url.pathname)
    if (all) {
      const type = url.searchParams.get("type")
      const listing = await recorded(`section-${all[1]}-all.xml`)
      const body = type
        ? ((await recorded(`section-${all[1]}-all-type-${type}.xml`)) ?? (listing?.includes("totalSize=") ? undefined : listing))
        : listing
      if (body === undefined) return notFound()
      const paged = url.searchParams.get("X-Plex-Container-Size") === "0"
      if (!paged && body.includes("totalSize=")) return new Response("only zero-length pages here", { status: 400 })
      return xml(body)
    }
    return notFound()
  })
}
