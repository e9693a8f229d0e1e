/**
 * A fake of the myAudi backend on loopback, written after audiconnect/audi_connect_ha (the
 * public code that documents it): the CARIAD BFF's OpenID configuration, token endpoint and
 * selectivestatus API, and the VW Group identity server's sign-in pages (HTML forms with
 * _csrf/relayState/hmac hidden inputs, the password step's hmac in a script, a redirect chain
 * ending at myaudi:///?code=). It checks cookies, PKCE (S256), form fields, the password, the
 * optional X-QMAuth header and bearer tokens.
 */
import { createHash, createHmac, randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export interface AudiFakeOptions {
  user: string
  password: string
  clientId: string
  vin: string
  /**
   * When set, the token endpoint demands this X-QMAuth (as the real one does). The real secret
   * is the app's and is not shipped: tests make up their own pair.
   */
  qmauth?: { clientId: string; secretHex: string }
  /** The selectivestatus answer; default testdata/petrol/vehicle-status.json. */
  vehicleStatus?: unknown
}

export interface AudiFake extends FakeServer {
  readonly state: {
    accessTokens: Map<string, number>
    refreshTokens: Set<string>
    /** Lifetime of tokens issued from now on, seconds. */
    tokenLifetime: number
    logins: number
    refreshes: number
    statusRequests: number
    /** The next n status requests answer 500 / non-JSON. */
    failNext: number
    garbageNext: number
    lastJobs: string
    vehicleStatus: unknown
  }
  /** Every issued access token stops working (server-side expiry/revocation). */
  expireAccessTokens(): void
  revokeRefreshTokens(): void
}

/** A golden case's recorded selectivestatus answer. */
export function recordedStatus(dir: string): unknown {
  return JSON.parse(readFileSync(join(dir, "vehicle-status.json"), "utf8"))
}

interface Session {
  state: string
  challenge: string
  csrf: string
  relayState: string
  hmacEmail: string
  hmacPassword: string
  email?: string
}

const b64url = (b: Buffer) => b.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
const html = (body: string, headers: Record<string, string> = {}) =>
  new Response(`<!DOCTYPE html><html><body>${body}</body></html>`, { headers: { "content-type": "text/html;charset=UTF-8", ...headers } })
const redirect = (location: string, status = 302, headers: Record<string, string> = {}) =>
  new Response(null, { status, headers: { location, ...headers } })

/** A petrol car's status (testdata/petrol/vehicle-status.json). */
export const VEHICLE_STATUS = (): unknown => recordedStatus(join(import.meta.dir, "testdata", "petrol"))

export function startFakeAudi(opts: AudiFakeOptions): AudiFake {
  const sessions = new Map<string, Session>()
  const codes = new Map<string, { challenge: string }>()
  const state = {
    accessTokens: new Map<string, number>(),
    refreshTokens: new Set<string>(),
    tokenLifetime: 3600,
    logins: 0,
    refreshes: 0,
    statusRequests: 0,
    failNext: 0,
    garbageNext: 0,
    lastJobs: "" as string,
    vehicleStatus: opts.vehicleStatus ?? VEHICLE_STATUS(),
  }

  function issue(): Response {
    const access = "eyJfake." + randomUUID()
    const refresh = "refresh-" + randomUUID()
    state.accessTokens.set(access, Date.now() + state.tokenLifetime * 1000)
    state.refreshTokens.add(refresh)
    return Response.json({
      access_token: access,
      token_type: "bearer",
      expires_in: state.tokenLifetime,
      refresh_token: refresh,
      id_token: "eyJid." + randomUUID(),
    })
  }

  function qmauthOk(request: Request): boolean {
    if (!opts.qmauth) return true
    const window = Math.floor(Date.now() / 1000 / 100)
    const hmac = (w: number) =>
      `v1:${opts.qmauth!.clientId}:${createHmac("sha256", Buffer.from(opts.qmauth!.secretHex, "hex")).update(String(w)).digest("hex")}`
    const got = request.headers.get("x-qmauth")
    return got === hmac(window) || got === hmac(window - 1)
  }

  const sessionOf = (request: Request) => sessions.get(request.headers.get("cookie")?.match(/SESSION=([\w-]+)/)?.[1] ?? "")

  const server = serveFake((request, url, body) => {
    const base = server.url
    const path = url.pathname

    if (path === "/login/v1/idk/openid-configuration") {
      return Response.json({
        issuer: `${base}`,
        authorization_endpoint: `${base}/oidc/v1/authorize`,
        token_endpoint: `${base}/login/v1/idk/token`,
        revocation_endpoint: `${base}/login/v1/idk/revoke`,
      })
    }

    if (path === "/oidc/v1/authorize") {
      const q = url.searchParams
      if (
        q.get("client_id") !== opts.clientId ||
        q.get("redirect_uri") !== "myaudi:///" ||
        q.get("response_type") !== "code" ||
        q.get("code_challenge_method") !== "S256" ||
        !q.get("code_challenge") ||
        !q.get("state")
      ) {
        return redirect(`${base}/signin-service/v1/error?error=invalid_request`)
      }
      const id = randomUUID()
      sessions.set(id, {
        state: q.get("state")!,
        challenge: q.get("code_challenge")!,
        csrf: randomUUID(),
        relayState: randomUUID().replace(/-/g, ""),
        hmacEmail: randomUUID().replace(/-/g, ""),
        hmacPassword: createHash("sha256").update(id).digest("hex"),
      })
      // The real server redirects to the sign-in page; the session lives in a cookie.
      return redirect(`/signin-service/v1/signin/${opts.clientId}?relayState=x`, 302, { "set-cookie": `SESSION=${id}; Path=/; HttpOnly` })
    }

    if (path === `/signin-service/v1/signin/${opts.clientId}`) {
      const s = sessionOf(request)
      if (!s) return new Response("no session", { status: 400 })
      return html(`<form id="emailPasswordForm" name="emailPasswordForm" method="POST" action="/signin-service/v1/${opts.clientId}/login/identifier" novalidate>
<input type="hidden" id="csrf" name="_csrf" value="${s.csrf}"/>
<input type="hidden" id="input_relayState" name="relayState" value="${s.relayState}"/>
<input type="hidden" id="hmac" name="hmac" value="${s.hmacEmail}"/>
<input id="input_email" name="email" type="email" autocomplete="email" value=""/>
<button type="submit">Next</button></form>`)
    }

    if (path === `/signin-service/v1/${opts.clientId}/login/identifier` && request.method === "POST") {
      const s = sessionOf(request)
      const form = new URLSearchParams(body)
      if (!s || form.get("_csrf") !== s.csrf || form.get("relayState") !== s.relayState || form.get("hmac") !== s.hmacEmail)
        return new Response("Forbidden", { status: 403 })
      if (form.get("email") !== opts.user)
        return redirect(`/signin-service/v1/${opts.clientId}/login/identifier?error=account.not.found`, 303)
      s.email = form.get("email")!
      return html(`<div id="root"></div><script>
window._IDK = { templateModel: {"clientLegalEntityModel":{"clientId":"${opts.clientId}"},"emailPasswordForm":{"email":"${s.email}"},"hmac":"${s.hmacPassword}","relayState":"${s.relayState}","postAction":"login/authenticate"}, csrf_parameterName: "_csrf", csrf_token: "${s.csrf}" }
</script>`)
    }

    if (path === `/signin-service/v1/${opts.clientId}/login/authenticate` && request.method === "POST") {
      const s = sessionOf(request)
      const form = new URLSearchParams(body)
      if (
        !s ||
        form.get("_csrf") !== s.csrf ||
        form.get("relayState") !== s.relayState ||
        form.get("hmac") !== s.hmacPassword ||
        form.get("email") !== s.email
      )
        return new Response("Forbidden", { status: 403 })
      if (form.get("password") !== opts.password) {
        return redirect(
          `/signin-service/v1/${opts.clientId}/login/authenticate?relayState=${s.relayState}&email=${encodeURIComponent(s.email ?? "")}&error=login.errors.password_invalid`,
          303,
        )
      }
      return redirect(
        `${base}/oidc/v1/oauth/sso?clientId=${encodeURIComponent(opts.clientId)}&relayState=${s.relayState}&userId=u1&HMAC=${s.hmacPassword}`,
      )
    }

    if (path === "/oidc/v1/oauth/sso") {
      if (!sessionOf(request)) return new Response("no session", { status: 400 })
      return redirect(
        `/signin-service/v1/consent/users/u1/${encodeURIComponent(opts.clientId)}?relayState=${url.searchParams.get("relayState")}`,
      )
    }
    if (path.startsWith("/signin-service/v1/consent/users/")) {
      if (!sessionOf(request)) return new Response("no session", { status: 400 })
      return redirect(`${base}/oidc/v1/oauth/client/callback/success?relayState=${url.searchParams.get("relayState")}`)
    }
    if (path === "/oidc/v1/oauth/client/callback/success") {
      const s = sessionOf(request)
      if (!s?.email) return new Response("no session", { status: 400 })
      const code = randomUUID()
      codes.set(code, { challenge: s.challenge })
      return redirect(`myaudi:///?code=${code}&state=${s.state}&token_type=bearer`)
    }

    if (path === "/login/v1/idk/token" && request.method === "POST") {
      const form = new URLSearchParams(body)
      if (!qmauthOk(request))
        return Response.json({ error: "invalid_request", error_description: "x-qmauth missing or invalid" }, { status: 400 })
      if (form.get("client_id") !== opts.clientId) return Response.json({ error: "invalid_client" }, { status: 401 })
      if (form.get("grant_type") === "authorization_code") {
        const entry = codes.get(form.get("code") ?? "")
        codes.delete(form.get("code") ?? "")
        const verifier = form.get("code_verifier") ?? ""
        if (
          !entry ||
          form.get("redirect_uri") !== "myaudi:///" ||
          b64url(createHash("sha256").update(verifier).digest()) !== entry.challenge
        ) {
          return Response.json({ error: "invalid_grant" }, { status: 400 })
        }
        state.logins++
        return issue()
      }
      if (form.get("grant_type") === "refresh_token") {
        const token = form.get("refresh_token") ?? ""
        if (!state.refreshTokens.delete(token)) return Response.json({ error: "invalid_grant" }, { status: 400 })
        state.refreshes++
        return issue()
      }
      return Response.json({ error: "unsupported_grant_type" }, { status: 400 })
    }

    const status = path.match(/^\/vehicle\/v1\/vehicles\/([^/]+)\/selectivestatus$/)
    if (status) {
      state.statusRequests++
      const token = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "")
      const expires = state.accessTokens.get(token)
      if (expires === undefined || expires <= Date.now())
        return Response.json({ error: { message: "Unauthorized", errorCode: "401" } }, { status: 401 })
      if (decodeURIComponent(status[1]!) !== opts.vin)
        return Response.json({ error: { message: "Forbidden", errorCode: "4003", info: "vehicle not in user's garage" } }, { status: 403 })
      if (state.failNext > 0) {
        state.failNext--
        return Response.json({ error: { message: "Internal Server Error" } }, { status: 500 })
      }
      if (state.garbageNext > 0) {
        state.garbageNext--
        return new Response("<html>upstream timeout</html>", { headers: { "content-type": "text/html" } })
      }
      state.lastJobs = url.searchParams.get("jobs") ?? ""
      return Response.json(state.vehicleStatus)
    }
    return new Response("Not Found", { status: 404 })
  })

  return {
    ...server,
    state,
    expireAccessTokens: () => state.accessTokens.clear(),
    revokeRefreshTokens: () => state.refreshTokens.clear(),
  }
}
