import { describe, expect, it } from "bun:test"
import { createHash } from "node:crypto"
import { DigestSession, digestAuthorization, digestResponse, parseAuthParams, parseDigestChallenges } from "./http-digest.ts"

// RFC 7616 section 3.9.1: the same request answered with SHA-256 and with MD5.
const RFC7616 = {
  username: "Mufasa",
  password: "Circle of Life",
  method: "GET",
  uri: "/dir/index.html",
  nc: 1,
  cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
}
const RFC7616_HEADER =
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", ' +
  'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'

describe("http-digest", () => {
  it("parses both challenges of RFC 7616's example, SHA-256 first", () => {
    const [sha, md5] = parseDigestChallenges(RFC7616_HEADER)
    expect(sha).toMatchObject({ algorithm: "SHA-256", realm: "http-auth@example.org", qop: ["auth", "auth-int"], stale: false })
    expect(md5?.algorithm).toBe("MD5")
    expect(md5?.opaque).toBe("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")
  })

  it("SHA-256 is preferred whichever order the server offers the challenges in", () => {
    const header = 'Digest realm="r", nonce="n1", algorithm=MD5, Digest realm="r", nonce="n2", algorithm=SHA-256-sess'
    expect(parseDigestChallenges(header).map((c) => c.algorithm)).toEqual(["SHA-256-SESS", "MD5"])
    const session = new DigestSession("u", "p")
    session.accept(header)
    expect(parseAuthParams(session.authorization("GET", "/")!.slice(7))).toMatchObject({ algorithm: "SHA-256-sess", nonce: "n2" })
  })

  it("computes RFC 7616's SHA-256 and MD5 responses", () => {
    const [sha, md5] = parseDigestChallenges(RFC7616_HEADER)
    expect(digestResponse({ ...RFC7616, challenge: sha! })).toBe("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")
    expect(digestResponse({ ...RFC7616, challenge: md5! })).toBe("8ca523f5e9506fed4657c9700eebdbec")
  })

  it("computes RFC 2617's example (MD5, qop=auth)", () => {
    const [challenge] = parseDigestChallenges(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    )
    const input = {
      challenge: challenge!,
      username: "Mufasa",
      password: "Circle Of Life",
      method: "GET",
      uri: "/dir/index.html",
      nc: 1,
      cnonce: "0a4f113b",
    }
    expect(digestResponse(input)).toBe("6629fae49393a05397450978507c4ef1")
    const header = digestAuthorization(input)
    expect(header).toStartWith("Digest ")
    expect(parseAuthParams(header.slice(7))).toMatchObject({
      username: "Mufasa",
      uri: "/dir/index.html",
      qop: "auth",
      nc: "00000001",
      cnonce: "0a4f113b",
      response: "6629fae49393a05397450978507c4ef1",
      opaque: "5ccc069c403ebaf9f0171e9517f40e41",
    })
    expect(header).not.toContain("Circle Of Life")
  })

  it('escapes " and \\ in the user name, realm and uri (RFC 7616 quoted-string); the hashes use the raw values', () => {
    const [challenge] = parseDigestChallenges('Digest realm="the \\"lab\\" \\\\ one", nonce="n\\"1", qop="auth", opaque="o\\\\p"')
    expect(challenge).toMatchObject({ realm: 'the "lab" \\ one', nonce: 'n"1', opaque: "o\\p" })
    const input = { challenge: challenge!, username: 'Mu"fa\\sa', password: "pw", method: "GET", uri: '/a?q="x"\\', nc: 1, cnonce: "c" }
    const header = digestAuthorization(input)
    expect(header).toContain('username="Mu\\"fa\\\\sa"')
    expect(header).toContain('realm="the \\"lab\\" \\\\ one"')
    expect(header).toContain('nonce="n\\"1"')
    expect(header).toContain('uri="/a?q=\\"x\\"\\\\"')
    expect(header).toContain('opaque="o\\\\p"')
    // A server reading the header back gets every value as it was, and the response it computes matches.
    const back = parseAuthParams(header.slice("Digest ".length))
    expect(back).toMatchObject({ username: input.username, realm: 'the "lab" \\ one', nonce: 'n"1', uri: input.uri, opaque: "o\\p" })
    const md5 = (text: string) => createHash("md5").update(text).digest("hex")
    const ha1 = md5(`${input.username}:${challenge!.realm}:pw`)
    const ha2 = md5(`GET:${input.uri}`)
    expect(back.response).toBe(md5(`${ha1}:n"1:00000001:c:auth:${ha2}`))
  })

  it("ignores other schemes and unsupported algorithms", () => {
    expect(parseDigestChallenges('Basic realm="x"')).toEqual([])
    expect(parseDigestChallenges('Digest realm="x", nonce="n", algorithm=SHA-512-256')).toEqual([])
    expect(parseDigestChallenges('Digest realm="F!Box SOAP-Auth", nonce="ABC", algorithm=MD5, qop="auth", stale=true')[0]?.stale).toBe(true)
  })

  it("counts nc up per request with one challenge and resets it on a new one", () => {
    const session = new DigestSession("u", "p")
    expect(session.authorization("POST", "/x")).toBeUndefined()
    expect(session.accept('Digest realm="r", nonce="n1", qop="auth"')).toBe(true)
    const nc = (h?: string) => parseAuthParams(h!.slice(7)).nc
    expect(nc(session.authorization("POST", "/x"))).toBe("00000001")
    expect(nc(session.authorization("POST", "/x"))).toBe("00000002")
    session.accept('Digest realm="r", nonce="n2", qop="auth"')
    expect(nc(session.authorization("POST", "/x"))).toBe("00000001")
    expect(session.accept("Basic realm=x")).toBe(false)
  })
  it("the nonce count is 8 hex digits: the 10th request is 0000000a, the 256th 00000100", () => {
    const session = new DigestSession("u", "p")
    session.accept('Digest realm="r", nonce="n", qop="auth"')
    const counts = Array.from({ length: 256 }, () => parseAuthParams(session.authorization("GET", "/")!.slice(7)).nc)
    expect([counts[9], counts[14], counts[15], counts[255]]).toEqual(["0000000a", "0000000f", "00000010", "00000100"])
  })

  it("-sess algorithms hash the nonce and cnonce into HA1 (RFC 7616 section 3.4.2)", () => {
    const hash = (alg: string, text: string) => createHash(alg).update(text).digest("hex")
    for (const [algorithm, alg] of [
      ["MD5-sess", "md5"],
      ["SHA-256-sess", "sha256"],
    ] as const) {
      const [challenge] = parseDigestChallenges(`Digest realm="r", nonce="abc", qop="auth", algorithm=${algorithm}`)
      expect(challenge!.algorithm).toBe(algorithm.toUpperCase())
      const input = { challenge: challenge!, username: "u", password: "p", method: "GET", uri: "/x", nc: 1, cnonce: "cn" }
      const ha1 = hash(alg, `${hash(alg, "u:r:p")}:abc:cn`)
      const ha2 = hash(alg, "GET:/x")
      expect(digestResponse(input)).toBe(hash(alg, `${ha1}:abc:00000001:cn:auth:${ha2}`))
      expect(parseAuthParams(digestAuthorization(input).slice(7)).algorithm).toBe(algorithm)
    }
  })

  it("no qop (RFC 2069 style): response = H(HA1:nonce:HA2), and no qop, nc or cnonce are sent", () => {
    const [challenge] = parseDigestChallenges('Digest realm="r", nonce="abc"')
    const input = { challenge: challenge!, username: "u", password: "p", method: "GET", uri: "/x", nc: 1, cnonce: "cn" }
    const md5 = (text: string) => createHash("md5").update(text).digest("hex")
    expect(digestResponse(input)).toBe(md5(`${md5("u:r:p")}:abc:${md5("GET:/x")}`))
    const sent = parseAuthParams(digestAuthorization(input).slice(7))
    expect([sent.qop, sent.nc, sent.cnonce]).toEqual([undefined, undefined, undefined])
  })

  it("userhash=true sends H(username:realm) instead of the user name (RFC 7616 section 3.4.4)", () => {
    const [challenge] = parseDigestChallenges('Digest realm="r", nonce="abc", qop="auth", algorithm=SHA-256, userhash=TRUE')
    expect(challenge!.userhash).toBe(true)
    const input = { challenge: challenge!, username: "Mufasa", password: "p", method: "GET", uri: "/", nc: 1, cnonce: "c" }
    const header = digestAuthorization(input)
    const sent = parseAuthParams(header.slice(7))
    expect(sent.username).toBe(createHash("sha256").update("Mufasa:r").digest("hex"))
    expect(sent.userhash).toBe("true")
    expect(header).not.toContain("Mufasa")
  })

  it("stale and userhash flags are read case-insensitively, absent means false", () => {
    const parse = (extra: string) => parseDigestChallenges(`Digest realm="r", nonce="n"${extra}`)[0]!
    expect([parse(", stale=TRUE").stale, parse(', stale="true"').stale, parse(", stale=false").stale, parse("").stale]).toEqual([
      true,
      true,
      false,
      false,
    ])
    expect(parse("").userhash).toBe(false)
    const session = new DigestSession("u", "p")
    session.accept('Digest realm="r", nonce="n2", stale=True')
    expect(session.stale).toBe(true)
  })

  it("splits challenges at a comma with no, one or two blanks before the next Digest", () => {
    for (const glue of [",", ", ", ",  ", " ,\t"]) {
      const header = `Digest realm="a", nonce="1", algorithm=MD5${glue}Digest realm="b", nonce="2", algorithm=SHA-256`
      expect(parseDigestChallenges(header).map((c) => [c.realm, c.nonce])).toEqual([
        ["b", "2"],
        ["a", "1"],
      ])
    }
  })

  it("a challenge of another scheme is never read as Digest, even with `Digest ` inside it", () => {
    expect(parseDigestChallenges('Basic realm="Digest realm=r, nonce=n"')).toEqual([])
    expect(parseDigestChallenges('XDigest realm="r", nonce="n"')).toEqual([])
    expect(parseDigestChallenges('Basic realm="x", Digest realm="r", nonce="n"').map((c) => c.realm)).toEqual(["r"])
    expect(parseDigestChallenges('  Digest realm="r", nonce="n"').map((c) => c.realm)).toEqual(["r"])
  })

  it("a Digest challenge without realm or nonce is skipped, the next one taken", () => {
    expect(parseDigestChallenges('Digest nonce="n"')).toEqual([])
    expect(parseDigestChallenges('Digest realm="r"')).toEqual([])
    expect(parseDigestChallenges("Digest qop=auth")).toEqual([])
    expect(parseDigestChallenges('Digest realm="", nonce=""')).toMatchObject([{ realm: "", nonce: "" }])
    const [only, ...rest] = parseDigestChallenges('Digest realm="r", Digest nonce="n", Digest realm="ok", nonce="n3"')
    expect(rest).toEqual([])
    expect(only).toMatchObject({ realm: "ok", nonce: "n3" })
  })

  it("the algorithm parameter is sent as the server named it (MD5, SHA-256, -sess lower case)", () => {
    const header = (algorithm: string) =>
      parseAuthParams(
        digestAuthorization({
          ...RFC7616,
          challenge: parseDigestChallenges(`Digest realm="r", nonce="n", algorithm=${algorithm}`)[0]!,
        }).slice(7),
      ).algorithm
    expect(header("MD5")).toBe("MD5")
    expect(header("md5")).toBe("MD5")
    expect(header("MD5-sess")).toBe("MD5-sess")
    expect(header("SHA-256")).toBe("SHA-256")
    expect(header("sha-256-SESS")).toBe("SHA-256-sess")
    const noAlgorithm = digestAuthorization({ ...RFC7616, challenge: parseDigestChallenges('Digest realm="r", nonce="n"')[0]! })
    expect(noAlgorithm).toContain(", algorithm=MD5, ")
  })

  it("userhash=true is sent only when the server asked for it; opaque only when it sent one", () => {
    const plain = digestAuthorization({ ...RFC7616, challenge: parseDigestChallenges('Digest realm="r", nonce="n", qop="auth"')[0]! })
    expect(plain).not.toContain("userhash")
    expect(plain).not.toContain("opaque")
    expect(parseAuthParams(plain.slice(7)).username).toBe("Mufasa")
    const hashed = digestAuthorization({ ...RFC7616, challenge: parseDigestChallenges('Digest realm="r", nonce="n", userhash=true')[0]! })
    expect(parseAuthParams(hashed.slice(7)).userhash).toBe("true")
  })

  it("a session has no challenge and is not stale until a 401 offers one; forget() drops it", () => {
    const session = new DigestSession("u", "p")
    expect(session.hasChallenge).toBe(false)
    expect(session.stale).toBe(false)
    expect(session.authorization("GET", "/")).toBeUndefined()
    expect(session.accept(null)).toBe(false)
    expect(session.accept('Basic realm="r"')).toBe(false)
    expect(session.hasChallenge).toBe(false)
    expect(session.accept('Digest realm="r", nonce="n", qop="auth", stale=true')).toBe(true)
    expect(session.hasChallenge).toBe(true)
    expect(session.stale).toBe(true)
    expect(parseAuthParams(session.authorization("GET", "/")!.slice(7)).nc).toBe("00000001")
    // A later 401 we cannot answer keeps the challenge we have.
    expect(session.accept('Digest realm="r", nonce="n", algorithm=SHA-512')).toBe(false)
    expect(session.hasChallenge).toBe(true)
    expect(parseAuthParams(session.authorization("GET", "/")!.slice(7)).nc).toBe("00000002")
    session.forget()
    expect(session.hasChallenge).toBe(false)
    expect(session.stale).toBe(false)
    expect(session.authorization("GET", "/")).toBeUndefined()
    session.forget()
    expect(session.hasChallenge).toBe(false)
  })
})
