/** lib/protocols/basic-auth.ts: HTTP basic auth against a bcrypt hash, a verified header remembered (bounded). */
import { afterEach, describe, expect, it, spyOn } from "bun:test"
import { BasicAuth, parseBasic } from "./basic-auth.ts"

const basic = (user: string, password: string, space = " ") => `Basic${space}${Buffer.from(`${user}:${password}`).toString("base64")}`
const hash = await Bun.password.hash("s3cret:pw", { algorithm: "bcrypt", cost: 4 })

describe("BasicAuth", () => {
  const spies: { mockRestore(): void }[] = []
  afterEach(() => spies.splice(0).forEach((spy) => spy.mockRestore()))

  it("accepts the right user and password only", async () => {
    const auth = new BasicAuth("prom", hash)
    expect(await auth.check(basic("prom", "s3cret:pw"))).toBe(true)
    expect(await auth.check(basic("prom", "wrong"))).toBe(false)
    expect(await auth.check(basic("other", "s3cret:pw"))).toBe(false)
    expect(await auth.check(null)).toBe(false)
    expect(await auth.check("Bearer abc")).toBe(false)
  })

  it("a header that verified once is not hashed again; a wrong one always is", async () => {
    const verify = spyOn(Bun.password, "verify")
    spies.push(verify)
    const auth = new BasicAuth("prom", hash)
    for (let i = 0; i < 3; i++) expect(await auth.check(basic("prom", "s3cret:pw"))).toBe(true)
    expect(verify).toHaveBeenCalledTimes(1)
    for (let i = 0; i < 3; i++) expect(await auth.check(basic("prom", "nope"))).toBe(false)
    expect(verify).toHaveBeenCalledTimes(4)
  })

  it("remembers a bounded number of headers: past 17 it starts over", async () => {
    const verify = spyOn(Bun.password, "verify")
    spies.push(verify)
    const auth = new BasicAuth("prom", hash)
    // The same credentials written with 1 to 18 spaces: 18 distinct valid headers.
    const headers = Array.from({ length: 18 }, (_, i) => basic("prom", "s3cret:pw", " ".repeat(i + 1)))
    for (const header of headers) expect(await auth.check(header)).toBe(true)
    expect(verify).toHaveBeenCalledTimes(18)
    expect(await auth.check(headers[17]!)).toBe(true) // remembered after the clear
    expect(await auth.check(headers[0]!)).toBe(true) // forgotten with the clear: verified again
    expect(verify).toHaveBeenCalledTimes(19)
  })
})

describe("parseBasic", () => {
  it("the scheme in any case; the password is everything after the first colon", () => {
    expect(parseBasic(basic("u", "p:w:x"))).toEqual({ user: "u", password: "p:w:x" })
    expect(parseBasic(basic("u", "p").replace("Basic", "basic"))).toEqual({ user: "u", password: "p" })
    expect(parseBasic(basic("u", ""))).toEqual({ user: "u", password: "" })
  })
  it("no colon, bad base64 or another scheme: undefined", () => {
    expect(parseBasic(`Basic ${Buffer.from("nocolon").toString("base64")}`)).toBeUndefined()
    expect(parseBasic("Basic !!!")).toBeUndefined()
    expect(parseBasic("Digest abc")).toBeUndefined()
  })
})
