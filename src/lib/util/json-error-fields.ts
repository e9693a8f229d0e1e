/**
 * The readable fields of a cloud API's JSON error answer, for an error message. Only the string
 * fields a caller names are taken, so an HTML error page or an echoed request never ends up in
 * a message (or a log line).
 */

/** The non-empty strings `pick` chooses from the answer; [] when it is not a JSON object. */
export function jsonErrorFields(text: string, pick: (body: Record<string, unknown>) => readonly unknown[]): string[] {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return []
  }
  if (typeof body !== "object" || body === null) return []
  return pick(body as Record<string, unknown>).filter((field): field is string => typeof field === "string" && field !== "")
}
