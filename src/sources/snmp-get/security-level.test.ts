import { describe, expect, it } from "bun:test"
import { securityLevelOf } from "./session.ts"

describe("securityLevelOf", () => {
  it("derives the level from the keys given", () => {
    expect(securityLevelOf({})).toBe("noAuthNoPriv")
    expect(securityLevelOf({ authKey: "authsecret" })).toBe("authNoPriv")
    expect(securityLevelOf({ authKey: "authsecret", privKey: "privsecret" })).toBe("authPriv")
  })

  it("keeps a configured level, even below what the keys allow", () => {
    expect(securityLevelOf({ securityLevel: "authNoPriv", authKey: "authsecret", privKey: "privsecret" })).toBe("authNoPriv")
  })
})
