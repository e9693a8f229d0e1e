/** config/secrets.ts: which config keys hold secrets, and the passwords inside URLs. */
import { describe, expect, it } from "bun:test"
import { isSecretKey, urlPasswords } from "./secrets.ts"

describe("isSecretKey", () => {
  it("passwords, secrets, tokens, communities, API and private keys, auth… keys, in any case", () => {
    for (const key of [
      "password",
      "pass",
      "mqttPass",
      "clientSecret",
      "token",
      "accessToken",
      "community",
      "apiKey",
      "APIKEY",
      "privateKey",
      "authKey",
      "auth",
    ])
      expect([key, isSecretKey(key)]).toEqual([key, true])
  })
  it("ordinary keys are not", () => {
    for (const key of ["url", "host", "user", "username", "name", "passive", "port", "keyFile"])
      expect([key, isSecretKey(key)]).toEqual([key, false])
  })
})

describe("urlPasswords", () => {
  it("the password runs from the first colon after the scheme to the @", () => {
    expect(urlPasswords("http://u:p:w@h/")).toEqual(["p:w"])
  })
  it("an empty password is none", () => {
    expect(urlPasswords("http://u:@h/ and mqtt://:@broker")).toEqual([])
  })
})
