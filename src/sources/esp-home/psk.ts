/** ESPHome's api encryption key as the config gives it; pure, so the options schema can check it without loading the cipher code. */

/** Decodes ESPHome's `api: encryption: key:` (base64 of 32 bytes); throws a message a user can act on. */
export function decodePsk(text: string): Uint8Array {
  const trimmed = text.trim()
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) throw new Error("psk is not base64 (ESPHome's api encryption key, 44 characters)")
  const bytes = new Uint8Array(Buffer.from(trimmed, "base64"))
  if (bytes.length !== 32)
    throw new Error(`psk decodes to ${bytes.length} bytes; ESPHome's api encryption key is 32 bytes (44 base64 characters)`)
  return bytes
}
