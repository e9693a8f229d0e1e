/**
 * OAuth2 for the Viessmann IAM, the way PyViCare (and so the original pollect) logs in without a
 * browser: authorization code with PKCE (S256), where the authorize request itself carries the
 * account's user and password as HTTP Basic auth and the IAM answers with a redirect whose
 * Location holds the code. The token is cached in a JSON file (mode 0600, written atomically),
 * refreshed with the refresh_token grant when it expires, and a refused refresh logs in again.
 */
import { createHash, randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { saveState } from "../../lib/util/state-file.ts"
import { jsonErrorFields } from "../../lib/util/json-error-fields.ts"

export interface OAuthToken {
  access_token: string
  refresh_token?: string
  token_type: string
  /** Unix seconds when the access token expires. */
  expires_at: number
}

export interface ViessmannOAuthOptions {
  user: string
  password: string
  clientId: string
  redirectUri: string
  scope: string
  authUrl: string
  tokenUrl: string
  tokenFile: string
  fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>
  /** Called with every new access/refresh token, so the logger can mask it. */
  onSecret?: (secret: string) => void
  log?: (message: string) => void
  /** Problems worth a warning (an unwritable token cache). */
  warn?: (message: string) => void
  now?: () => number
}

/** Seconds before the stated expiry at which a token counts as expired (clock skew, slow probes). */
export const EXPIRY_MARGIN_SECONDS = 30

export class ViessmannAuthError extends Error {
  override name = "ViessmannAuthError"
}

export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
}

/** A PKCE pair (RFC 7636): a 43-character verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32))
  return { verifier, challenge: base64url(createHash("sha256").update(verifier).digest()) }
}

/** A token endpoint answer → OAuthToken; throws when a field is missing. */
export function tokenFromAnswer(answer: unknown, nowSeconds: number, previousRefresh?: string): OAuthToken {
  const a = answer as Record<string, unknown> | null
  if (!a || typeof a.access_token !== "string" || !a.access_token) throw new ViessmannAuthError("token answer has no access_token")
  const expiresIn = Number(a.expires_in)
  return {
    access_token: a.access_token,
    // A refresh answer may omit the refresh token: the old one stays valid then.
    refresh_token: typeof a.refresh_token === "string" && a.refresh_token ? a.refresh_token : previousRefresh,
    token_type: typeof a.token_type === "string" ? a.token_type : "Bearer",
    expires_at: nowSeconds + (Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600),
  }
}

/**
 * Reads a cached token. Also accepts the Python pollect's `viessmann_token.json`, whose
 * `expires_in` already holds the absolute expiry time. Undefined when missing or unreadable.
 */
export function parseTokenFile(text: string): OAuthToken | undefined {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!data || typeof data.access_token !== "string" || !data.access_token) return undefined
  const expiresAt = Number(data.expires_at ?? data.expires_in)
  return {
    access_token: data.access_token,
    refresh_token: typeof data.refresh_token === "string" && data.refresh_token ? data.refresh_token : undefined,
    token_type: typeof data.token_type === "string" ? data.token_type : "Bearer",
    expires_at: Number.isFinite(expiresAt) ? expiresAt : 0,
  }
}

/** The `error`/`error_description` of an OAuth error answer, for messages (never a secret). */
async function oauthError(response: Response): Promise<string> {
  const text = await response.text().catch(() => "")
  const parts = jsonErrorFields(text, (body) => [body.error, body.error_description ?? body.message])
  return parts.length ? `HTTP ${response.status}: ${parts.join(": ")}`.slice(0, 200) : `HTTP ${response.status}`
}

export class ViessmannOAuth {
  private token?: OAuthToken
  private readonly now: () => number

  constructor(private readonly options: ViessmannOAuthOptions) {
    this.now = options.now ?? (() => Date.now() / 1000)
  }

  /** A usable access token: cached, refreshed or from a new login. */
  async accessToken(): Promise<string> {
    if (!this.token) this.token = this.load()
    if (!this.token) this.token = await this.login()
    else if (this.expired(this.token)) this.token = await this.renew(this.token)
    return this.token.access_token
  }

  /** The API said the token is no good (401) although it had not expired: renew it now. */
  async invalidate(): Promise<void> {
    if (this.token) this.token = await this.renew(this.token)
  }

  private expired(token: OAuthToken): boolean {
    return this.now() >= token.expires_at - EXPIRY_MARGIN_SECONDS
  }

  private load(): OAuthToken | undefined {
    const { tokenFile } = this.options
    if (!existsSync(tokenFile)) return undefined
    const token = parseTokenFile(readFileSync(tokenFile, "utf8"))
    if (!token) this.options.log?.(`ignoring unreadable token cache ${tokenFile}; logging in`)
    else this.secret(token)
    return token
  }

  private save(token: OAuthToken): void {
    this.secret(token)
    saveState(this.options.tokenFile, JSON.stringify(token) + "\n", this.options.warn ?? this.options.log ?? (() => {}))
  }

  private secret(token: OAuthToken): void {
    this.options.onSecret?.(token.access_token)
    if (token.refresh_token) this.options.onSecret?.(token.refresh_token)
  }

  private async renew(token: OAuthToken): Promise<OAuthToken> {
    if (token.refresh_token) {
      const refreshed = await this.refresh(token.refresh_token)
      if (refreshed) return refreshed
    }
    return this.login()
  }

  /** The refresh_token grant; undefined when the IAM refuses it (then we log in again). */
  private async refresh(refreshToken: string): Promise<OAuthToken | undefined> {
    const { clientId, tokenUrl } = this.options
    const response = await this.options.fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken }).toString(),
    })
    if (!response.ok) {
      this.options.log?.(`token refresh refused (${await oauthError(response)}); logging in again`)
      return undefined
    }
    const token = tokenFromAnswer(await this.json(response, "token refresh"), this.now(), refreshToken)
    this.save(token)
    this.options.log?.("access token refreshed")
    return token
  }

  private async json(response: Response, what: string): Promise<unknown> {
    const text = await response.text()
    try {
      return JSON.parse(text)
    } catch {
      throw new ViessmannAuthError(`${what}: the answer is not JSON (HTTP ${response.status})`)
    }
  }

  /** Authorization code + PKCE, the authorize request answered with Basic auth (user, password). */
  private async login(): Promise<OAuthToken> {
    const { user, password, clientId, redirectUri, scope, authUrl, tokenUrl } = this.options
    const { verifier, challenge } = pkcePair()
    const state = base64url(randomBytes(16))
    const url = new URL(authUrl)
    url.searchParams.set("response_type", "code")
    url.searchParams.set("client_id", clientId)
    url.searchParams.set("redirect_uri", redirectUri)
    url.searchParams.set("scope", scope)
    url.searchParams.set("state", state)
    url.searchParams.set("code_challenge", challenge)
    url.searchParams.set("code_challenge_method", "S256")
    const response = await this.options.fetch(url, {
      method: "POST",
      headers: {
        authorization: "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64"),
        "content-type": "application/x-www-form-urlencoded",
      },
      redirect: "manual",
    })
    const location = response.headers.get("location")
    if (response.status === 401) {
      throw new ViessmannAuthError(`Viessmann login refused (${await oauthError(response)}): check user, password and clientId`)
    }
    await response.body?.cancel()
    if (!location) throw new ViessmannAuthError(`Viessmann login failed (HTTP ${response.status}, no redirect): wrong user or password?`)
    let redirect: URL
    try {
      redirect = new URL(location)
    } catch {
      throw new ViessmannAuthError("Viessmann login: the redirect is not a URL")
    }
    const error = redirect.searchParams.get("error")
    if (error) throw new ViessmannAuthError(`Viessmann login refused: ${error}`.slice(0, 200))
    const code = redirect.searchParams.get("code")
    if (!code) throw new ViessmannAuthError("Viessmann login: the redirect carries no authorization code")
    if (redirect.searchParams.has("state") && redirect.searchParams.get("state") !== state)
      throw new ViessmannAuthError("Viessmann login: state mismatch in the redirect")

    const tokenResponse = await this.options.fetch(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: clientId,
        redirect_uri: redirectUri,
        code,
        code_verifier: verifier,
      }).toString(),
    })
    if (!tokenResponse.ok) throw new ViessmannAuthError(`Viessmann token request refused (${await oauthError(tokenResponse)})`)
    const token = tokenFromAnswer(await this.json(tokenResponse, "token request"), this.now())
    this.save(token)
    this.options.log?.(`logged in to Viessmann; token cached in ${this.options.tokenFile}`)
    return token
  }
}
