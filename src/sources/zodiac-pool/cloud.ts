/**
 * The Zodiac / iAquaLink cloud calls pollect 1.2 makes: login and token refresh at the shadow
 * host (prod.zodiac-io.com), the device list at prm.iaqualink.net (`api_key` header, HMAC-SHA1
 * signature of `user_id,timestamp`), each device's shadow (signature of `SERIAL,user_id`). The
 * api key and signing secret are the iAquaLink app's, as 1.2 has them. `baseUrl` replaces the
 * origin of every host (tests, proxies).
 */
import { createHmac } from "node:crypto"
import { jsonErrorFields } from "../../lib/util/json-error-fields.ts"
import { readBoundedText } from "../../lib/util/bounded-body.ts"

export const API_KEY = "EOOEMOW4YR6QNB07"
const SIGNING_SECRET = "cj7iYKjiKxOqiLcN65PffA"
export const SHADOW_URL = "https://prod.zodiac-io.com"
export const PRM_URL = "https://prm.iaqualink.net"
/** The third host 1.2 names (commands); no probe calls it. */
export const API_URL = "https://r-api.iaqualink.net"

/** A failure of the cloud or its answers; the message is stable, so it is logged once. */
export class ZodiacError extends Error {
  override readonly name = "ZodiacError"
  constructor(
    message: string,
    /** The HTTP status, when the cloud answered. */
    readonly status?: number,
  ) {
    super(message)
  }
}

/** HMAC-SHA1 of `content` with the app's secret, lower-case hex: the `signature` parameter. */
export function sign(content: string): string {
  return createHmac("sha1", SIGNING_SECRET).update(content, "utf8").digest("hex")
}

/** What a login or refresh gives: the fields the calls need. */
export interface LoginAnswer {
  id: number | string
  email: string
  idToken: string
  refreshToken: string
}

/** Largest answer read; the cloud's JSON answers are a few kB. */
const MAX_ANSWER_BYTES = 1 << 20

export interface CloudOptions {
  baseUrl?: string
  fetch: (input: string, init?: RequestInit) => Promise<Response>
}

export class ZodiacCloud {
  private readonly shadow: string
  private readonly prm: string

  constructor(private readonly options: CloudOptions) {
    const base = options.baseUrl?.replace(/\/+$/, "")
    this.shadow = base ?? SHADOW_URL
    this.prm = base ?? PRM_URL
  }

  /** `POST /users/v1/login` with the api key, email and password. */
  async login(email: string, password: string): Promise<LoginAnswer> {
    const body = await this.call("login", `${this.shadow}/users/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiKey: API_KEY, email, password }),
    })
    return loginAnswer(body, "login")
  }

  /** `POST /users/v1/refresh`; an answer without a refresh token keeps the current one (as 1.2). */
  async refresh(email: string, refreshToken: string): Promise<LoginAnswer> {
    const body = await this.call("token refresh", `${this.shadow}/users/v1/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, refresh_token: refreshToken }),
    })
    const answer = loginAnswer(body, "token refresh", refreshToken)
    return answer
  }

  /** `GET /v2/devices.json`: the account's devices. */
  async devices(userId: number | string, idToken: string, nowSeconds: number): Promise<unknown> {
    const timestamp = Math.round(nowSeconds)
    const query = new URLSearchParams({ user_id: String(userId), signature: sign(`${userId},${timestamp}`), timestamp: String(timestamp) })
    return this.call("device list", `${this.prm}/v2/devices.json?${query}`, {
      headers: { api_key: API_KEY, Authorization: idToken },
    })
  }

  /** `GET /devices/v2/<serial>/shadow`: the device's reported state. */
  async shadowOf(serial: string, userId: number | string, idToken: string): Promise<unknown> {
    const query = new URLSearchParams({ signature: sign(`${serial.toUpperCase()},${userId}`) })
    return this.call(`device ${serial}`, `${this.shadow}/devices/v2/${encodeURIComponent(serial)}/shadow?${query}`, {
      headers: { Authorization: idToken },
    })
  }

  private async call(what: string, url: string, init: RequestInit): Promise<unknown> {
    let response: Response
    try {
      response = await this.options.fetch(url, init)
    } catch (error) {
      const name = (error as Error).name
      if (name === "AbortError" || name === "TimeoutError") throw error
      const code = (error as { code?: string }).code
      throw new ZodiacError(`${what}: cannot reach ${new URL(url).origin} (${code ?? (error as Error).message})`)
    }
    const text = await readBoundedText(
      response,
      MAX_ANSWER_BYTES,
      () => new ZodiacError(`${what}: the answer is larger than ${MAX_ANSWER_BYTES} bytes`),
    )
    if (response.status !== 200) {
      const [message] = jsonErrorFields(text, (body) => [body.message, body.error])
      throw new ZodiacError(`${what}: HTTP ${response.status}${message ? ` (${message.slice(0, 100)})` : ""}`, response.status)
    }
    try {
      return JSON.parse(text)
    } catch {
      throw new ZodiacError(`${what}: the answer is not JSON (${text.length} bytes)`)
    }
  }
}

function loginAnswer(body: unknown, what: string, keepRefreshToken?: string): LoginAnswer {
  const o = isObject(body) ? body : {}
  const oauth = isObject(o.userPoolOAuth) ? o.userPoolOAuth : {}
  const id = o.id
  const idToken = oauth.IdToken
  const refreshToken = typeof oauth.RefreshToken === "string" && oauth.RefreshToken !== "" ? oauth.RefreshToken : keepRefreshToken
  if ((typeof id !== "number" && typeof id !== "string") || id === "") throw new ZodiacError(`${what}: the answer has no user id`)
  if (typeof idToken !== "string" || idToken === "") throw new ZodiacError(`${what}: the answer has no userPoolOAuth.IdToken`)
  if (!refreshToken) throw new ZodiacError(`${what}: the answer has no userPoolOAuth.RefreshToken`)
  return { id, email: typeof o.email === "string" ? o.email : "", idToken, refreshToken }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}
