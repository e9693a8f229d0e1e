/**
 * Http's `proxy` option, made explicit for Bun's fetch (checked on Bun 1.4.5, pinned by
 * http.test.ts):
 * - unset: fetch's default, which reads `HTTP_PROXY` / `HTTPS_PROXY` (and lower-case) on every
 *   request and skips the hosts in `NO_PROXY`, as Python's requests does;
 * - `''`: no proxy whatever the environment says. Bun's fetch treats `proxy: ""` (and `null`)
 *   as unset and still takes the environment's; only `proxy: false` connects directly;
 * - a URL: every request goes through it. Bun still honours `NO_PROXY` for it (requests, under
 *   1.2, did not).
 */

/** The fetch() options for `proxy`. */
export function fetchProxy(proxy: string | undefined): { proxy?: string | false } {
  if (proxy === undefined) return {}
  if (proxy === "") return { proxy: false }
  return { proxy }
}

/** The password in a URL's userinfo, as written and decoded (both are masked in the log); none: []. */
export function urlPasswords(url: string): string[] {
  try {
    const raw = new URL(url).password
    if (!raw) return []
    let decoded = raw
    try {
      decoded = decodeURIComponent(raw)
    } catch {}
    return [...new Set([raw, decoded])]
  } catch {
    return []
  }
}

/** `http://user:***@host:3128`: the URL as written, its password (if any) masked; for log lines and the `url` label. */
export function maskedUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@/]*@/i, "$1:***@")
}
