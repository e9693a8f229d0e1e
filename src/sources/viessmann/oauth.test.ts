/**
 * ViessmannOAuth against a scripted IAM (a fetch function answering as the IAM does, or as it
 * misbehaves): the requests it makes, the token file, expiry, and every refusal's message.
 */
import { describe, expect, it } from "bun:test"
import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import {
  base64url,
  EXPIRY_MARGIN_SECONDS,
  parseTokenFile,
  tokenFromAnswer,
  ViessmannAuthError,
  ViessmannOAuth,
  type ViessmannOAuthOptions,
} from "./oauth.ts"

const AUTH_URL = "https://iam.test/idp/v3/authorize"
const TOKEN_URL = "https://iam.test/idp/v3/token"
const REDIRECT = "vicare://oauth-callback/everest"

interface Call {
  url: URL
  method: string
  headers: Headers
  form: URLSearchParams
}

type Route = (call: Call) => Response | undefined

/** The IAM's usual answers: a redirect with a code (and the state), a token for the code, a new access token for a refresh. */
const iam: Route = (call) => {
  if (call.url.href.startsWith(AUTH_URL)) {
    const location = new URL(REDIRECT)
    location.searchParams.set("code", "code-1")
    location.searchParams.set("state", call.url.searchParams.get("state") ?? "")
    return new Response(null, { status: 302, headers: { location: location.href } })
  }
  if (call.form.get("grant_type") === "authorization_code")
    return Response.json({ access_token: "at-login", refresh_token: "rt-login", expires_in: 3600 })
  if (call.form.get("grant_type") === "refresh_token") return Response.json({ access_token: "at-refreshed", expires_in: 3600 })
  return undefined
}

/** A ViessmannOAuth whose fetch goes to `route` (then to the usual IAM), with its calls, log, warnings and secrets. */
function scripted(route: Route = () => undefined, extra: Partial<ViessmannOAuthOptions> = {}) {
  const calls: Call[] = []
  const log: string[] = []
  const warnings: string[] = []
  const secrets: string[] = []
  const clock = { now: 1_000_000 }
  const tokenFile = join(tempDir("pollect-vi-oauth-"), "token.json")
  const oauth = new ViessmannOAuth({
    user: "heat@example.com",
    password: "pw-0815",
    clientId: "client-1",
    redirectUri: REDIRECT,
    scope: "IoT User offline_access",
    authUrl: AUTH_URL,
    tokenUrl: TOKEN_URL,
    tokenFile,
    fetch: async (input, init = {}) => {
      const url = new URL(String(input))
      const call = {
        url,
        method: init.method ?? "GET",
        headers: new Headers(init.headers),
        form: new URLSearchParams(String(init.body ?? "")),
      }
      calls.push(call)
      const answer = route(call) ?? iam(call)
      if (!answer) throw new Error(`nothing scripted for ${url.href}`)
      return answer
    },
    onSecret: (secret) => secrets.push(secret),
    log: (message) => log.push(message),
    warn: (message) => warnings.push(message),
    now: () => clock.now,
    ...extra,
  })
  return { oauth, calls, log, warnings, secrets, clock, tokenFile }
}

/** What a promise rejects with, as `name: message`. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => "no error",
    (e: Error) => `${e.name}: ${e.message}`,
  )

/** A login answered with this redirect Location. */
const redirectTo =
  (location: string | null): Route =>
  (call) =>
    call.url.href.startsWith(AUTH_URL) ? new Response(null, { status: 302, headers: location ? { location } : {} }) : undefined

describe("tokenFromAnswer", () => {
  it("needs a non-empty access_token string", () => {
    for (const answer of [null, {}, { access_token: 5 }, { access_token: "" }]) {
      expect(() => tokenFromAnswer(answer, 0)).toThrow(new ViessmannAuthError("token answer has no access_token"))
    }
    const error = (() => {
      try {
        tokenFromAnswer({}, 0)
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.name).toBe("ViessmannAuthError")
  })

  it("a refresh token that is missing, empty or not a string keeps the previous one", () => {
    expect(tokenFromAnswer({ access_token: "a", refresh_token: "r2" }, 0, "r1").refresh_token).toBe("r2")
    for (const refresh_token of [undefined, "", 5])
      expect(tokenFromAnswer({ access_token: "a", refresh_token }, 0, "r1").refresh_token).toBe("r1")
  })

  it("token_type: the answer's string, else Bearer", () => {
    expect(tokenFromAnswer({ access_token: "a", token_type: "MAC" }, 0).token_type).toBe("MAC")
    expect(tokenFromAnswer({ access_token: "a", token_type: 7 }, 0).token_type).toBe("Bearer")
    expect(tokenFromAnswer({ access_token: "a" }, 0).token_type).toBe("Bearer")
  })

  it("expires_at: now + a positive finite expires_in, else an hour", () => {
    expect(tokenFromAnswer({ access_token: "a", expires_in: 120 }, 1000).expires_at).toBe(1120)
    expect(tokenFromAnswer({ access_token: "a", expires_in: "90" }, 1000).expires_at).toBe(1090)
    for (const expires_in of [0, -5, "soon", Number.POSITIVE_INFINITY, undefined])
      expect([expires_in, tokenFromAnswer({ access_token: "a", expires_in }, 1000).expires_at]).toEqual([expires_in, 4600])
  })
})

describe("parseTokenFile", () => {
  it("needs a non-empty access_token string; other fields fall back", () => {
    for (const text of ["null", "5", '{"access_token":5}', '{"access_token":""}', "{"])
      expect([text, parseTokenFile(text)]).toEqual([text, undefined])
    expect(parseTokenFile('{"access_token":"a","refresh_token":"","token_type":7}')).toEqual({
      access_token: "a",
      refresh_token: undefined,
      token_type: "Bearer",
      expires_at: 0,
    })
    expect(parseTokenFile('{"access_token":"a","refresh_token":5,"token_type":"MAC","expires_at":"x"}')).toEqual({
      access_token: "a",
      refresh_token: undefined,
      token_type: "MAC",
      expires_at: 0,
    })
  })
})

describe("base64url", () => {
  it("drops every = of the padding", () => {
    expect(base64url(new Uint8Array([0]))).toBe("AA")
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8")
  })
})

describe("ViessmannOAuth against a scripted IAM", () => {
  it("logs in with Basic auth, PKCE, scope and state; caches the token (with a final newline) and registers it as a secret", async () => {
    const { oauth, calls, log, secrets, tokenFile } = scripted()
    expect(await oauth.accessToken()).toBe("at-login")
    const [authorize, token] = calls
    expect(authorize!.method).toBe("POST")
    expect(authorize!.headers.get("authorization")).toBe(`Basic ${btoa("heat@example.com:pw-0815")}`)
    expect(authorize!.headers.get("content-type")).toBe("application/x-www-form-urlencoded")
    const q = authorize!.url.searchParams
    expect([q.get("response_type"), q.get("client_id"), q.get("redirect_uri"), q.get("scope"), q.get("code_challenge_method")]).toEqual([
      "code",
      "client-1",
      REDIRECT,
      "IoT User offline_access",
      "S256",
    ])
    expect(q.get("state")).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(token!.url.href).toBe(TOKEN_URL)
    expect(token!.headers.get("accept")).toBe("application/json")
    expect(token!.headers.get("content-type")).toBe("application/x-www-form-urlencoded")
    expect(Object.fromEntries(token!.form)).toMatchObject({ grant_type: "authorization_code", client_id: "client-1", code: "code-1" })
    const file = readFileSync(tokenFile, "utf8")
    expect(file.endsWith("}\n")).toBe(true)
    expect(JSON.parse(file)).toEqual({ access_token: "at-login", refresh_token: "rt-login", token_type: "Bearer", expires_at: 1_003_600 })
    expect(secrets).toEqual(["at-login", "rt-login"])
    expect(log).toEqual([`logged in to Viessmann; token cached in ${tokenFile}`])
  })

  it("renews a token EXPIRY_MARGIN_SECONDS before its expiry, not earlier, with the refresh grant", async () => {
    const { oauth, calls, clock, log } = scripted()
    await oauth.accessToken()
    clock.now = 1_003_600 - EXPIRY_MARGIN_SECONDS - 1
    expect(await oauth.accessToken()).toBe("at-login")
    expect(calls).toHaveLength(2)
    clock.now = 1_003_600 - EXPIRY_MARGIN_SECONDS
    expect(await oauth.accessToken()).toBe("at-refreshed")
    expect(calls).toHaveLength(3)
    expect(calls[2]!.headers.get("accept")).toBe("application/json")
    expect(Object.fromEntries(calls[2]!.form)).toEqual({ grant_type: "refresh_token", client_id: "client-1", refresh_token: "rt-login" })
    expect(log.at(-1)).toBe("access token refreshed")
  })

  it("an expired cached token is refreshed before it is used", async () => {
    const { oauth, calls, tokenFile, secrets } = scripted()
    writeFileSync(
      tokenFile,
      JSON.stringify({ access_token: "at-old", refresh_token: "rt-old", token_type: "Bearer", expires_at: 1_000_010 }),
    )
    expect(await oauth.accessToken()).toBe("at-refreshed")
    expect(calls.map((c) => c.form.get("grant_type"))).toEqual(["refresh_token"])
    expect(secrets).toEqual(["at-old", "rt-old", "at-refreshed", "rt-old"])
  })

  it("a cached token without a refresh token logs in again when it expires, without a refresh call", async () => {
    const { oauth, calls, tokenFile, secrets } = scripted()
    writeFileSync(tokenFile, JSON.stringify({ access_token: "at-old", token_type: "Bearer", expires_at: 1 }))
    expect(await oauth.accessToken()).toBe("at-login")
    expect(calls.map((c) => c.form.get("grant_type") ?? "authorize")).toEqual(["authorize", "authorization_code"])
    expect(secrets).toEqual(["at-old", "at-login", "rt-login"])
  })

  it("an unreadable cache is logged and replaced by a login", async () => {
    const { oauth, log, tokenFile } = scripted()
    writeFileSync(tokenFile, "{garbage")
    expect(await oauth.accessToken()).toBe("at-login")
    expect(log[0]).toBe(`ignoring unreadable token cache ${tokenFile}; logging in`)
  })

  it("invalidate() before any token does nothing", async () => {
    const { oauth, calls } = scripted()
    await oauth.invalidate()
    expect(calls).toEqual([])
  })

  it("without log, warn or onSecret callbacks: the same logins and refreshes, silently", async () => {
    const routeRefuse: Route = (call) =>
      call.form.get("grant_type") === "refresh_token" ? Response.json({ error: "invalid_grant" }, { status: 400 }) : undefined
    const { oauth, tokenFile, clock } = scripted(routeRefuse, { log: undefined, warn: undefined, onSecret: undefined })
    writeFileSync(tokenFile, "{garbage")
    expect(await oauth.accessToken()).toBe("at-login")
    clock.now += 3600
    expect(await oauth.accessToken()).toBe("at-login")
    const quiet = scripted(undefined, { log: undefined, onSecret: undefined })
    await quiet.oauth.accessToken()
    quiet.clock.now += 3600
    expect(await quiet.oauth.accessToken()).toBe("at-refreshed")
  })

  it("an unwritable token file is a warning (to warn, not log) and the token stays in memory", async () => {
    const blocker = join(tempDir("pollect-vi-oauth-"), "file")
    writeFileSync(blocker, "")
    const { oauth, log, warnings } = scripted(undefined, { tokenFile: join(blocker, "sub", "token.json") })
    expect(await oauth.accessToken()).toBe("at-login")
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain("cannot write the state directory")
    expect(log.some((line) => line.includes("cannot write"))).toBe(false)
    expect(existsSync(join(blocker, "sub"))).toBe(false)
  })

  it("a refused refresh is logged with the IAM's words, or its status alone", async () => {
    const refuse =
      (response: () => Response): Route =>
      (call) =>
        call.form.get("grant_type") === "refresh_token" ? response() : undefined
    const words = scripted(refuse(() => Response.json({ error: "invalid_grant", error_description: "expired" }, { status: 400 })))
    await words.oauth.accessToken()
    words.clock.now += 3600
    await words.oauth.accessToken()
    expect(words.log).toContain("token refresh refused (HTTP 400: invalid_grant: expired); logging in again")
    const bare = scripted(refuse(() => new Response("<html>bad gateway</html>", { status: 502 })))
    await bare.oauth.accessToken()
    bare.clock.now += 3600
    await bare.oauth.accessToken()
    expect(bare.log).toContain("token refresh refused (HTTP 502); logging in again")
  })

  it("a token answer that is not JSON names the grant", async () => {
    const garbage =
      (grant: string): Route =>
      (call) =>
        call.form.get("grant_type") === grant ? new Response("<html>", { status: 200 }) : undefined
    expect(await failure(scripted(garbage("authorization_code")).oauth.accessToken())).toBe(
      "ViessmannAuthError: token request: the answer is not JSON (HTTP 200)",
    )
    const refresh = scripted(garbage("refresh_token"))
    await refresh.oauth.accessToken()
    refresh.clock.now += 3600
    expect(await failure(refresh.oauth.accessToken())).toBe("ViessmannAuthError: token refresh: the answer is not JSON (HTTP 200)")
  })

  it("a refused code grant names the IAM's error", async () => {
    const refuse: Route = (call) =>
      call.form.get("grant_type") === "authorization_code" ? Response.json({ error: "invalid_grant" }, { status: 400 }) : undefined
    expect(await failure(scripted(refuse).oauth.accessToken())).toBe(
      "ViessmannAuthError: Viessmann token request refused (HTTP 400: invalid_grant)",
    )
  })

  it("a 401 on login names the IAM's error, cut to 200 characters", async () => {
    const long = "d".repeat(300)
    const refuse: Route = (call) =>
      call.url.href.startsWith(AUTH_URL) ? Response.json({ error: "invalid_client", error_description: long }, { status: 401 }) : undefined
    const inner = `HTTP 401: invalid_client: ${long}`.slice(0, 200)
    expect(await failure(scripted(refuse).oauth.accessToken())).toBe(
      `ViessmannAuthError: Viessmann login refused (${inner}): check user, password and clientId`,
    )
  })

  it("what the redirect may say: not a URL, an error, no code, another state", async () => {
    const cases: [string | null, string][] = [
      [null, "Viessmann login failed (HTTP 302, no redirect): wrong user or password?"],
      ["not a url", "Viessmann login: the redirect is not a URL"],
      [`${REDIRECT}?error=access_denied`, "Viessmann login refused: access_denied"],
      [`${REDIRECT}?error=${"e".repeat(300)}`, `Viessmann login refused: ${"e".repeat(300)}`.slice(0, 200)],
      [`${REDIRECT}?state=x`, "Viessmann login: the redirect carries no authorization code"],
      [`${REDIRECT}?code=c&state=not-ours`, "Viessmann login: state mismatch in the redirect"],
    ]
    for (const [location, message] of cases)
      expect([location, await failure(scripted(redirectTo(location)).oauth.accessToken())]).toEqual([
        location,
        `ViessmannAuthError: ${message}`,
      ])
    // A redirect without a state is taken (the IAM need not echo it).
    expect(await scripted(redirectTo(`${REDIRECT}?code=c`)).oauth.accessToken()).toBe("at-login")
  })

  it("without a now() of its own it uses the clock, in seconds", async () => {
    const { oauth, tokenFile } = scripted(undefined, { now: undefined })
    const before = Date.now() / 1000
    await oauth.accessToken()
    const expiresAt = JSON.parse(readFileSync(tokenFile, "utf8")).expires_at as number
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3600 - 1)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + 3600 + 1)
  })
})
