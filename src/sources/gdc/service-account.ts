/**
 * OAuth2 for a Google service account (RFC 7523 JWT bearer grant, as Google documents for
 * server-to-server apps): sign an RS256 JWT with the key file's private key, POST it to the
 * token endpoint, reuse the access token until shortly before it expires.
 */
import { importPKCS8, SignJWT, type CryptoKey } from "jose"

export interface ServiceAccountKey {
  client_email: string
  private_key: string
  private_key_id?: string
  token_uri?: string
}

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>

/** Validates a parsed key file; `where` names it in errors (never its content). */
export function parseServiceAccountKey(text: string, where: string): ServiceAccountKey {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new Error(`${where} is not JSON (expected a service-account key file)`)
  }
  // `null` is JSON too: it is no key either (it used to end in a TypeError).
  const key = (parsed ?? {}) as Partial<ServiceAccountKey> & { type?: string }
  if (key.type !== "service_account" || typeof key.client_email !== "string" || typeof key.private_key !== "string") {
    throw new Error(`${where} is not a service-account key (needs "type": "service_account", client_email and private_key)`)
  }
  return key as ServiceAccountKey
}

/** Renew this long before Google's expiry (a tenth of a short lifetime), so a token never dies mid-probe. */
const EXPIRY_MARGIN_MS = 60_000

export class ServiceAccountTokens {
  #key?: CryptoKey
  #token?: { value: string; renewAt: number }
  /** Access tokens obtained so far (for logs and tests; never the tokens themselves). */
  grants = 0

  constructor(
    private readonly account: ServiceAccountKey,
    private readonly scope: string,
    private readonly tokenUrl: string,
  ) {}

  /** Forgets the cached token (after the API said 401). */
  invalidate(): void {
    this.#token = undefined
  }

  async accessToken(fetchFn: FetchFn, nowMs = Date.now()): Promise<string> {
    if (this.#token && nowMs < this.#token.renewAt) return this.#token.value
    const assertion = await this.assertion(Math.floor(nowMs / 1000))
    const response = await fetchFn(this.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion }).toString(),
    })
    const text = await response.text()
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {}
    try {
      body = JSON.parse(text)
    } catch {
      // handled below
    }
    if (!response.ok) {
      const reason =
        typeof body.error === "string"
          ? `${body.error}${typeof body.error_description === "string" ? ": " + body.error_description : ""}`
          : `HTTP ${response.status}`
      throw new Error(`Google token endpoint rejected the service account ${this.account.client_email} (${reason})`)
    }
    if (typeof body.access_token !== "string" || typeof body.expires_in !== "number") {
      throw new Error(`Google token endpoint answered ${response.status} without an access_token (not an OAuth2 token response)`)
    }
    const lifetimeMs = body.expires_in * 1000
    this.#token = { value: body.access_token, renewAt: nowMs + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10) }
    this.grants++
    return body.access_token
  }

  async assertion(now: number): Promise<string> {
    if (!this.#key) {
      try {
        this.#key = await importPKCS8(this.account.private_key, "RS256")
      } catch {
        throw new Error(`the private_key of service account ${this.account.client_email} is not an RSA PKCS#8 PEM key`)
      }
    }
    const header: { alg: "RS256"; typ: "JWT"; kid?: string } = { alg: "RS256", typ: "JWT" }
    if (this.account.private_key_id) header.kid = this.account.private_key_id
    return new SignJWT({ scope: this.scope })
      .setProtectedHeader(header)
      .setIssuer(this.account.client_email)
      .setAudience(this.tokenUrl)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(this.#key)
  }
}
