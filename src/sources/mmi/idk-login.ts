/**
 * The myAudi app's sign-in as public code documents it (audiconnect/audi_connect_ha, 2024+):
 * OpenID configuration from the CARIAD BFF → authorization-code request with PKCE (S256) at the
 * VW Group identity server → its HTML sign-in forms (e-mail, then password with the `hmac` the
 * page carries in a script) → redirects ending at `myaudi:///?code=` → token endpoint.
 * Pure HTML/cookie helpers are exported for tests; all I/O goes through `fetchFn`.
 */
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto"

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>

export interface IdkOptions {
  /** CARIAD backend-for-frontend, e.g. https://emea.bff.cariad.digital */
  bffUrl: string
  clientId: string
  /** Optional `X-QMAuth` pair some token endpoints demand (a secret from the app; never shipped). */
  qmauth?: { clientId: string; secretHex: string }
}

export interface IdkTokens {
  accessToken: string
  refreshToken?: string
  /** Unix ms. */
  expiresAt: number
}

export class AudiLoginError extends Error {}

const REDIRECT_URI = "myaudi:///"
const SCOPE =
  "address profile badge birthdate birthplace nationalIdentifier nationality profession email vin phone nickname name picture mbb gallery openid"

const b64url = (bytes: Buffer) => bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = b64url(randomBytes(32))
  return { verifier, challenge: b64url(createHash("sha256").update(verifier).digest()) }
}

/** `v1:<qmClientId>:<hex HMAC-SHA256(secret, floor(unix / 100))>`, the app's X-QMAuth header. */
export function qmauthHeader(qm: { clientId: string; secretHex: string }, nowMs = Date.now()): string {
  const window = Math.floor(nowMs / 1000 / 100)
  return `v1:${qm.clientId}:${createHmac("sha256", Buffer.from(qm.secretHex, "hex")).update(String(window)).digest("hex")}`
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", apos: "'" }
const unescapeHtml = (text: string) => text.replace(/&(amp|lt|gt|quot|#39|apos);/g, (_, e: string) => ENTITIES[e] ?? "")

function attributes(tag: string): Record<string, string> {
  const attrs: Record<string, string> = {}
  for (const m of tag.matchAll(/([a-zA-Z_:-][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g))
    attrs[m[1]!.toLowerCase()] = unescapeHtml(m[3] ?? m[4] ?? "")
  return attrs
}

/** The first form of a page: absolute action URL and its hidden inputs. */
export function parseLoginForm(html: string, pageUrl: string): { action: string; hidden: Record<string, string> } | null {
  const form = html.match(/<form\b[^>]*>/i)
  if (!form) return null
  const action = attributes(form[0]).action
  if (!action) return null
  const hidden: Record<string, string> = {}
  for (const input of html.matchAll(/<input\b[^>]*>/gi)) {
    const a = attributes(input[0])
    if (a.type?.toLowerCase() === "hidden" && a.name) hidden[a.name] = a.value ?? ""
  }
  return { action: new URL(action, pageUrl).toString(), hidden }
}

/** The password step's `hmac`, which the page keeps in a script (`"hmac":"<hex>"`). */
export function scriptHmac(html: string): string | null {
  return html.match(/"hmac"\s*:\s*"([0-9a-fA-F]+)"/)?.[1] ?? null
}

/** Cookies per host, just enough for one sign-in conversation. */
export class CookieJar {
  private readonly jar = new Map<string, Map<string, string>>()
  store(url: string, response: Response): void {
    const host = new URL(url).host
    const cookies = this.jar.get(host) ?? new Map<string, string>()
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";")
      const eq = pair?.indexOf("=") ?? -1
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
    }
    this.jar.set(host, cookies)
  }
  header(url: string): string {
    return [...(this.jar.get(new URL(url).host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join("; ")
  }
}

async function json(response: Response, what: string): Promise<Record<string, unknown>> {
  const text = await response.text()
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch {
    throw new AudiLoginError(`${what} answered ${response.status} with something that is not JSON`)
  }
}

export class IdkClient {
  constructor(
    private readonly opts: IdkOptions,
    private readonly fetchFn: FetchFn,
  ) {}

  private async endpoints(): Promise<{ authorization: string; token: string }> {
    const url = `${this.opts.bffUrl.replace(/\/$/, "")}/login/v1/idk/openid-configuration`
    const response = await this.fetchFn(url, { headers: { Accept: "application/json" } })
    if (!response.ok) throw new AudiLoginError(`Audi OpenID configuration answered ${response.status}`)
    const body = await json(response, "Audi OpenID configuration")
    if (typeof body.authorization_endpoint !== "string" || typeof body.token_endpoint !== "string") {
      throw new AudiLoginError("Audi OpenID configuration has no authorization_endpoint/token_endpoint")
    }
    return { authorization: body.authorization_endpoint, token: body.token_endpoint }
  }

  /** Full sign-in with e-mail and password. */
  async login(user: string, password: string): Promise<IdkTokens> {
    const { authorization, token } = await this.endpoints()
    const jar = new CookieJar()
    const { verifier, challenge } = pkcePair()
    const query = new URLSearchParams({
      response_type: "code",
      client_id: this.opts.clientId,
      redirect_uri: REDIRECT_URI,
      scope: SCOPE,
      state: randomUUID(),
      nonce: randomUUID(),
      prompt: "login",
      code_challenge: challenge,
      code_challenge_method: "S256",
    })
    // The authorize URL redirects to the sign-in page: follow it, keeping cookies.
    let page = await this.follow(`${authorization}?${query}`, jar, "GET")
    if (page.location) throw new AudiLoginError("the identity server did not show a sign-in page")
    const emailForm = parseLoginForm(page.body, page.url)
    if (!emailForm) throw new AudiLoginError("the identity server's sign-in page has no form (its layout changed?)")

    page = await this.follow(emailForm.action, jar, "POST", { ...emailForm.hidden, email: user })
    if (page.location)
      throw new AudiLoginError(`Audi login failed: ${loginError(page.location) ?? "the e-mail step did not show the password page"}`)
    const fields: Record<string, string> = { ...emailForm.hidden, email: user }
    let passwordAction: string
    const hmac = scriptHmac(page.body)
    if (hmac) {
      fields.hmac = hmac
      passwordAction = emailForm.action.replace("identifier", "authenticate")
    } else {
      const form = parseLoginForm(page.body, page.url)
      if (!form) throw new AudiLoginError("the identity server's password page has neither a form nor an hmac (its layout changed?)")
      Object.assign(fields, form.hidden)
      passwordAction = form.action
    }
    page = await this.follow(passwordAction, jar, "POST", { ...fields, password })
    const code = page.location?.startsWith("myaudi:") ? new URLSearchParams(page.location.replace(/^myaudi:\/*\??/, "")).get("code") : null
    if (!code) {
      const reason = page.location ? loginError(page.location) : loginError(page.url)
      throw new AudiLoginError(`Audi login failed: ${reason ?? "no authorization code came back"}`)
    }
    return this.tokenRequest(token, {
      client_id: this.opts.clientId,
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      response_type: "token id_token",
      code_verifier: verifier,
    })
  }

  async refresh(refreshToken: string): Promise<IdkTokens> {
    const { token } = await this.endpoints()
    return this.tokenRequest(token, {
      client_id: this.opts.clientId,
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      response_type: "token id_token",
    })
  }

  private async tokenRequest(url: string, form: Record<string, string>): Promise<IdkTokens> {
    const headers: Record<string, string> = { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" }
    if (this.opts.qmauth) headers["X-QMAuth"] = qmauthHeader(this.opts.qmauth)
    const response = await this.fetchFn(url, { method: "POST", headers, body: new URLSearchParams(form).toString() })
    const body = await json(response, "Audi token endpoint")
    if (!response.ok || typeof body.access_token !== "string") {
      const reason = typeof body.error === "string" ? body.error : `HTTP ${response.status}`
      throw new AudiLoginError(`Audi token endpoint refused the ${form.grant_type} grant (${reason})`)
    }
    const expiresIn = typeof body.expires_in === "number" ? body.expires_in : 3600
    return {
      accessToken: body.access_token,
      refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : undefined,
      expiresAt: Date.now() + expiresIn * 1000,
    }
  }

  /**
   * One request, then its redirects, until a page (body) or an app redirect (`myaudi:`) or an
   * error redirect. Cookies are kept in `jar` for the identity host.
   */
  private async follow(
    url: string,
    jar: CookieJar,
    method: "GET" | "POST",
    form?: Record<string, string>,
  ): Promise<{ url: string; body: string; location?: string }> {
    let current = url
    let init: RequestInit =
      method === "POST"
        ? { method, body: new URLSearchParams(form).toString(), headers: { "Content-Type": "application/x-www-form-urlencoded" } }
        : { method }
    for (let hop = 0; hop < 10; hop++) {
      const headers = new Headers(init.headers)
      const cookie = jar.header(current)
      if (cookie) headers.set("Cookie", cookie)
      headers.set("Accept", "text/html,application/json")
      const response = await this.fetchFn(current, { ...init, headers, redirect: "manual" })
      jar.store(current, response)
      const location = response.headers.get("location")
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer()
        if (location.startsWith("myaudi:") || loginError(location)) return { url: current, body: "", location }
        current = new URL(location, current).toString()
        init = { method: "GET" }
        continue
      }
      if (!response.ok) throw new AudiLoginError(`the identity server answered ${response.status} during sign-in`)
      return { url: current, body: await response.text() }
    }
    throw new AudiLoginError("the identity server redirected more than 10 times")
  }
}

/** `...?error=login.errors.password_invalid` → a sentence (no user data). */
function loginError(location: string): string | null {
  const match = location.match(/[?&]error=([^&]+)/)
  if (!match) return null
  const code = decodeURIComponent(match[1]!)
  if (/password_invalid|credentials/i.test(code)) return `wrong e-mail or password (${code})`
  if (/throttled|locked/i.test(code)) return `too many failed sign-ins, the account is locked for a while (${code})`
  if (/account.*not|user.*not/i.test(code)) return `account problem (${code})`
  return code
}
