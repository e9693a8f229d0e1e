/**
 * A fake TP-Link EAP admin UI on loopback, speaking what pollect 1.2's TpLinkEapSource expects:
 * `GET /` hands out a `COOKIE` session cookie; `POST /` with `username` and the MD5 upper-case
 * hex `password` authenticates that cookie (a wrong one leaves it unauthenticated, as the login
 * page just shows again); the `/data/*.json` calls answer `{"timeout": "true"}` (1.2 reads anything but an absent timeout or the string "false" as expired) for a cookie that is
 * not (or no longer) logged in, and need the UI's Referer. One session at a time: a new login
 * ends the previous one.
 */
import { createHash } from "node:crypto"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export interface FakeEapState {
  aps: { MAC: string; StaNum: number | string }[]
  interfaces: Record<string, Record<string, number | string>>
}

export interface FakeEap extends FakeServer {
  /** Successful logins so far. */
  logins(): number
  /** Login attempts (right or wrong password). */
  attempts(): number
  /** Ends the current session, as the device's idle timeout or an admin UI login elsewhere would. */
  expire(): void
  /** From now on the data calls answer `body` (garbage tests), or the recorded state again with undefined. */
  answerWith(body: string | undefined): void
}

export function startFakeEap(options: { user: string; password: string; state: FakeEapState }): FakeEap {
  const hash = createHash("md5").update(options.password).digest("hex").toUpperCase()
  let nextSid = 1
  let authenticated: string | undefined
  let logins = 0
  let attempts = 0
  let override: string | undefined
  const cookieOf = (request: Request) => /(?:^|;\s*)COOKIE=([^;]*)/.exec(request.headers.get("cookie") ?? "")?.[1]
  const server = serveFake((request, url, body) => {
    if (url.pathname === "/" && request.method === "GET") {
      const sid = `sid${nextSid++}${"0".repeat(8)}`
      return new Response("<html><title>TP-LINK</title></html>", {
        headers: { "content-type": "text/html", "set-cookie": `COOKIE=${sid}; path=/` },
      })
    }
    if (url.pathname === "/" && request.method === "POST") {
      attempts++
      const form = new URLSearchParams(body)
      const sid = cookieOf(request)
      if (sid && form.get("username") === options.user && form.get("password") === hash) {
        authenticated = sid
        logins++
      }
      return new Response("<html><title>TP-LINK</title></html>", { headers: { "content-type": "text/html" } })
    }
    if (url.pathname.startsWith("/data/")) {
      if (request.headers.get("referer") === null) return new Response("forbidden", { status: 403 })
      if (authenticated === undefined || cookieOf(request) !== authenticated) return Response.json({ success: false, timeout: "true" })
      if (override !== undefined) return new Response(override, { headers: { "content-type": "application/json" } })
      if (url.pathname === "/data/monitor.ap.aplist.json" && url.searchParams.get("operation") === "load") {
        return Response.json({ success: true, timeout: "false", data: options.state.aps })
      }
      if (url.pathname === "/data/monitor.ap.interface.json" && url.searchParams.get("operation") === "read") {
        const mac = url.searchParams.get("apMac")
        const data = options.state.interfaces[url.searchParams.get("interface") ?? ""]
        if (!data || !options.state.aps.some((ap) => ap.MAC === mac)) return Response.json({ success: false, timeout: "false", data: null })
        return Response.json({ success: true, timeout: "false", data })
      }
    }
    return new Response("not found", { status: 404 })
  })
  return Object.assign(server, {
    logins: () => logins,
    attempts: () => attempts,
    expire: () => {
      authenticated = undefined
    },
    answerWith: (text: string | undefined) => {
      override = text
    },
  })
}
