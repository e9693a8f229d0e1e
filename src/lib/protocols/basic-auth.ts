/**
 * HTTP basic auth against a bcrypt hash (as node_exporter's web config). bcrypt is slow on
 * purpose (~50 ms at cost 10), so a header that verified once is remembered: a scrape every
 * few seconds then costs nothing; wrong passwords always pay the full price.
 */
export class BasicAuth {
  private readonly verified = new Set<string>()

  constructor(
    private readonly user: string,
    private readonly passwordHash: string,
  ) {}

  /** True when the Authorization header carries the right user and password. */
  async check(header: string | null): Promise<boolean> {
    if (!header) return false
    if (this.verified.has(header)) return true
    const credentials = parseBasic(header)
    if (!credentials) return false
    const userOk = sameText(credentials.user, this.user)
    let passwordOk = false
    try {
      passwordOk = await Bun.password.verify(credentials.password, this.passwordHash, "bcrypt")
    } catch {
      passwordOk = false
    }
    if (!userOk || !passwordOk) return false
    // A handful of distinct valid headers at most; bound it anyway.
    if (this.verified.size > 16) this.verified.clear()
    this.verified.add(header)
    return true
  }
}

/** `Basic dXNlcjpwYXNz` → {user, password}; undefined for any other scheme or bad base64. */
export function parseBasic(header: string): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (!match) return undefined
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return undefined
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

/** Constant-time equality. node:crypto is required here, on the first check: an exporter without basicAuth never evaluates it. */
function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && (require("node:crypto") as typeof import("node:crypto")).timingSafeEqual(x, y)
}
