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

describe("BasicAuth, edges", () => {
  const spies: { mockRestore(): void }[] = []
  afterEach(() => spies.splice(0).forEach((spy) => spy.mockRestore()))

  it("remembers up to 17 headers all at once; the 18th starts over", async () => {
    const verify = spyOn(Bun.password, "verify")
    spies.push(verify)
    const auth = new BasicAuth("prom", hash)
    const headers = Array.from({ length: 18 }, (_, i) => basic("prom", "s3cret:pw", " ".repeat(i + 1)))
    for (const header of headers.slice(0, 17)) expect(await auth.check(header)).toBe(true)
    for (const header of headers.slice(0, 17)) expect(await auth.check(header)).toBe(true)
    expect(verify).toHaveBeenCalledTimes(17)
    expect(await auth.check(headers[17]!)).toBe(true)
    expect(await auth.check(headers[17]!)).toBe(true)
    expect(verify).toHaveBeenCalledTimes(18)
    expect(await auth.check(headers[16]!)).toBe(true)
    expect(verify).toHaveBeenCalledTimes(19)
  })

  it("a hash bcrypt cannot read refuses every password, never throws", async () => {
    const auth = new BasicAuth("prom", "not-a-hash")
    expect(await auth.check(basic("prom", "s3cret:pw"))).toBe(false)
    expect(await auth.check("")).toBe(false)
  })

  it("an empty user name is a user name", async () => {
    const auth = new BasicAuth("", hash)
    expect(await auth.check(basic("", "s3cret:pw"))).toBe(true)
  })
})

describe("parseBasic", () => {
  it("the whole header is the scheme and the base64, trailing spaces allowed, nothing else", () => {
    const b64 = Buffer.from("u:p").toString("base64")
    expect(parseBasic(`Basic ${b64}  `)).toEqual({ user: "u", password: "p" })
    expect(parseBasic(`Basic ${b64} trailing`)).toBeUndefined()
    expect(parseBasic(`Basic ${b64}!`)).toBeUndefined()
    expect(parseBasic(`XBasic ${b64}`)).toBeUndefined()
    expect(parseBasic(`Bearer x, Basic ${b64}`)).toBeUndefined()
    expect(parseBasic(`Basic ${Buffer.from(":pw").toString("base64")}`)).toEqual({ user: "", password: "pw" })
  })

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
