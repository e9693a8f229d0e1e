/**
 * One web session with a TP-Link EAP. The device keeps one admin session at a time, so the
 * session cookie is kept (in memory and in the state directory) and reused until the device
 * answers `"timeout": true`; then it logs in once and asks again. A login the device does not
 * accept (wrong password) is not tried again for `refusedHoldOffMs`: the probe fails with the
 * same message meanwhile, so the device's log is not flooded and pollect logs it once.
 */
import { createHash } from "node:crypto"
import { TpLinkEapError, sessionExpired } from "./answers.ts"
import { readBoundedText } from "../../lib/util/bounded-body.ts"

/** MD5 of the password, upper-case hex: what the EAP's login form posts (and 1.2 sends). */
export function passwordHash(password: string): string {
  return createHash("md5").update(password, "utf8").digest("hex").toUpperCase()
}

/** The value of the `COOKIE` cookie among Set-Cookie headers, if one is set. */
export function sessionCookie(setCookies: readonly string[]): string | undefined {
  for (const header of setCookies) {
    const match = /^\s*COOKIE=([^;]*)/.exec(header)
    if (match?.[1]) return match[1]
  }
  return undefined
}

/** Largest answer read from the device; its JSON answers are a few kB. */
export const MAX_ANSWER_BYTES = 1 << 20

export interface EapSessionOptions {
  /** The admin UI's URL, without a trailing slash. */
  url: string
  user: string
  password: string
  /** fetch bound to the probe's deadline. */
  fetch: (input: string, init?: RequestInit) => Promise<Response>
  /** The session cookie a previous run kept, if any. */
  savedSid?: string
  /** Called with a new session cookie after a login (to keep it across restarts). */
  saveSid?: (sid: string) => void
  now?: () => number
  refusedHoldOffMs?: number
}

export class EapSession {
  private sid: string | undefined
  private refusedUntil = 0
  private refusedMessage = ""
  private loginsThisProbe = 0
  /** Logins done so far (tests and the debug log read it). */
  logins = 0
  private readonly now: () => number
  private readonly holdOffMs: number

  constructor(private readonly options: EapSessionOptions) {
    this.sid = options.savedSid
    this.now = options.now ?? Date.now
    this.holdOffMs = options.refusedHoldOffMs ?? 5 * 60_000
  }

  /** Starts a probe: at most one login per probe. */
  beginProbe(): void {
    this.loginsThisProbe = 0
  }

  /** GETs `path` (`/data/...json?...`) as JSON, logging in first or once again when the session is gone. */
  async getJson(path: string, what: string): Promise<unknown> {
    if (this.sid === undefined) await this.login()
    else {
      const body = await this.get(path, what)
      if (!sessionExpired(body)) return body
      if (this.loginsThisProbe > 0) throw new TpLinkEapError(`${this.options.url}: the session ended again right after a login`)
      await this.login()
    }
    // Just logged in: a session that is still not valid means the login was not accepted.
    const body = await this.get(path, what)
    if (!sessionExpired(body)) return body
    this.sid = undefined
    this.refuse(
      `${this.options.url}: the device did not accept the login of user "${this.options.user}" (it still answers "timeout"): check user and password`,
    )
  }

  /** Fails with `message` now and, without asking the device, on every probe of the hold-off. */
  private refuse(message: string): never {
    this.refusedUntil = this.now() + this.holdOffMs
    this.refusedMessage = `${message} (no new login for ${Math.ceil(this.holdOffMs / 60_000)} min)`
    throw new TpLinkEapError(this.refusedMessage)
  }

  private async login(): Promise<void> {
    if (this.now() < this.refusedUntil) throw new TpLinkEapError(this.refusedMessage)
    this.loginsThisProbe++
    this.logins++
    const page = this.options.url.includes("/", this.options.url.indexOf("//") + 2) ? this.options.url : `${this.options.url}/`
    // The index page hands out the session cookie the login then authenticates.
    const index = await this.send(page, { method: "GET" }, "index page")
    await index.body?.cancel()
    if (index.status !== 200) {
      throw new TpLinkEapError(`${page}: the index page answered HTTP ${index.status}: is url the access point's admin UI?`)
    }
    let sid = sessionCookie(index.headers.getSetCookie())
    if (sid === undefined) throw new TpLinkEapError(`${page}: no session cookie (COOKIE) from the index page: is it a TP-Link EAP?`)
    const form = new URLSearchParams({ username: this.options.user, password: passwordHash(this.options.password) })
    const answer = await this.send(
      page,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: `COOKIE=${sid}`, referer: this.options.url },
        body: form.toString(),
      },
      "login",
    )
    await answer.body?.cancel()
    if (answer.status === 401 || answer.status === 403) {
      this.refuse(`${page}: the device refused the login of user "${this.options.user}" (HTTP ${answer.status}): check user and password`)
    }
    if (answer.status !== 200 && !(answer.status >= 300 && answer.status < 400)) {
      throw new TpLinkEapError(`${page}: the login answered HTTP ${answer.status}`)
    }
    sid = sessionCookie(answer.headers.getSetCookie()) ?? sid
    this.sid = sid
    this.options.saveSid?.(sid)
  }

  private async get(path: string, what: string): Promise<unknown> {
    const response = await this.send(
      this.options.url + path,
      // The device answers the data calls only with a Referer of its own UI (as 1.2 notes).
      { method: "GET", headers: { referer: this.options.url, cookie: `COOKIE=${this.sid}`, accept: "application/json" } },
      what,
    )
    const text = await readBoundedText(
      response,
      MAX_ANSWER_BYTES,
      () => new TpLinkEapError(`${what}: the answer is larger than ${MAX_ANSWER_BYTES} bytes`),
    )
    if (response.status !== 200) throw new TpLinkEapError(`${what}: HTTP ${response.status}`)
    try {
      return JSON.parse(text)
    } catch {
      throw new TpLinkEapError(`${what}: the answer is not JSON (${text.length} bytes)`)
    }
  }

  private async send(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await this.options.fetch(url, { ...init, redirect: "manual" })
    } catch (error) {
      const name = (error as Error).name
      if (name === "AbortError" || name === "TimeoutError") throw error
      const code = (error as { code?: string }).code
      throw new TpLinkEapError(`${this.options.url}: cannot reach the device (${what}): ${code ?? (error as Error).message}`)
    }
  }
}
