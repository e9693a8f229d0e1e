/** Config keys whose values are secrets: registered with the logger so they are masked everywhere. */
import { registerSecret } from "../core/log.ts"

const SECRET_KEY = /pass(word)?$|secret|token|community|apikey|privatekey|^auth/i

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/** The password of `scheme://user:password@host`, in any string (a `url` key is no secret key, its password is). */
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^/?#@\s:]*:([^/?#@\s]+)@/gi

export function registerSecrets(node: unknown): void {
  if (typeof node === "string") {
    for (const [, password] of node.matchAll(URL_PASSWORD)) registerUrlPassword(password!)
  } else if (Array.isArray(node)) node.forEach(registerSecrets)
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === "string" && isSecretKey(key)) registerSecret(value)
      else registerSecrets(value)
    }
  }
}

/** As written and as decoded (`p%40ss` is logged as `p@ss` once a URL is parsed). */
function registerUrlPassword(password: string): void {
  registerSecret(password)
  try {
    registerSecret(decodeURIComponent(password))
  } catch {
    // not valid percent-encoding: the raw form is all there is
  }
}
