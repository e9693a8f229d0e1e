/**
 * The two Google Cloud Storage JSON API calls pollect needs: list objects under a prefix
 * (GET /storage/v1/b/<bucket>/o?prefix=, paged by nextPageToken) and download one object
 * generation (GET /storage/v1/b/<bucket>/o/<name>?alt=media&generation=). A 401 renews the
 * OAuth token once and retries.
 */
import type { FetchFn, ServiceAccountTokens } from "./service-account.ts"
import { jsonErrorFields } from "../../lib/util/json-error-fields.ts"

export interface GcsObject {
  name: string
  generation: string
  md5Hash?: string
  etag?: string
  updated?: string
  size?: string
}

export class GcsClient {
  constructor(
    private readonly storageUrl: string,
    private readonly bucket: string,
    private readonly tokens: ServiceAccountTokens,
    private readonly fetchFn: FetchFn,
  ) {}

  async list(prefix: string): Promise<GcsObject[]> {
    const objects: GcsObject[] = []
    let pageToken: string | undefined
    do {
      const query = new URLSearchParams({ prefix })
      if (pageToken) query.set("pageToken", pageToken)
      const response = await this.get(`/storage/v1/b/${encodeURIComponent(this.bucket)}/o?${query}`, `list ${prefix}`)
      let body: { items?: unknown; nextPageToken?: unknown }
      try {
        body = (await response.json()) as typeof body
      } catch {
        throw new Error(`Cloud Storage sent a listing of gs://${this.bucket}/${prefix} that is not JSON`)
      }
      if (body.items !== undefined && !Array.isArray(body.items))
        throw new Error(`Cloud Storage sent a listing of gs://${this.bucket}/${prefix} without an items array`)
      for (const item of (body.items ?? []) as Partial<GcsObject>[]) {
        if (typeof item.name === "string" && typeof item.generation === "string") objects.push(item as GcsObject)
      }
      pageToken = typeof body.nextPageToken === "string" ? body.nextPageToken : undefined
    } while (pageToken)
    return objects
  }

  async download(object: GcsObject): Promise<Uint8Array> {
    const query = new URLSearchParams({ alt: "media", generation: object.generation })
    const response = await this.get(
      `/storage/v1/b/${encodeURIComponent(this.bucket)}/o/${encodeURIComponent(object.name)}?${query}`,
      `download ${object.name}`,
    )
    return new Uint8Array(await response.arrayBuffer())
  }

  private async get(path: string, what: string): Promise<Response> {
    const url = this.storageUrl.replace(/\/$/, "") + path
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.accessToken(this.fetchFn)
      const response = await this.fetchFn(url, { headers: { Authorization: `Bearer ${token}` } })
      if (response.ok) return response
      const message = await errorMessage(response)
      if (response.status === 401 && attempt === 0) {
        // Expired or revoked before our clock said so: get a new token, once.
        this.tokens.invalidate()
        continue
      }
      throw new Error(`Cloud Storage answered ${response.status} to ${what} in gs://${this.bucket}${message ? `: ${message}` : ""}`)
    }
  }
}

/** `{"error":{"code":403,"message":"..."}}` → the message; anything else → nothing. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => "")
  return jsonErrorFields(text, (body) => [(body.error as { message?: unknown } | null | undefined)?.message])[0] ?? ""
}
