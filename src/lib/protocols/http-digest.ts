/**
 * HTTP Digest access authentication, client side (RFC 7616): parses a `WWW-Authenticate: Digest`
 * challenge and answers it with an `Authorization` header. MD5 and SHA-256 (and their `-sess`
 * variants), qop `auth` (or no qop, RFC 2069 style, for old servers). A `DigestSession` keeps the
 * last challenge so later requests authenticate up front with an increasing nonce count.
 */
import { createHash, randomBytes } from "node:crypto"

export interface DigestChallenge {
  realm: string
  nonce: string
  opaque?: string
  /** Upper-cased: `MD5`, `MD5-SESS`, `SHA-256`, `SHA-256-SESS`. */
  algorithm: string
  /** Offered qop values, e.g. ["auth", "auth-int"]; empty when the server sent none. */
  qop: string[]
  /** The server says the nonce expired but the credentials were right: retry with the new one. */
  stale: boolean
  userhash: boolean
}

const SUPPORTED = ["MD5", "MD5-SESS", "SHA-256", "SHA-256-SESS"]

/** Splits `key=value, key="quoted, value"` parameters (quoted-string escapes honoured). */
export function parseAuthParams(text: string): Record<string, string> {
  const params: Record<string, string> = {}
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g
  for (const match of text.matchAll(re)) {
    const key = match[1]!.toLowerCase()
    params[key] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "")
  }
  return params
}

/**
 * The Digest challenges in a `WWW-Authenticate` header value (a server may offer several,
 * e.g. SHA-256 and MD5), best algorithm first. Non-Digest schemes are ignored.
 */
export function parseDigestChallenges(header: string): DigestChallenge[] {
  const challenges: DigestChallenge[] = []
  // Each challenge starts with its scheme name; split before every "Digest " token.
  for (const part of header.split(/(?:^|,)\s*(?=Digest\s)/i)) {
    const match = /^\s*Digest\s+(.*)$/is.exec(part)
    if (!match) continue
    const p = parseAuthParams(match[1]!)
    if (p.realm === undefined || p.nonce === undefined) continue
    const algorithm = (p.algorithm ?? "MD5").toUpperCase()
    if (!SUPPORTED.includes(algorithm)) continue
    challenges.push({
      realm: p.realm,
      nonce: p.nonce,
      opaque: p.opaque,
      algorithm,
      qop: p.qop
        ? p.qop
            .split(",")
            .map((q) => q.trim().toLowerCase())
            .filter(Boolean)
        : [],
      stale: (p.stale ?? "").toLowerCase() === "true",
      userhash: (p.userhash ?? "").toLowerCase() === "true",
    })
  }
  const rank = (c: DigestChallenge) => (c.algorithm.startsWith("SHA-256") ? 0 : 1)
  return challenges.sort((a, b) => rank(a) - rank(b))
}

function hashHex(algorithm: string, text: string): string {
  return createHash(algorithm.startsWith("SHA-256") ? "sha256" : "md5")
    .update(text, "utf8")
    .digest("hex")
}

export interface DigestInput {
  challenge: DigestChallenge
  username: string
  password: string
  method: string
  /** The request-target as sent: path and query. */
  uri: string
  /** Nonce count for this nonce, starting at 1. */
  nc: number
  cnonce: string
}

/** The `response` value of RFC 7616 section 3.4.1 (qop=auth or none). */
export function digestResponse(input: DigestInput): string {
  const { challenge, username, password, method, uri, nc, cnonce } = input
  const alg = challenge.algorithm
  let ha1 = hashHex(alg, `${username}:${challenge.realm}:${password}`)
  if (alg.endsWith("-SESS")) ha1 = hashHex(alg, `${ha1}:${challenge.nonce}:${cnonce}`)
  const ha2 = hashHex(alg, `${method}:${uri}`)
  if (!challenge.qop.includes("auth")) return hashHex(alg, `${ha1}:${challenge.nonce}:${ha2}`)
  return hashHex(alg, `${ha1}:${challenge.nonce}:${formatNc(nc)}:${cnonce}:auth:${ha2}`)
}

function formatNc(nc: number): string {
  return nc.toString(16).padStart(8, "0")
}

function quote(text: string): string {
  return `"${text.replace(/(["\\])/g, "\\$1")}"`
}

/** The `Authorization` header value answering `input.challenge`. */
export function digestAuthorization(input: DigestInput): string {
  const { challenge, uri, nc, cnonce } = input
  const username = challenge.userhash ? hashHex(challenge.algorithm, `${input.username}:${challenge.realm}`) : input.username
  const parts = [
    `username=${quote(username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(uri)}`,
    `algorithm=${challenge.algorithm === "MD5" ? "MD5" : challenge.algorithm.replace("-SESS", "-sess")}`,
    `response=${quote(digestResponse(input))}`,
  ]
  if (challenge.qop.includes("auth")) parts.push(`qop=auth`, `nc=${formatNc(nc)}`, `cnonce=${quote(cnonce)}`)
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`)
  if (challenge.userhash) parts.push(`userhash=true`)
  return "Digest " + parts.join(", ")
}

/** The challenge a server last sent, reused for later requests with nc = 2, 3, ... */
export class DigestSession {
  private challenge?: DigestChallenge
  private nc = 0

  constructor(
    private readonly username: string,
    private readonly password: string,
  ) {}

  get hasChallenge(): boolean {
    return this.challenge !== undefined
  }

  /** Takes the best challenge of a 401 response; false when it offered none we can answer. */
  accept(wwwAuthenticate: string | null): boolean {
    const best = wwwAuthenticate ? parseDigestChallenges(wwwAuthenticate)[0] : undefined
    if (!best) return false
    this.challenge = best
    this.nc = 0
    return true
  }

  /** The last challenge said `stale=true`: the nonce expired, not the credentials. */
  get stale(): boolean {
    return this.challenge?.stale ?? false
  }

  forget(): void {
    this.challenge = undefined
    this.nc = 0
  }

  /** An `Authorization` header for `method uri`, or undefined before the first challenge. */
  authorization(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined
    this.nc += 1
    return digestAuthorization({
      challenge: this.challenge,
      username: this.username,
      password: this.password,
      method,
      uri,
      nc: this.nc,
      cnonce: randomBytes(12).toString("hex"),
    })
  }
}
