/** Config keys whose values are secrets: registered with the logger so they are masked everywhere. */
import { registerSecret } from "../core/log.ts"

const SECRET_KEY = /pass(word)?$|secret|token|community|apikey|privatekey|^auth/i

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/**
 * The passwords of every `scheme://user:password@host` in a string (a `url` key is no secret
 * key, its password is). A scan from each `://`, linear in the text: the regular expression
 * this replaces backtracked quadratically on long runs of letters (100 KB took 4 s).
 */
export function urlPasswords(text: string): string[] {
  const found: string[] = []
  for (let at = text.indexOf("://"); at >= 0; at = text.indexOf("://", at + 3)) {
    // A scheme (a letter, then letters, digits, + . -) must end right before `://`.
    const before = text[at - 1]
    if (!before || !/[a-z0-9+.-]/i.test(before)) continue
    let end = at + 3
    let colon = -1
    for (; end < text.length; end++) {
      const c = text[end]!
      if (c === "@" || c === "/" || c === "?" || c === "#" || /\s/.test(c)) break
      if (c === ":" && colon < 0) colon = end
    }
    if (text[end] === "@" && colon > 0 && end > colon + 1) found.push(text.slice(colon + 1, end))
  }
  return found
}

export function registerSecrets(node: unknown): void {
  if (typeof node === "string") {
    if (node.includes("@")) for (const password of urlPasswords(node)) registerUrlPassword(password)
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
