import { describe, expect, it } from "bun:test"
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
})
