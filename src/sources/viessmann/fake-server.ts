/**
 * A fake Viessmann cloud on loopback: the IAM (authorize with Basic auth + PKCE S256 → 302 to the
 * redirect URI with a one-time code; token endpoint for authorization_code and refresh_token
 * grants) and the IoT API v2 (installations, device features) behind Bearer tokens that expire.
 * Paths, parameters and bodies follow PyViCare's client and its recorded API answers.
 */
import { createHash, randomBytes } from "node:crypto"

export interface FakeViessmannOptions {
  user?: string
  password?: string
  clientId?: string
  /** Lifetime of issued access tokens, seconds. */
  expiresIn?: number
}

interface IssuedCode {
  clientId: string
  redirectUri: string
  challenge: string
}

const b64url = (bytes: Buffer) => bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })

export const INSTALLATION_ID = 2096888
export const GATEWAY_SERIAL = "7633107093013212"
export const DEVICE_ID = "0"

/** A heat pump's features in the API's format (values like a Vitocal 200 reports). */
export function heatPumpFeatures(overrides: Record<string, Record<string, unknown>> = {}): unknown {
  const prop = (type: string, value: unknown, unit?: string) => (unit === undefined ? { type, value } : { type, unit, value })
  const features: Record<string, Record<string, unknown>> = {
    "heating.sensors.temperature.return": { status: prop("string", "connected"), value: prop("number", 22.7, "celsius") },
    "heating.sensors.temperature.outside": { status: prop("string", "connected"), value: prop("number", -3.4, "celsius") },
    "heating.dhw.sensors.temperature.hotWaterStorage.top": { status: prop("string", "connected"), value: prop("number", 47.9, "celsius") },
    "heating.dhw.sensors.temperature.hotWaterStorage": { status: prop("string", "connected"), value: prop("number", 46.5, "celsius") },
    "heating.circuits.0.sensors.temperature.supply": { status: prop("string", "connected"), value: prop("number", 23.4, "celsius") },
    "heating.secondaryCircuit.sensors.temperature.supply": { status: prop("string", "connected"), value: prop("number", 22.1, "celsius") },
    "heating.compressors.0": { active: prop("boolean", true), phase: prop("string", "heating") },
    "heating.compressors.0.statistics": {
      hours: prop("number", 13651.9, "hour"),
      hoursLoadClassOne: prop("number", 366, "hour"),
      hoursLoadClassTwo: prop("number", 5579, "hour"),
      hoursLoadClassThree: prop("number", 6024, "hour"),
      hoursLoadClassFour: prop("number", 659, "hour"),
      hoursLoadClassFive: prop("number", 715, "hour"),
      starts: prop("number", 6973, ""),
    },
    "heating.dhw.charging": { active: prop("boolean", false) },
    "heating.circuits.0.circulation.pump": { status: prop("string", "on") },
    "heating.dhw.pumps.circulation": { status: prop("string", "off") },
    "heating.dhw.pumps.primary": { status: prop("string", "off") },
    "heating.dhw.temperature.main": { value: prop("number", 50, "celsius") },
    "heating.circuits.0.operating.programs.normal": {
      active: prop("boolean", true),
      demand: prop("string", "unknown"),
      temperature: prop("number", 22, "celsius"),
    },
    "device.messages.errors.raw": { entries: prop("array", []) },
    ...overrides,
  }
  return {
    data: Object.entries(features).map(([feature, properties]) => ({
      apiVersion: 1,
      commands: {},
      deviceId: DEVICE_ID,
      feature,
      gatewayId: GATEWAY_SERIAL,
      isEnabled: true,
      isReady: true,
      properties,
      timestamp: "2026-11-20T18:31:30.745Z",
      uri: `https://api.viessmann-climatesolutions.com/iot/v2/features/installations/${INSTALLATION_ID}/gateways/${GATEWAY_SERIAL}/devices/${DEVICE_ID}/features/${feature}`,
    })),
  }
}

export class FakeViessmann {
  user: string
  password: string
  readonly clientId: string
  expiresIn: number
  features: unknown = heatPumpFeatures()
  /** Refuse every refresh_token grant (as after a password change). */
  refuseRefresh = false
  failNext: { mode: "500" | "garbage"; count: number } | null = null
  readonly calls = { authorize: 0, codeGrants: 0, refreshGrants: 0, api: 0 }
  /** Every request's URL and Authorization header (to check nothing leaks). */
  readonly seen: string[] = []
  private readonly codes = new Map<string, IssuedCode>()
  private readonly accessTokens = new Map<string, number>()
  private readonly refreshTokens = new Set<string>()
  private server?: ReturnType<typeof Bun.serve>

  constructor(options: FakeViessmannOptions = {}) {
    this.user = options.user ?? "heat@example.com"
    this.password = options.password ?? "vi-Pass-0815"
    this.clientId = options.clientId ?? "client-4c6f"
    this.expiresIn = options.expiresIn ?? 3600
  }

  get url(): string {
    if (!this.server) throw new Error("fake Viessmann not started")
    return `http://127.0.0.1:${this.server.port}`
  }

  /** Options pointing a Viessmann source at this fake. */
  endpoints(): Record<string, string> {
    return { authUrl: `${this.url}/idp/v3/authorize`, tokenUrl: `${this.url}/idp/v3/token`, apiUrl: `${this.url}/iot/v2` }
  }

  start(): this {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.handle(req) })
    return this
  }

  stop(): void {
    this.server?.stop(true)
  }

  /** Makes every issued access token expire now (as if time passed). */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0)
  }

  private issue(): Record<string, unknown> {
    const access = "at." + b64url(randomBytes(24))
    const refresh = "rt." + b64url(randomBytes(24))
    this.accessTokens.set(access, Date.now() + this.expiresIn * 1000)
    this.refreshTokens.add(refresh)
    return { access_token: access, refresh_token: refresh, token_type: "Bearer", expires_in: this.expiresIn }
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    this.seen.push(`${req.method} ${url.pathname}${url.search} ${req.headers.get("authorization") ?? ""}`)
    if (url.pathname === "/idp/v3/authorize" && req.method === "POST") return this.authorize(req, url)
    if (url.pathname === "/idp/v3/token" && req.method === "POST") return this.token(req)
    if (url.pathname.startsWith("/iot/v2/") && req.method === "GET") return this.api(req, url)
    return json({ statusCode: 404, error: "Not Found" }, 404)
  }

  private authorize(req: Request, url: URL): Response {
    this.calls.authorize++
    const q = url.searchParams
    if (q.get("client_id") !== this.clientId) return json({ error: "invalid_client", error_description: "unknown client" }, 401)
    if (
      q.get("response_type") !== "code" ||
      q.get("code_challenge_method") !== "S256" ||
      !q.get("code_challenge") ||
      !q.get("redirect_uri")
    ) {
      return json({ error: "invalid_request" }, 400)
    }
    const basic = /^Basic (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1]
    const [user, ...rest] = basic ? Buffer.from(basic, "base64").toString("utf8").split(":") : []
    if (user !== this.user || rest.join(":") !== this.password) {
      // Wrong credentials: the IAM shows its login page instead of redirecting.
      return new Response("<html><body><form id='login'>Login</form></body></html>", {
        status: 200,
        headers: { "content-type": "text/html" },
      })
    }
    const code = b64url(randomBytes(18))
    this.codes.set(code, { clientId: this.clientId, redirectUri: q.get("redirect_uri")!, challenge: q.get("code_challenge")! })
    const location = new URL(q.get("redirect_uri")!)
    location.searchParams.set("code", code)
    if (q.get("state")) location.searchParams.set("state", q.get("state")!)
    return new Response(null, { status: 302, headers: { location: location.toString() } })
  }

  private async token(req: Request): Promise<Response> {
    if (!(req.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded"))
      return json({ error: "invalid_request" }, 400)
    const form = new URLSearchParams(await req.text())
    if (form.get("client_id") !== this.clientId) return json({ error: "invalid_client" }, 401)
    if (form.get("grant_type") === "authorization_code") {
      const issued = this.codes.get(form.get("code") ?? "")
      this.codes.delete(form.get("code") ?? "") // one use only
      const verifier = form.get("code_verifier") ?? ""
      const challenge = b64url(createHash("sha256").update(verifier).digest())
      if (!issued || issued.redirectUri !== form.get("redirect_uri") || issued.challenge !== challenge)
        return json({ error: "invalid_grant" }, 400)
      this.calls.codeGrants++
      return json(this.issue())
    }
    if (form.get("grant_type") === "refresh_token") {
      const refresh = form.get("refresh_token") ?? ""
      if (this.refuseRefresh || !this.refreshTokens.has(refresh))
        return json({ error: "invalid_grant", error_description: "refresh token expired or revoked" }, 400)
      this.calls.refreshGrants++
      const issued = this.issue()
      this.refreshTokens.delete(issued.refresh_token as string)
      return json({ ...issued, refresh_token: undefined }) // the refresh token stays the same
    }
    return json({ error: "unsupported_grant_type" }, 400)
  }

  private api(req: Request, url: URL): Response {
    this.calls.api++
    const bearer = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? ""
    const expiry = this.accessTokens.get(bearer)
    if (expiry === undefined) return json({ viErrorId: "req-1", statusCode: 401, errorType: "UNAUTHORIZED", message: "Invalid token" }, 401)
    if (expiry <= Date.now()) return json({ error: "EXPIRED TOKEN" }, 401)
    if (this.failNext && this.failNext.count > 0) {
      const mode = this.failNext.mode
      if (--this.failNext.count === 0) this.failNext = null
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
    if (path === "/equipment/installations" && url.searchParams.get("includeGateways") === "true") {
      return json({
        data: [
          {
            id: INSTALLATION_ID,
            description: "Home",
            aggregatedStatus: "WorksProperly",
            gateways: [
              {
                serial: GATEWAY_SERIAL,
                version: "1.4.0.0",
                aggregatedStatus: "WorksProperly",
                devices: [
                  { id: "gateway", deviceType: "vitoconnect", modelId: "Heatbox1" },
                  { id: DEVICE_ID, deviceType: "heating", modelId: "E3_Vitocal" },
                ],
              },
            ],
          },
        ],
        cursor: { next: "" },
      })
    }
    if (path === `/features/installations/${INSTALLATION_ID}/gateways/${GATEWAY_SERIAL}/devices/${DEVICE_ID}/features`)
      return json(this.features)
    return json({ viErrorId: "req-2", statusCode: 404, errorType: "NOT_FOUND", message: "Not found" }, 404)
  }
}
