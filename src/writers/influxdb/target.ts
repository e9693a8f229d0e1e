/**
 * Where and how the writer posts: the v1 API (`/write?db=`, basic auth) or the v2 API
 * (`/api/v2/write?org=&bucket=`, `Authorization: Token`), and what a store's answer means.
 */
import type { SendOutcome } from "../../lib/queue/delivery.ts"
import type { Precision } from "./line-protocol.ts"

export interface TargetOptions {
  url: string
  database?: string
  retentionPolicy?: string
  user?: string
  password?: string
  org?: string
  bucket?: string
  token?: string
  precision: Precision
}

export interface Target {
  version: 1 | 2
  /** The write URL, without credentials. */
  writeUrl: string
  /** The base URL for messages, userinfo masked. */
  display: string
  /** `Authorization` and nothing else; empty without credentials. */
  headers: Record<string, string>
  /** Secrets to mask in logs. */
  secrets: string[]
  /** The base URL without credentials (the queue's folder is named after it). */
  base: string
}

/** Builds the target, or says what is wrong with the options (a config problem, reported at start). */
export function resolveTarget(options: TargetOptions): Target | { problem: string } {
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    return { problem: "url: must be an http(s) URL such as http://influxdb:8086" }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { problem: "url: must start with http:// or https://" }
  let user = options.user
  let password = options.password
  if (url.username || url.password) {
    user ??= decodeURIComponent(url.username)
    password ??= decodeURIComponent(url.password)
    url.username = ""
    url.password = ""
  }
  url.search = ""
  url.hash = ""
  const base = url.href.replace(/\/+$/, "")
  const display = options.url.includes("@") ? base.replace("://", "://***@") : base
  const secrets = [password, options.token].filter((s): s is string => !!s)
  const v2 = options.bucket !== undefined || options.org !== undefined
  if (v2) {
    if (options.database !== undefined) return { problem: "give either database (InfluxDB 1.x) or org and bucket (InfluxDB 2.x), not both" }
    if (!options.bucket || !options.org) return { problem: "InfluxDB 2.x needs both org and bucket" }
    if (user !== undefined) return { problem: "user and password are for InfluxDB 1.x; InfluxDB 2.x takes a token" }
    const query = new URLSearchParams({ org: options.org, bucket: options.bucket, precision: options.precision })
    return {
      version: 2,
      writeUrl: `${base}/api/v2/write?${query}`,
      display,
      base,
      headers: options.token ? { authorization: `Token ${options.token}` } : {},
      secrets,
    }
  }
  if (!options.database) return { problem: "give database (InfluxDB 1.x) or org and bucket (InfluxDB 2.x)" }
  const query = new URLSearchParams({ db: options.database, precision: options.precision })
  if (options.retentionPolicy) query.set("rp", options.retentionPolicy)
  const headers: Record<string, string> = {}
  // The Authorization header, not u=/p= in the query: URLs end up in proxies' access logs.
  if (options.token) headers.authorization = `Token ${options.token}`
  else if (user !== undefined) headers.authorization = `Basic ${Buffer.from(`${user}:${password ?? ""}`).toString("base64")}`
  return { version: 1, writeUrl: `${base}/write?${query}`, display, base, headers, secrets }
}

/** The InfluxQL statement that creates `database` (quoted: any name works). */
export function createDatabaseStatement(database: string): string {
  return `CREATE DATABASE "${database.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`
}

/**
 * What an answer of InfluxDB means beyond the generic HTTP mapping: a missing database (404)
 * keeps the points queued with a message saying how to create it; wrong credentials (401, 403)
 * are rejected with a message saying which credentials to check.
 */
export function influxOutcome(
  status: number,
  body: string,
  options: { database?: string; bucket?: string; version: 1 | 2 },
): SendOutcome | undefined {
  if (status === 404) {
    if (options.version === 1 && options.database !== undefined) {
      return {
        ok: false,
        retry: true,
        why: `database "${options.database}" does not exist (HTTP 404): create it with ${createDatabaseStatement(options.database)} (or set createDatabase: true); the points stay queued until it exists`,
      }
    }
    return {
      ok: false,
      retry: true,
      why: `bucket "${options.bucket}" or its org does not exist (HTTP 404: ${body}); the points stay queued until it exists`,
    }
  }
  if (status === 401 || status === 403) {
    const what = options.version === 1 ? "user and password" : "the token (and that it may write to the bucket)"
    return { ok: false, retry: false, why: `InfluxDB refused the credentials (HTTP ${status}${body ? `: ${body}` : ""}): check ${what}` }
  }
  return undefined
}
