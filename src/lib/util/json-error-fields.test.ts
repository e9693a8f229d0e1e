import { describe, expect, it } from "bun:test"
import { jsonErrorFields } from "./json-error-fields.ts"

describe("jsonErrorFields", () => {
  const oauth = (body: Record<string, unknown>) => [body.error, body.error_description ?? body.message]

  it("takes the named string fields, in order", () => {
    expect(jsonErrorFields('{"error":"invalid_grant","error_description":"Token expired"}', oauth)).toEqual([
      "invalid_grant",
      "Token expired",
    ])
    expect(jsonErrorFields('{"error":"invalid_grant","message":"gone"}', oauth)).toEqual(["invalid_grant", "gone"])
  })

  it("skips missing, empty and non-string fields", () => {
    expect(jsonErrorFields('{"error":"","error_description":42}', oauth)).toEqual([])
    expect(jsonErrorFields('{"error_description":"only this"}', oauth)).toEqual(["only this"])
  })

  it("is empty for answers that are not a JSON object", () => {
    for (const text of ["<html><body>502 Bad Gateway</body></html>", "", "null", "17", '"error"']) {
      expect(jsonErrorFields(text, oauth)).toEqual([])
    }
  })

  it("never hands pick a string, a number or null: only a parsed object", () => {
    const seen: unknown[] = []
    const everything = (body: unknown) => (seen.push(body), [Object.keys(body as object).join(",") || "none"])
    for (const text of ['"error"', "17", "null", "true", "not json"]) expect(jsonErrorFields(text, everything)).toEqual([])
    expect(seen).toEqual([])
    expect(jsonErrorFields('{"a":1}', everything)).toEqual(["a"])
    expect(seen).toEqual([{ a: 1 }])
  })
})
