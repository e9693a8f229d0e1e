/** lib/options/http-server-fields.ts: the `tls` and `basicAuth` keys of pollect's own HTTP servers. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { basicAuthField, tlsServerField } from "./http-server-fields.ts"

const schema = v.object({ tls: tlsServerField(), basicAuth: basicAuthField("Who scrapes.") })
const issues = (value: unknown) => v.safeParse(schema, value).issues?.map((i) => `${v.getDotPath(i)}: ${i.message}`) ?? []
// A real bcrypt hash (htpasswd -nBC 10): 22 characters of salt, 31 of hash.
const hash = "$2y$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"

describe("tlsServerField", () => {
  it("is optional; takes a certificate and a key file, both non-empty", () => {
    expect(v.parse(schema, {})).toEqual({})
    expect(v.parse(schema, { tls: { certFile: "c.pem", keyFile: "k.pem" } })).toEqual({ tls: { certFile: "c.pem", keyFile: "k.pem" } })
    expect(issues({ tls: { certFile: "", keyFile: "k.pem" } })).toHaveLength(1)
    expect(issues({ tls: { certFile: "", keyFile: "k.pem" } })[0]).toStartWith("tls.certFile: ")
    expect(issues({ tls: { certFile: "c.pem", keyFile: "" } })[0]).toStartWith("tls.keyFile: ")
    expect(issues({ tls: { certFile: "c.pem" } })[0]).toStartWith("tls.keyFile: ")
  })

  it("describes itself and its keys (the config reference is made from these)", () => {
    const json = JSON.stringify(tlsServerField())
    expect(json).toContain("Serve HTTPS with this certificate and key.")
    expect(json).toContain("The certificate (chain), PEM; relative to the config file's folder.")
    expect(json).toContain("Its private key, PEM; relative to the config file's folder.")
  })
})

describe("basicAuthField", () => {
  it("takes a user and a bcrypt hash of the $2, $2a, $2b and $2y kinds", () => {
    for (const kind of ["$2$", "$2a$", "$2b$", "$2y$"]) {
      const passwordHash = hash.replace("$2y$", kind)
      expect(v.parse(schema, { basicAuth: { user: "prom", passwordHash } })).toEqual({ basicAuth: { user: "prom", passwordHash } })
    }
  })

  it("refuses an empty user, a plain password, and a hash of another length, kind or alphabet, saying what to run", () => {
    expect(issues({ basicAuth: { user: "", passwordHash: hash } })[0]).toStartWith("basicAuth.user: ")
    const wrong = [
      "secret",
      hash.slice(0, -1), // 52 characters after the cost
      `${hash}x`, // 54
      hash.replace("$2y$", "$2x$"),
      hash.replace("$2y$", "$1$"),
      hash.replace("$10$", "$1$"),
      hash.replace("$10$", "$100$"),
      `${hash.slice(0, -1)}!`,
      ` ${hash}`,
      hash.replace("$2y$10$", "$2y$10"),
    ]
    for (const passwordHash of wrong)
      expect(issues({ basicAuth: { user: "prom", passwordHash } })).toEqual([
        "basicAuth.passwordHash: must be a bcrypt hash ($2y$10$...), e.g. from htpasswd -nBC 10 user",
      ])
  })

  it("describes itself; the user's description is the caller's, with a default", () => {
    const json = JSON.stringify(basicAuthField("Who scrapes."))
    expect(json).toContain("Who scrapes.")
    expect(json).toContain("Require HTTP basic auth (use it with `tls`, or the password crosses the network readable).")
    expect(json).toContain("htpasswd -nBC 10 prometheus")
    expect(JSON.stringify(basicAuthField())).toContain("The user name.")
  })
})
