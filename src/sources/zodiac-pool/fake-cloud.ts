/**
 * A fake of the Zodiac / iAquaLink cloud endpoints pollect 1.2 calls, on one loopback origin
 * (what `baseUrl` points at), checking what the real cloud checks as far as 1.2's code shows it:
 * - `POST /users/v1/login` {apiKey, email, password}: the app's api key, the account's password;
 * - `POST /users/v1/refresh` {email, refresh_token}: a new IdToken, no new refresh token;
 * - `GET /v2/devices.json?user_id&signature&timestamp` with `api_key` and `Authorization` (the
 *   IdToken) headers, signature = HMAC-SHA1(secret, "user_id,timestamp"), timestamp within 5 min;
 * - `GET /devices/v2/<serial>/shadow?signature` with `Authorization`, signature =
 *   HMAC-SHA1(secret, "SERIAL,user_id").
 * IdTokens are JWTs with an `exp`; an expired or revoked one is answered 401.
 */
import { createHmac, randomBytes } from "node:crypto"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export interface FakeCloudData {
  account: { email: string; password: string; id: number }
  devices: Record<string, unknown>[]
  shadows: Record<string, unknown>
}

export interface FakeCloud extends FakeServer {
  logins(): number
  refreshes(): number
  /** Revokes every token issued so far (the cloud signed the user out). */
  revokeAll(): void
  /** Seconds an IdToken lives (default 3600). */
  ttlSeconds: number
  /** Clock of the fake (ms); tests may move it. */
  now: () => number
}

const API_KEY = "EOOEMOW4YR6QNB07"
const SECRET = "cj7iYKjiKxOqiLcN65PffA"
const hmac = (text: string) => createHmac("sha1", SECRET).update(text).digest("hex")

/** A JWT whose base64url parts contain no `-` or `_` (1.2 decodes the payload as plain base64). */
function jwt(claims: Record<string, unknown>): string {
  for (;;) {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url")
    const token = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({ ...claims, jti: randomBytes(6).toString("hex") })}.${randomBytes(24).toString("base64url")}`
    if (!/[-_]/.test(token.split(".")[1]!)) return token
  }
}

export function startFakeCloud(data: FakeCloudData): FakeCloud {
  const issued = new Map<string, number>() // IdToken → exp
  const refreshTokens = new Set<string>()
  let logins = 0
  let refreshes = 0
  // The returned object: the handler reads its ttlSeconds and now, which tests may change.
  let fake: FakeCloud
  const nowS = () => fake.now() / 1000
  const denied = (status: number, message: string) => Response.json({ message }, { status })
  const issue = () => {
    const exp = Math.floor(nowS()) + fake.ttlSeconds
    const idToken = jwt({ sub: String(data.account.id), email: data.account.email, exp })
    issued.set(idToken, exp)
    return idToken
  }
  const loginReply = (idToken: string, refreshToken: string) => ({
    username: data.account.email,
    email: data.account.email,
    first_name: "Pat",
    last_name: "Pool",
    id: data.account.id,
    authentication_token: randomBytes(10).toString("hex"),
    session_id: randomBytes(10).toString("hex"),
    cognitoPool: { appClientId: "x", region: "us-east-1" },
    credentials: { AccessKeyId: "AKIAFAKE", SecretKey: "fake", Expiration: "2099-01-01T00:00:00Z", IdentityId: "us-east-1:fake" },
    userPoolOAuth: {
      AccessToken: jwt({ exp: Math.floor(nowS()) + fake.ttlSeconds }),
      ExpiresIn: fake.ttlSeconds,
      TokenType: "Bearer",
      RefreshToken: refreshToken,
      IdToken: idToken,
    },
  })
  const tokenOk = (request: Request) => {
    const exp = issued.get(request.headers.get("authorization") ?? "")
    return exp !== undefined && exp > nowS()
  }
  const server = serveFake((request, url, body) => {
    const json = () => {
      try {
        return JSON.parse(body) as Record<string, unknown>
      } catch {
        return {}
      }
    }
    if (request.method === "POST" && url.pathname === "/users/v1/login") {
      const b = json()
      if (b.apiKey !== API_KEY) return denied(400, "Invalid apiKey")
      if (b.email !== data.account.email || b.password !== data.account.password) return denied(401, "Incorrect username or password.")
      logins++
      const refreshToken = randomBytes(16).toString("hex")
      refreshTokens.add(refreshToken)
      return Response.json(loginReply(issue(), refreshToken))
    }
    if (request.method === "POST" && url.pathname === "/users/v1/refresh") {
      const b = json()
      if (b.email !== data.account.email || !refreshTokens.has(String(b.refresh_token)))
        return denied(401, "Refresh Token has been revoked")
      refreshes++
      return Response.json(loginReply(issue(), ""))
    }
    if (request.method === "GET" && url.pathname === "/v2/devices.json") {
      if (request.headers.get("api_key") !== API_KEY) return denied(403, "Forbidden")
      if (!tokenOk(request)) return denied(401, "The incoming token has expired")
      const userId = url.searchParams.get("user_id") ?? ""
      const timestamp = url.searchParams.get("timestamp") ?? ""
      if (userId !== String(data.account.id)) return denied(403, "Forbidden")
      if (Math.abs(Number(timestamp) - nowS()) > 300) return denied(401, "Request expired")
      if (url.searchParams.get("signature") !== hmac(`${userId},${timestamp}`)) return denied(401, "Invalid signature")
      return Response.json(data.devices)
    }
    const shadow = /^\/devices\/v2\/([^/]+)\/shadow$/.exec(url.pathname)
    if (request.method === "GET" && shadow) {
      if (!tokenOk(request)) return denied(401, "The incoming token has expired")
      const serial = decodeURIComponent(shadow[1]!)
      if (url.searchParams.get("signature") !== hmac(`${serial.toUpperCase()},${data.account.id}`)) return denied(401, "Invalid signature")
      const state = data.shadows[serial]
      return state === undefined ? denied(404, "Device not found") : Response.json(state)
    }
    return new Response("not found", { status: 404 })
  })
  fake = Object.assign(server, {
    ttlSeconds: 3600,
    now: () => Date.now(),
    logins: () => logins,
    refreshes: () => refreshes,
    revokeAll: () => {
      issued.clear()
      refreshTokens.clear()
    },
  })
  return fake
}
