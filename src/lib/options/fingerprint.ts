/** Certificate fingerprints as users write them; pure, so option schemas can check one without loading a TLS client. */

/** `AB:CD:...` or `abcd...` → lower-case hex without colons; undefined unless 64 hex digits. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[:\s]/g, "").toLowerCase()
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined
}
