/** lib/options/fingerprint.ts: SHA-256 certificate fingerprints as users write them. */
import { describe, expect, it } from "bun:test"
import { X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import { normalizeFingerprint } from "./fingerprint.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"

const hex = "0123456789abcdef".repeat(4)

describe("normalizeFingerprint", () => {
  it("Node's form of a real certificate's fingerprint (upper case, colons) → lower-case hex", () => {
    const cert = new X509Certificate(readFileSync(selfSignedCert(tempDir()).cert))
    const normal = normalizeFingerprint(cert.fingerprint256)
    expect(normal).toBe(cert.fingerprint256.replaceAll(":", "").toLowerCase())
    expect(normal).toMatch(/^[0-9a-f]{64}$/)
  })
  it("plain hex in either case, with colons, spaces, tabs or a line break between the bytes", () => {
    expect(normalizeFingerprint(hex)).toBe(hex)
    expect(normalizeFingerprint(hex.toUpperCase())).toBe(hex)
    const pairs = hex.match(/../g)!
    expect(normalizeFingerprint(pairs.join(":"))).toBe(hex)
    expect(normalizeFingerprint(pairs.join("::"))).toBe(hex)
    expect(normalizeFingerprint(pairs.join(" "))).toBe(hex)
    expect(normalizeFingerprint(` ${pairs.slice(0, 16).join(":")}\n\t${pairs.slice(16).join(":")} `)).toBe(hex)
  })
  it("anything but exactly 64 hex digits is undefined", () => {
    expect(normalizeFingerprint(hex.slice(1))).toBeUndefined()
    expect(normalizeFingerprint(hex + "0")).toBeUndefined()
    expect(normalizeFingerprint(`x${hex}`)).toBeUndefined()
    expect(normalizeFingerprint(`${hex}x`)).toBeUndefined()
    expect(normalizeFingerprint(hex.slice(0, 63) + "g")).toBeUndefined()
    expect(normalizeFingerprint(hex.slice(0, 62) + "-0")).toBeUndefined()
    expect(normalizeFingerprint("")).toBeUndefined()
    // SHA-1 (40 digits) is not accepted.
    expect(normalizeFingerprint("ab".repeat(20))).toBeUndefined()
  })
})
