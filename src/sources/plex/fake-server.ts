/**
 * A fake Plex Media Server on loopback replaying recorded-style XML answers from
 * testdata/ (after Plex's documented API format): /library/sections, zero-length pages
 * of /library/sections/<id>/all?type=N with totalSize, and /status/sessions. With `token` set,
 * every request needs the X-Plex-Token header, else 401 as Plex answers it. `old: true` acts as a
 * server without totalSize (one TV library, full listings only).
 */
import { join } from "node:path"

const FIXTURES = join(import.meta.dir, "testdata")

export interface FakePlexOptions {
  token?: string
  old?: boolean
  sessions?: "status-sessions.xml" | "status-sessions-idle.xml"
}

export interface SeenRequest {
  path: string
  search: string
  token: string | null
}

const UNAUTHORIZED = "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
const OLD_SECTIONS = `<?xml version="1.0" encoding="UTF-8"?>
<MediaContainer size="1" allowSync="0" title1="Plex Library">
<Directory allowSync="1" key="2" type="show" title="TV Shows" agent="com.plexapp.agents.thetvdb" scanner="Plex Series Scanner" language="en" />
</MediaContainer>
`

export function startFakePlex(options: FakePlexOptions = {}) {
  const seen: SeenRequest[] = []
  const xml = (body: string) => new Response(body, { headers: { "content-type": "text/xml;charset=utf-8" } })
  const file = async (name: string) => xml(await Bun.file(join(FIXTURES, name)).text())
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const token = request.headers.get("x-plex-token")
      seen.push({ path: url.pathname, search: url.search, token })
      if (options.token && token !== options.token)
        return new Response(UNAUTHORIZED, { status: 401, headers: { "content-type": "text/html" } })
      if (url.pathname === "/status/sessions") return file(options.sessions ?? "status-sessions.xml")
      if (url.pathname === "/library/sections") return options.old ? xml(OLD_SECTIONS) : file("library-sections.xml")
      const all = /^\/library\/sections\/(\d+)\/all$/.exec(url.pathname)
      if (all) {
        if (options.old) return file(`old-section-${all[1]}-all.xml`)
        const paged = url.searchParams.get("X-Plex-Container-Size") === "0"
        if (!paged) return new Response("only zero-length pages here", { status: 400 })
        const type = url.searchParams.get("type")
        const name = type ? `section-${all[1]}-all-type-${type}.xml` : `section-${all[1]}-all.xml`
        if (await Bun.file(join(FIXTURES, name)).exists()) return file(name)
      }
      return new Response("not found", { status: 404 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) }
}
