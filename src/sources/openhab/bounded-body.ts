/** Reads a response body up to a byte limit, so an oversized answer is an error, not unbounded memory. */

export class BodyTooLargeError extends Error {}

/** The body as text; rejects (and cancels the stream) once more than `maxBytes` arrived. */
export async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN)
  if (declared > maxBytes) {
    await response.body?.cancel()
    throw new BodyTooLargeError(`answer of ${declared} bytes, more than the ${maxBytes} read at most`)
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
      throw new BodyTooLargeError(`answer of more than ${maxBytes} bytes, the most read`)
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(Buffer.concat(chunks))
}
