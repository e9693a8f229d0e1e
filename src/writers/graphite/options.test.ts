/** Graphite's options on their own: defaults, bounds, the host check's two messages, the documented descriptions. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { options } from "./options.ts"

const ok = (input: Record<string, unknown>) => v.safeParse(options, input).success
const messages = (input: Record<string, unknown>) => {
  const result = v.safeParse(options, input)
  return result.success ? [] : result.issues.map((issue) => issue.message)
}

describe("Graphite options", () => {
  it("defaults: localhost, pickle on 2004, 100,000 points of buffer, resend 5 s, no plaintext port, no prefix", () => {
    const parsed = v.parse(options, {})
    expect(parsed).toMatchObject({ host: "localhost", picklePort: 2004, bufferSize: 100_000, resendSeconds: 5 })
    expect(parsed.plaintextPort).toBeUndefined()
    expect(parsed.prefix).toBeUndefined()
  })

  it("ports are integers from 1 to 65535, for either protocol", () => {
    for (const key of ["picklePort", "plaintextPort"]) {
      expect([1, 2003, 65535].every((port) => ok({ [key]: port }))).toBe(true)
      expect([0, 65536, -1, 1.5, "2003"].some((port) => ok({ [key]: port }))).toBe(false)
    }
  })

  it("bufferSize is an integer of at least 1; resendSeconds any number of at least 0", () => {
    expect(ok({ bufferSize: 1 })).toBe(true)
    expect([0, 1.5, -5].some((bufferSize) => ok({ bufferSize }))).toBe(false)
    expect([0, 0.5, 3600].every((resendSeconds) => ok({ resendSeconds }))).toBe(true)
    expect(ok({ resendSeconds: -0.1 })).toBe(false)
    expect(ok({ prefix: "servers.web1" })).toBe(true)
    expect(ok({ prefix: 5 })).toBe(false)
  })

  it("host: a name or address; credentials and URLs are refused with a message that never echoes the value", () => {
    for (const host of ["carbon", "10.0.0.5", "::1", "fe80::1%eth0"]) expect(ok({ host })).toBe(true)
    expect(messages({ host: "user:secret@carbon" })).toEqual([
      "must be a host name or address only: it contains credentials (user:password@), which carbon does not take; remove them",
    ])
    expect(messages({ host: "carbon/x" })).toEqual([
      "must be a host name or address only, not a URL (set the port with picklePort or plaintextPort)",
    ])
    expect(messages({ host: "@" })[0]).toContain("credentials")
    expect(messages({ host: "/" })[0]).toContain("not a URL")
  })

  it("every option has a description (the plugin docs are generated from them)", () => {
    for (const [key, schema] of Object.entries(options.entries)) {
      const inner = (schema as { wrapped?: v.GenericSchema }).wrapped ?? (schema as v.GenericSchema)
      expect([key, (v.getDescription(inner as never) ?? "").length > 20]).toEqual([key, true])
    }
  })
})
