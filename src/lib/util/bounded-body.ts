/**
 * Reading a peer's answer without trusting its size: a device or a store that answers garbage
 * must not fill memory or write a megabyte into a log line.
 *
 * @example
 * const text = await readBoundedText(response, 1 << 20, () => new Error(`${url}: the answer is larger than 1 MiB`))
 * const why = await bodyExcerpt(response, 300) // "HTTP 400: " + the first 300 characters, one line
 */

/** An answer larger than its reader allows. */
export class BodyTooLargeError extends Error {}

/**
 * The body as text; rejects (and cancels the stream) once more than `maxBytes` arrived, or at once
 * when Content-Length says so. `tooLarge` makes the plugin's own error (default: BodyTooLargeError).
 */
export async function readBoundedText(response: Response, maxBytes: number, tooLarge?: (bytes: number) => Error): Promise<string> {
  const fail = (bytes: number, message: string) => (tooLarge ? tooLarge(bytes) : new BodyTooLargeError(message))
  const declared = Number(response.headers.get("content-length") ?? Number.NaN)
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw fail(declared, `answer of ${declared} bytes, more than the ${maxBytes} read at most`)
  }
  if (!response.body) return ""
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.length
    if (total > maxBytes) {
      await reader.cancel()
      throw fail(total, `answer of more than ${maxBytes} bytes, the most read`)
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}

/** At most `max` characters of a body on one line (reading at most ~4× that), for an error message. */
export async function bodyExcerpt(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ""
  let text = ""
  const decoder = new TextDecoder()
  try {
    while (text.length < max * 4) {
      const { value, done } = await reader.read()
      if (done) break
      text += decoder.decode(value, { stream: true })
    }
  } catch {
    // A body that breaks off: what arrived is enough to explain.
  } finally {
    reader.cancel().catch(() => {})
  }
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max)}…` : line
}
