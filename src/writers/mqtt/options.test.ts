/** Mqtt's options on their own: defaults, bounds, the topic check, the documented descriptions. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { options } from "./options.ts"

const ok = (input: Record<string, unknown>) => v.safeParse(options, input).success
const messages = (input: Record<string, unknown>) => {
  const result = v.safeParse(options, input)
  return result.success ? [] : result.issues.map((issue) => issue.message)
}
const unwrap = (schema: unknown) => ((schema as { wrapped?: v.GenericSchema }).wrapped ?? schema) as v.GenericSchema

describe("Mqtt options", () => {
  it("defaults: 127.0.0.1, no discovery under the prefix homeassistant, QoS 0, retained, 10,000 topics of buffer", () => {
    expect(v.parse(options, {})).toEqual({
      host: "127.0.0.1",
      hassAutodiscovery: false,
      discoveryPrefix: "homeassistant",
      qos: 0,
      retain: true,
      bufferSize: 10_000,
    })
  })

  it("discoveryPrefix: a topic without wildcards, NUL, or a slash at either end; slashes inside are levels", () => {
    for (const discoveryPrefix of ["ha", "home/assistant", "a-b_c"])
      expect([discoveryPrefix, ok({ discoveryPrefix })]).toEqual([discoveryPrefix, true])
    for (const discoveryPrefix of ["ha/+", "#", "ha\u0000", "/ha", "ha/", ""])
      expect([discoveryPrefix, ok({ discoveryPrefix })]).toEqual([discoveryPrefix, false])
    expect(messages({ discoveryPrefix: "/ha" })).toEqual(["must be a topic without `+`, `#` or a leading/trailing `/`"])
  })

  it("includePattern: an invalid regular expression is refused with the pattern and the reason", () => {
    expect(ok({ includePattern: ["pollect\\..*"] })).toBe(true)
    const [message] = messages({ includePattern: ["(unclosed"] })
    expect(message).toStartWith('invalid regular expression "(unclosed": ')
    expect(message!.length).toBeGreaterThan('invalid regular expression "(unclosed": '.length)
  })

  it("port, qos, bufferSize, clientId bounds", () => {
    expect([1, 1883, 65535].every((port) => ok({ port }))).toBe(true)
    expect([0, 65536, 1.5].some((port) => ok({ port }))).toBe(false)
    expect([0, 1, 2].every((qos) => ok({ qos }))).toBe(true)
    expect(ok({ qos: 3 })).toBe(false)
    expect([ok({ bufferSize: 1 }), ok({ bufferSize: 0 }), ok({ bufferSize: 10_000_001 })]).toEqual([true, false, false])
    expect([ok({ clientId: "x".repeat(128) }), ok({ clientId: "x".repeat(129) }), ok({ clientId: "" })]).toEqual([true, false, false])
    expect([ok({ tls: true }), ok({ tls: { ca: "ca.pem", verify: false } }), ok({ tls: "yes" })]).toEqual([true, true, false])
  })

  it("every option and TLS key has a description (the plugin docs are generated from them)", () => {
    for (const [key, schema] of Object.entries(options.entries)) {
      expect([key, (v.getDescription(unwrap(schema) as never) ?? "").length > 15]).toEqual([key, true])
    }
    const tls = (unwrap(options.entries.tls) as unknown as { pipe: [{ options: [unknown, { entries: Record<string, unknown> }] }] }).pipe[0]
      .options[1]
    for (const [key, schema] of Object.entries(tls.entries)) {
      expect([key, (v.getDescription(unwrap(schema) as never) ?? "").length > 15]).toEqual([key, true])
    }
  })
})
