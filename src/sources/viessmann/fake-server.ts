/**
 * A fake Viessmann cloud on loopback: the IAM (authorize with Basic auth + PKCE S256 → 302 to the
 * redirect URI with a one-time code; token endpoint for authorization_code and refresh_token
 * grants) and the IoT API v2 (installations, device features) behind Bearer tokens that expire.
 * Paths, parameters and bodies follow PyViCare's client and its recorded API answers; the
 * recorded answers it serves are a golden case's `installations.json` and `features.json`
 * (testdata/heat-pump/ by default).
 */
import { createHash, randomBytes } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export const INSTALLATION_ID = 2096888
export const GATEWAY_SERIAL = "7633107093013212"
export const DEVICE_ID = "0"

const HEAT_PUMP = join(import.meta.dir, "testdata", "heat-pump")

/** A recorded answer (JSON) of a golden case folder. */
export function recorded(dir: string, file: string): unknown {
  return JSON.parse(readFileSync(join(dir, file), "utf8"))
}

type Json = Record<string, unknown>

/**
 * The heat pump's recorded features (testdata/heat-pump/features.json, values like a Vitocal 200
 * reports), with some features' properties replaced (`{}` empties one) or added.
 */
export function heatPumpFeatures(overrides: Record<string, Record<string, unknown>> = {}): unknown {
  const answer = recorded(HEAT_PUMP, "features.json") as { data: Json[] }
  const rest = { ...overrides }
  const data = answer.data.map((item) => {
    const feature = item.feature as string
    if (!(feature in rest)) return item
    const properties = rest[feature]
    delete rest[feature]
    return { ...item, properties }
  })
  for (const [feature, properties] of Object.entries(rest)) data.push({ ...data[0], feature, properties })
  return { data }
}

export interface FakeViessmannOptions {
  user?: string
  password?: string
  clientId?: string
  /** Lifetime of issued access tokens, seconds. */
  expiresIn?: number
  /** The `/equipment/installations` answer; default testdata/heat-pump/installations.json. */
  installations?: unknown
  /** The `/features` answer of every device the installations list; default testdata/heat-pump/features.json. */
  features?: unknown
}

export interface FakeViessmann extends FakeServer {
  readonly user: string
  readonly password: string
  readonly clientId: string
  /** Lifetime of access tokens issued from now on, seconds. */
  expiresIn: number
  features: unknown
  /** Refuse every refresh_token grant (as after a password change). */
  refuseRefresh: boolean
  /** The next `count` API requests fail with a 500 or a non-JSON answer. */
  failNext: { mode: "500" | "garbage"; count: number } | null
  readonly calls: { authorize: number; codeGrants: number; refreshGrants: number; api: number }
  /** Options pointing a Viessmann source at this fake. */
  endpoints(): { authUrl: string; tokenUrl: string; apiUrl: string }
  /** Makes every issued access token expire now (as if time passed). */
  expireAccessTokens(): void
}

interface IssuedCode {
  clientId: string
  redirectUri: string
  challenge: string
}

const b64url = (bytes: Buffer) => bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

/** The features paths of every device the installations answer lists. */
function devicePaths(installations: unknown): Set<string> {
  const paths = new Set<string>()
  for (const installation of ((installations as Json)?.data as Json[] | undefined) ?? []) {
    for (const gateway of (installation.gateways as Json[] | undefined) ?? []) {
      const devices = (gateway.devices as Json[] | undefined) ?? []
      for (const id of [...devices.map((d) => d.id), "0"])
        paths.add(`/features/installations/${installation.id}/gateways/${gateway.serial}/devices/${id}/features`)
    }
  }
  return paths
}

export function startFakeViessmann(options: FakeViessmannOptions = {}): FakeViessmann {
  const installations = options.installations ?? recorded(HEAT_PUMP, "installations.json")
  const devices = devicePaths(installations)
  const codes = new Map<string, IssuedCode>()
  const accessTokens = new Map<string, number>()
  const refreshTokens = new Set<string>()

  const issue = (): Record<string, unknown> => {
    const access = "at." + b64url(randomBytes(24))
    const refresh = "rt." + b64url(randomBytes(24))
    accessTokens.set(access, Date.now() + fake.expiresIn * 1000)
    refreshTokens.add(refresh)
    return { access_token: access, refresh_token: refresh, token_type: "Bearer", expires_in: fake.expiresIn }
  }

  const authorize = (request: Request, url: URL): Response => {
    fake.calls.authorize++
    const q = url.searchParams
    if (q.get("client_id") !== fake.clientId) return json({ error: "invalid_client", error_description: "unknown client" }, 401)
    if (
      q.get("response_type") !== "code" ||
      q.get("code_challenge_method") !== "S256" ||
      !q.get("code_challenge") ||
      !q.get("redirect_uri")
    ) {
      return json({ error: "invalid_request" }, 400)
    }
    const basic = /^Basic (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1]
    const [user, ...rest] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : []
    if (user !== fake.user || rest.join(":") !== fake.password) {
      // Wrong credentials: the IAM shows its login page instead of redirecting.
      return new Response("<html><body><form id='login'>Login</form></body></html>", {
        status: 200,
        headers: { "content-type": "text/html" },
      })
    }
    const code = b64url(randomBytes(18))
    codes.set(code, { clientId: fake.clientId, redirectUri: q.get("redirect_uri")!, challenge: q.get("code_challenge")! })
    const location = new URL(q.get("redirect_uri")!)
    location.searchParams.set("code", code)
    if (q.get("state")) location.searchParams.set("state", q.get("state")!)
    return new Response(null, { status: 302, headers: { location: location.toString() } })
  }

  const token = (request: Request, body: string): Response => {
    if (!(request.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded"))
      return json({ error: "invalid_request" }, 400)
    const form = new URLSearchParams(body)
    if (form.get("client_id") !== fake.clientId) return json({ error: "invalid_client" }, 401)
    if (form.get("grant_type") === "authorization_code") {
      const issued = codes.get(form.get("code") ?? "")
      codes.delete(form.get("code") ?? "") // one use only
      const challenge = b64url(
        createHash("sha256")
          .update(form.get("code_verifier") ?? "")
          .digest(),
      )
      if (!issued || issued.redirectUri !== form.get("redirect_uri") || issued.challenge !== challenge)
        return json({ error: "invalid_grant" }, 400)
      fake.calls.codeGrants++
      return json(issue())
    }
    if (form.get("grant_type") === "refresh_token") {
      const refresh = form.get("refresh_token") ?? ""
      if (fake.refuseRefresh || !refreshTokens.has(refresh))
        return json({ error: "invalid_grant", error_description: "refresh token expired or revoked" }, 400)
      fake.calls.refreshGrants++
      const issued = issue()
      refreshTokens.delete(issued.refresh_token as string)
      return json({ ...issued, refresh_token: undefined }) // the refresh token stays the same
    }
    return json({ error: "unsupported_grant_type" }, 400)
  }

  const api = (request: Request, url: URL): Response => {
    fake.calls.api++
    const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1] ?? ""
    const expiry = accessTokens.get(bearer)
    if (expiry === undefined) return json({ viErrorId: "req-1", statusCode: 401, errorType: "UNAUTHORIZED", message: "Invalid token" }, 401)
    if (expiry <= Date.now()) return json({ error: "EXPIRED TOKEN" }, 401)
    if (fake.failNext && fake.failNext.count > 0) {
      const mode = fake.failNext.mode
      if (--fake.failNext.count === 0) fake.failNext = null
      if (mode === "500")
        return json(
          {
            viErrorId: "req-dd5644cdb8114bc6b023b5d021a212bc",
            statusCode: 500,
            errorType: "INTERNAL_ERROR",
            message: "Internal server error",
          },
          500,
        )
      return new Response("<html>upstream gateway timeout</html>", { status: 200, headers: { "content-type": "text/html" } })
    }
    const path = url.pathname.replace(/^\/iot\/v2/, "")
    if (path === "/equipment/installations" && url.searchParams.get("includeGateways") === "true") return json(installations)
    if (devices.has(path)) return json(fake.features)
    return json({ viErrorId: "req-2", statusCode: 404, errorType: "NOT_FOUND", message: "Not found" }, 404)
  }

  const server = serveFake((request, url, body) => {
    if (url.pathname === "/idp/v3/authorize" && request.method === "POST") return authorize(request, url)
    if (url.pathname === "/idp/v3/token" && request.method === "POST") return token(request, body)
    if (url.pathname.startsWith("/iot/v2/") && request.method === "GET") return api(request, url)
    return json({ statusCode: 404, error: "Not Found" }, 404)
  })
  const fake: FakeViessmann = {
    ...server,
    user: options.user ?? "heat@example.com",
    password: options.password ?? "vi-Pass-0815",
    clientId: options.clientId ?? "client-4c6f",
    expiresIn: options.expiresIn ?? 3600,
    features: options.features ?? recorded(HEAT_PUMP, "features.json"),
    refuseRefresh: false,
    failNext: null,
    calls: { authorize: 0, codeGrants: 0, refreshGrants: 0, api: 0 },
    endpoints: () => ({
      authUrl: `${server.url}/idp/v3/authorize`,
      tokenUrl: `${server.url}/idp/v3/token`,
      apiUrl: `${server.url}/iot/v2`,
    }),
    expireAccessTokens: () => {
      for (const key of accessTokens.keys()) accessTokens.set(key, 0)
    },
  }
  return fake
}
