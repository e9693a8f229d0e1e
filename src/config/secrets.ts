/** Config keys whose values are secrets: registered with the logger so they are masked everywhere. */
import { registerSecret } from "../core/log.ts"

const SECRET_KEY = /pass(word)?$|secret|token|community|apikey|privatekey|^auth/i

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

export function registerSecrets(node: unknown): void {
  if (Array.isArray(node)) node.forEach(registerSecrets)
  else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (typeof value === "string" && isSecretKey(key)) registerSecret(value)
      else registerSecrets(value)
    }
  }
}
