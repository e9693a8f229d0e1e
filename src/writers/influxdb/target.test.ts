import { describe, expect, it } from "bun:test"
import { createDatabaseStatement, influxOutcome, resolveTarget } from "./target.ts"

const basic = (text: string) => `Basic ${Buffer.from(text).toString("base64")}`

describe("resolveTarget", () => {
  it("v1: /write?db=&precision= (and rp=), base without trailing slashes, query or hash; no credentials, no header", () => {
    expect(resolveTarget({ url: "http://influx:8086//?x=1#h", database: "d b", precision: "s" })).toEqual({
      version: 1,
      writeUrl: "http://influx:8086/write?db=d+b&precision=s",
      display: "http://influx:8086",
      base: "http://influx:8086",
      headers: {},
      secrets: [],
    })
    const rp = resolveTarget({ url: "https://influx/", database: "d", retentionPolicy: "week", precision: "ms" })
    expect(rp).toMatchObject({ writeUrl: "https://influx/write?db=d&precision=ms&rp=week" })
    expect(resolveTarget({ url: "https://influx/", database: "d", retentionPolicy: "", precision: "ms" })).toMatchObject({
      writeUrl: "https://influx/write?db=d&precision=ms",
    })
  })

  it("v1 credentials: user/password as basic auth, a token as Token (it wins); URL userinfo decoded, masked, options win over it", () => {
    expect(resolveTarget({ url: "http://i", database: "d", user: "u", password: "p", precision: "ms" })).toMatchObject({
      headers: { authorization: basic("u:p") },
      secrets: ["p"],
    })
    expect(resolveTarget({ url: "http://i", database: "d", user: "u", precision: "ms" })).toMatchObject({
      headers: { authorization: basic("u:") },
      secrets: [],
    })
    expect(resolveTarget({ url: "http://i", database: "d", user: "u", password: "p", token: "t", precision: "ms" })).toMatchObject({
      headers: { authorization: "Token t" },
      secrets: ["p", "t"],
    })
    expect(resolveTarget({ url: "http://al%20ice:p%40ss@i:1/", database: "d", precision: "ms" })).toEqual({
      version: 1,
      writeUrl: "http://i:1/write?db=d&precision=ms",
      display: "http://***@i:1",
      base: "http://i:1",
      headers: { authorization: basic("al ice:p@ss") },
      secrets: ["p@ss"],
    })
    expect(resolveTarget({ url: "http://x:y@i", database: "d", user: "u", password: "p", precision: "ms" })).toMatchObject({
      headers: { authorization: basic("u:p") },
    })
    // Only a password in the URL: the user is empty.
    expect(resolveTarget({ url: "http://:pw@i", database: "d", precision: "ms" })).toMatchObject({
      headers: { authorization: basic(":pw") },
    })
  })

  it("v2: /api/v2/write?org=&bucket=&precision=, Authorization: Token, or no header without a token", () => {
    expect(resolveTarget({ url: "http://i:8086", org: "o", bucket: "b", token: "t", precision: "s" })).toEqual({
      version: 2,
      writeUrl: "http://i:8086/api/v2/write?org=o&bucket=b&precision=s",
      display: "http://i:8086",
      base: "http://i:8086",
      headers: { authorization: "Token t" },
      secrets: ["t"],
    })
    expect(resolveTarget({ url: "http://i", org: "o", bucket: "b", precision: "ms" })).toMatchObject({
      version: 2,
      headers: {},
      secrets: [],
    })
  })

  it("says what is wrong", () => {
    const problem = (options: Parameters<typeof resolveTarget>[0]) => (resolveTarget(options) as { problem?: string }).problem
    expect(problem({ url: "not a url", database: "d", precision: "ms" })).toBe("url: must be an http(s) URL such as http://influxdb:8086")
    expect(problem({ url: "ftp://i", database: "d", precision: "ms" })).toBe("url: must start with http:// or https://")
    expect(problem({ url: "http://i", precision: "ms" })).toBe("give database (InfluxDB 1.x) or org and bucket (InfluxDB 2.x)")
    expect(problem({ url: "http://i", database: "", precision: "ms" })).toBe(
      "give database (InfluxDB 1.x) or org and bucket (InfluxDB 2.x)",
    )
    expect(problem({ url: "http://i", database: "d", bucket: "b", org: "o", precision: "ms" })).toBe(
      "give either database (InfluxDB 1.x) or org and bucket (InfluxDB 2.x), not both",
    )
    for (const half of [{ bucket: "b" }, { org: "o" }, { bucket: "", org: "o" }, { bucket: "b", org: "" }])
      expect(problem({ url: "http://i", ...half, precision: "ms" })).toBe("InfluxDB 2.x needs both org and bucket")
    expect(problem({ url: "http://i", org: "o", bucket: "b", user: "u", precision: "ms" })).toBe(
      "user and password are for InfluxDB 1.x; InfluxDB 2.x takes a token",
    )
    expect(problem({ url: "http://u:p@i", org: "o", bucket: "b", precision: "ms" })).toBe(
      "user and password are for InfluxDB 1.x; InfluxDB 2.x takes a token",
    )
  })
})

describe("createDatabaseStatement", () => {
  it("quotes the name, escaping backslashes and double quotes", () => {
    expect(createDatabaseStatement("plain")).toBe('CREATE DATABASE "plain"')
    expect(createDatabaseStatement('a\\b"c\\"')).toBe('CREATE DATABASE "a\\\\b\\"c\\\\\\""')
  })
})

describe("influxOutcome", () => {
  it("404: v1 with a database names CREATE DATABASE; otherwise the bucket and the body; queued (retried)", () => {
    expect(influxOutcome(404, "x", { database: "d", version: 1 })).toEqual({
      ok: false,
      retry: true,
      why: 'database "d" does not exist (HTTP 404): create it with CREATE DATABASE "d" (or set createDatabase: true); the points stay queued until it exists',
    })
    expect(influxOutcome(404, "no bucket", { bucket: "b", version: 2 })).toEqual({
      ok: false,
      retry: true,
      why: 'bucket "b" or its org does not exist (HTTP 404: no bucket); the points stay queued until it exists',
    })
    expect(influxOutcome(404, "nf", { version: 1 })).toMatchObject({ retry: true, why: expect.stringContaining("HTTP 404: nf") })
  })

  it("401 and 403: rejected, not retried, naming the credentials to check; the body only when there is one", () => {
    expect(influxOutcome(401, "", { version: 1 })).toEqual({
      ok: false,
      retry: false,
      why: "InfluxDB refused the credentials (HTTP 401): check user and password",
    })
    expect(influxOutcome(403, "denied", { version: 2 })).toEqual({
      ok: false,
      retry: false,
      why: "InfluxDB refused the credentials (HTTP 403: denied): check the token (and that it may write to the bucket)",
    })
  })

  it("anything else is left to the generic HTTP mapping", () => {
    for (const status of [200, 204, 400, 402, 405, 500, 503])
      expect(influxOutcome(status, "b", { database: "d", version: 1 })).toBeUndefined()
  })
})
