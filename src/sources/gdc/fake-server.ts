/**
 * A fake Google OAuth2 token endpoint + Cloud Storage JSON API on loopback, after Google's docs:
 * - POST /token (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer, assertion=<RS256 JWT>):
 *   signature checked with the service account's public key; iss = client_email, aud = this
 *   endpoint, scope, exp - iat <= 1 h, kid = private_key_id. Errors as Google sends them
 *   (`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`, HTTP 400).
 * - GET /storage/v1/b/<bucket>/o?prefix=&pageToken=: `storage#objects` listing with
 *   generation, md5Hash (base64), etag, updated; paged with nextPageToken.
 * - GET /storage/v1/b/<bucket>/o/<name>?alt=media&generation=: the object's bytes.
 * - A missing, unknown or expired bearer token: 401 `{"error":{"code":401,"message":"Invalid Credentials"}}`.
 * The bucket's objects are put by the test, or a golden case's recorded `bucket/` folder.
 */
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { decodeProtectedHeader, jwtVerify, type CryptoKey } from "jose"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export interface GcsFakeOptions {
  publicKey: CryptoKey
  clientEmail: string
  privateKeyId: string
  bucket: string
  /** Objects in the bucket at start, name → bytes (see `recordedBucket`). */
  objects?: Record<string, Uint8Array>
}

export interface GcsFake extends FakeServer {
  readonly state: {
    objects: Map<string, StoredObject>
    tokens: Map<string, number>
    /** Seconds an issued access token lives (Google: 3599). */
    tokenLifetime: number
    tokenRequests: number
    listRequests: number
    downloads: Map<string, number>
    pageSize: number
    /** The next n storage requests answer 500 / an HTML page. */
    failNext: number
    garbageNext: number
    lastClaims: Record<string, unknown> | undefined
    lastKid: string | undefined
  }
  /** Stores (or replaces, with a new generation) an object. */
  put(name: string, bytes: Uint8Array): void
  /** `${url}/token`, the endpoint the JWT's `aud` must name. */
  readonly tokenUrl: string
  /** Makes every issued token invalid, as if Google had expired them early. */
  expireTokens(): void
}

/**
 * A golden case's recorded bucket: every file under `<dir>/bucket/` is an object named by its
 * path there (`stats/installs/installs_<package>_<YYYYMM>_overview.csv`). The CSVs are kept as
 * UTF-8 text and served UTF-16LE with a byte-order mark, as Google writes them.
 */
export function recordedBucket(dir: string): Record<string, Uint8Array> {
  const root = join(dir, "bucket")
  const objects: Record<string, Uint8Array> = {}
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder).sort()) {
      const path = join(folder, entry)
      if (statSync(path).isDirectory()) walk(path)
      else objects[relative(root, path)] = utf16le(readFileSync(path, "utf8"))
    }
  }
  walk(root)
  return objects
}

interface StoredObject {
  bytes: Uint8Array
  generation: string
  md5Hash: string
  updated: string
}

const gcsError = (code: number, message: string, reason: string) =>
  Response.json({ error: { code, message, errors: [{ message, domain: "global", reason }] } }, { status: code })

export function startFakeGcs(opts: GcsFakeOptions): GcsFake {
  const state: GcsFake["state"] = {
    objects: new Map<string, StoredObject>(),
    tokens: new Map<string, number>(),
    /** Seconds an issued access token lives (Google: 3599). */
    tokenLifetime: 3599,
    tokenRequests: 0,
    listRequests: 0,
    downloads: new Map<string, number>(),
    pageSize: 1000,
    failNext: 0,
    garbageNext: 0,
    lastClaims: undefined,
    lastKid: undefined,
  }
  let generation = 1_700_000_000_000_000

  const server = serveFake((request, url, body) => {
    if (url.pathname === "/token" && request.method === "POST") return token(body)

    const match = url.pathname.match(/^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/)
    if (!match) return gcsError(404, "Not Found", "notFound")
    const auth = request.headers.get("authorization") ?? ""
    const expires = state.tokens.get(auth.replace(/^Bearer /, ""))
    if (!auth.startsWith("Bearer ") || expires === undefined || expires <= Date.now())
      return gcsError(401, "Invalid Credentials", "authError")
    if (decodeURIComponent(match[1]!) !== opts.bucket) return gcsError(404, "The specified bucket does not exist.", "notFound")
    if (state.failNext > 0) {
      state.failNext--
      return gcsError(500, "Backend Error", "backendError")
    }
    if (state.garbageNext > 0) {
      state.garbageNext--
      return new Response("<html><body>502 Bad Gateway</body></html>", { status: 200, headers: { "content-type": "text/html" } })
    }
    if (match[2] === undefined) return list(url)
    const name = decodeURIComponent(match[2])
    const object = state.objects.get(name)
    if (!object || url.searchParams.get("alt") !== "media") return gcsError(404, `No such object: ${opts.bucket}/${name}`, "notFound")
    const wanted = url.searchParams.get("generation")
    if (wanted && wanted !== object.generation) return gcsError(404, `No such object: ${opts.bucket}/${name}`, "notFound")
    state.downloads.set(name, (state.downloads.get(name) ?? 0) + 1)
    return new Response(object.bytes, { headers: { "content-type": "text/csv", "x-goog-generation": object.generation } })
  })
  const tokenUrl = `${server.url}/token`

  async function token(body: string): Promise<Response> {
    state.tokenRequests++
    const form = new URLSearchParams(body)
    const invalid = (description: string) => Response.json({ error: "invalid_grant", error_description: description }, { status: 400 })
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return Response.json(
        { error: "unsupported_grant_type", error_description: "Invalid grant_type: " + form.get("grant_type") },
        { status: 400 },
      )
    }
    const assertion = form.get("assertion") ?? ""
    try {
      const header = decodeProtectedHeader(assertion)
      state.lastKid = header.kid
      if (header.alg !== "RS256") return invalid("Invalid JWT: Token must be signed with RS256.")
      const { payload } = await jwtVerify(assertion, opts.publicKey, {
        algorithms: ["RS256"],
        audience: tokenUrl,
        issuer: opts.clientEmail,
      })
      if (typeof payload.exp !== "number" || typeof payload.iat !== "number" || payload.exp - payload.iat > 3600) {
        return invalid("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
      }
      if (typeof payload.scope !== "string" || !payload.scope.split(" ").includes("https://www.googleapis.com/auth/devstorage.read_only")) {
        return invalid("Invalid OAuth scope or ID token audience provided.")
      }
      state.lastClaims = payload as Record<string, unknown>
    } catch {
      return invalid("Invalid JWT Signature.")
    }
    const accessToken = "ya29.fake-" + crypto.randomUUID()
    state.tokens.set(accessToken, Date.now() + state.tokenLifetime * 1000)
    return Response.json({ access_token: accessToken, expires_in: state.tokenLifetime, token_type: "Bearer" })
  }

  function list(url: URL): Response {
    state.listRequests++
    const prefix = url.searchParams.get("prefix") ?? ""
    const names = [...state.objects.keys()].filter((n) => n.startsWith(prefix)).sort()
    const start = Number(url.searchParams.get("pageToken") ?? "0")
    const page = names.slice(start, start + state.pageSize)
    const body: Record<string, unknown> = { kind: "storage#objects" }
    if (page.length) {
      body.items = page.map((name) => {
        const o = state.objects.get(name)!
        return {
          kind: "storage#object",
          id: `${opts.bucket}/${name}/${o.generation}`,
          name,
          bucket: opts.bucket,
          generation: o.generation,
          metageneration: "1",
          contentType: "text/csv; charset=utf-16le",
          size: String(o.bytes.length),
          md5Hash: o.md5Hash,
          etag: Buffer.from(o.generation).toString("base64"),
          timeCreated: o.updated,
          updated: o.updated,
        }
      })
    }
    if (start + state.pageSize < names.length) body.nextPageToken = String(start + state.pageSize)
    return Response.json(body)
  }

  /** Stores (or replaces, with a new generation) an object. */
  function put(name: string, bytes: Uint8Array): void {
    generation += 1
    state.objects.set(name, {
      bytes,
      generation: String(generation),
      md5Hash: createHash("md5").update(bytes).digest("base64"),
      updated: new Date().toISOString(),
    })
  }

  for (const [name, bytes] of Object.entries(opts.objects ?? {})) put(name, bytes)

  return {
    ...server,
    state,
    put,
    tokenUrl,
    expireTokens: () => state.tokens.clear(),
  }
}

/** Text as Google writes bulk reports: UTF-16LE with a byte-order mark. */
export function utf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(2 + text.length * 2)
  bytes[0] = 0xff
  bytes[1] = 0xfe
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    bytes[2 + i * 2] = code & 0xff
    bytes[3 + i * 2] = code >> 8
  }
  return bytes
}
