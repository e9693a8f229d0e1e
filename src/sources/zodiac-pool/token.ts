/**
 * The signed-in state (user id, id token, refresh token) and its cache file in the state
 * directory, so a restart does not sign in again. The id token's expiry is its JWT `exp`.
 */
import { readFileSync } from "node:fs"
import type { LoginAnswer } from "./cloud.ts"

export interface Session extends LoginAnswer {
  /** The configured `user` the session belongs to (a changed config signs in again). */
  user: string
  /** Unix seconds when the id token expires (0: unknown). */
  expires: number
}

/** `exp` of a JWT (base64url payload), 0 when it has none or is not a JWT. */
export function jwtExpiry(token: string): number {
  const payload = token.split(".")[1]
  if (!payload || payload.length > 16384) return 0
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }
    return typeof claims.exp === "number" && Number.isFinite(claims.exp) ? claims.exp : 0
  } catch {
    return 0
  }
}

export function sessionOf(user: string, answer: LoginAnswer): Session {
  return { ...answer, user, expires: jwtExpiry(answer.idToken) }
}

/** The cached session for `user`, if the file holds one. */
export function loadSession(path: string, user: string): Session | undefined {
  try {
    const s = JSON.parse(readFileSync(path, "utf8")) as Partial<Session>
    if (s.user !== user || typeof s.idToken !== "string" || typeof s.refreshToken !== "string") return undefined
    if (typeof s.id !== "number" && typeof s.id !== "string") return undefined
    return {
      user,
      id: s.id,
      email: typeof s.email === "string" ? s.email : user,
      idToken: s.idToken,
      refreshToken: s.refreshToken,
      expires: jwtExpiry(s.idToken),
    }
  } catch {
    return undefined
  }
}
