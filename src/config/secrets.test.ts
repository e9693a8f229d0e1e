/** config/secrets.ts: which config keys hold secrets, the passwords inside URLs, and what a config registers for masking. */
import { describe, expect, it } from "bun:test"
import { redact, secretsSnapshot } from "../core/log.ts"
import { isSecretKey, registerSecrets, urlPasswords } from "./secrets.ts"

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
    for (const key of ["url", "host", "user", "username", "name", "passive", "port", "keyFile", "useAuth", "basicAuthUser"])
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

describe("urlPasswords, edge by edge", () => {
  it("any scheme of letters, digits, + . - in any case; nothing before `://` is no scheme", () => {
    expect(urlPasswords("svn+ssh://u:pw1@h coap.tcp://u:pw2@h x-y://u:pw3@h s3://u:pw4@h HTTP://u:pw5@h")).toEqual([
      "pw1",
      "pw2",
      "pw3",
      "pw4",
      "pw5",
    ])
    expect(urlPasswords("(://u:pw@h ://u:pw@h")).toEqual([])
  })

  it("a `://` at the very start, or right after a one-letter scheme, does not end the scan", () => {
    expect(urlPasswords("s://u:pw@h")).toEqual(["pw"])
    expect(urlPasswords("://x then http://u:pw@h")).toEqual(["pw"])
  })

  it("the user part ends at / ? # or white space: an @ after it is no password's end", () => {
    for (const text of [
      "http://u:p/x@h",
      "http://u:p?x@h",
      "http://u:p#x@h",
      "http://u:p x@h",
      "http://u:p\tx@h",
      "http://u:p\nx@h",
      "http://u:p",
    ])
      expect([text, urlPasswords(text)]).toEqual([text, []])
  })
})

describe("registerSecrets: what a loaded config masks in every log line", () => {
  const masked = (config: unknown, line: string) => {
    const restore = secretsSnapshot()
    try {
      registerSecrets(config)
      return redact(line)
    } finally {
      restore()
    }
  }

  it("string values of secret keys, at any depth, in objects and lists; other values stay visible", () => {
    const config = {
      name: "visible-name",
      password: "hunter22",
      executors: [{ sources: [{ type: "Snmp", community: "c0mmunity" }] }],
      auth: { user: "admin-user", password: "nested-pw" },
      port: 9001,
      tags: ["one", "two", "three"],
      empty: null,
    }
    expect(masked(config, "visible-name hunter22 c0mmunity admin-user nested-pw 9001 one,two,three")).toBe(
      "visible-name *** *** admin-user *** 9001 one,two,three",
    )
  })

  it("a URL's password, in any string (a list entry too), as written and percent-decoded", () => {
    expect(masked({ url: "http://u:p%40ssw0rd@host/" }, "p%40ssw0rd p@ssw0rd u")).toBe("*** *** u")
    expect(masked(["mqtt://u:listed-pw@broker"], "listed-pw")).toBe("***")
    expect(masked("ftp://u:top-level-pw@h", "top-level-pw")).toBe("***")
    // Not valid percent-encoding: the raw form only, and no error.
    expect(masked({ url: "http://u:bad%zz@h" }, "bad%zz")).toBe("***")
  })
})
