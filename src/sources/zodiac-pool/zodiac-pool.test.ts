import { describe, expect, it } from "bun:test"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl, serveFake } from "../../../test/helpers/fake-server.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { exposedSeries, pollectExposition } from "../../../test/helpers/python-1.2.ts"
import { sign, ZodiacCloud, ZodiacError } from "./cloud.ts"
import { type FakeCloudData, startFakeCloud } from "./fake-cloud.ts"
import { ZodiacPoolSource } from "./index.ts"
import { cycleMinutes, type Robot, remainingSeconds, robotOf, serialsOf } from "./robot.ts"
import { jwtExpiry, loadSession } from "./token.ts"

const dir = import.meta.dir
const data = JSON.parse(readFileSync(join(dir, "testdata/alpha63/cloud.json"), "utf8")) as FakeCloudData
/** The shadows' `ts`: the robot JT21000123 started its smart clean (160 min) an hour before. */
const T0 = 1717228800_000

function cloud(d: FakeCloudData = data) {
  const fake = startFakeCloud(d)
  fake.now = () => clock.now
  return fake
}
const clock = { now: T0 }

function source(baseUrl: string, fields: Record<string, unknown> = {}, options: { stateDir?: string; log?: string[] } = {}) {
  const s = makeSource<ZodiacPoolSource>(
    ZodiacPoolSource,
    { type: "ZodiacPool", user: data.account.email, password: data.account.password, baseUrl, ...fields },
    options,
  )
  s.clock = () => clock.now
  return s
}

async function failure(promise: unknown): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  throw new Error("the probe did not fail")
}

sourceConformance({
  type: "ZodiacPool",
  cls: ZodiacPoolSource,
  dir,
  // testdata/<case>/cloud.json served by the fake cloud, which stands in for config.json's baseUrl.
  golden: async (testCase) => {
    clock.now = T0
    const fake = cloud(JSON.parse(readFileSync(join(testCase.dir, "cloud.json"), "utf8")))
    try {
      const pool = makeSource<ZodiacPoolSource>(ZodiacPoolSource, { ...testCase.config, baseUrl: fake.url })
      pool.clock = () => clock.now
      const first = await pool.probe()
      clock.now += 600_000
      return [first, await pool.probe()]
    } finally {
      await fake.stop()
    }
  },
  failing: {
    config: { type: "ZodiacPool", user: "pool@example.com", password: "x", baseUrl: await downServerUrl() },
    message: /^login: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
  },
})

describe("ZodiacPool: side by side with pollect 1.2", () => {
  it("gives the series names and labels 1.2 served for the same cloud answers (testdata/python-1.2)", async () => {
    clock.now = T0
    const fake = cloud()
    try {
      const result = resultOf(await source(fake.url).probe(), { type: "ZodiacPool" })
      const python = exposedSeries(readFileSync(join(dir, "testdata/python-1.2/metrics.txt"), "utf8"))
      const ours = exposedSeries(pollectExposition([result]))
      expect([...ours.keys()].sort()).toEqual([...python.keys()].sort())
      expect(python.size).toBe(8)
      // 1.2 ran in 2026 against a cycle started in 2024; all but remaining_time of a running robot agree.
      for (const [key, value] of python) if (!key.includes('remaining_time{device_serial="JT21000123"')) expect(ours.get(key)).toBe(value)
      expect(ours.get('pollect_ZodiacPool_remaining_time{device_serial="JT21000123"}')).toBe(6000)
    } finally {
      await fake.stop()
    }
  })
})

describe("ZodiacPool: sign-in and tokens", () => {
  it("signs in once and reuses the id token across probes", async () => {
    clock.now = T0
    const fake = cloud()
    try {
      const pool = source(fake.url)
      for (let i = 0; i < 4; i++) {
        await pool.probe()
        clock.now += 60_000
      }
      expect(fake.logins()).toBe(1)
      expect(fake.refreshes()).toBe(0)
      const list = fake.seen("/v2/devices.json")
      expect(list.length).toBe(4)
      expect(list[0]!.headers.get("api_key")).toBe("EOOEMOW4YR6QNB07")
    } finally {
      await fake.stop()
    }
  })

  it("a restart reuses the cached tokens (stateDir, mode 0600, no password in it)", async () => {
    clock.now = T0
    const fake = cloud()
    const stateDir = tempDir()
    try {
      await source(fake.url, {}, { stateDir }).probe()
      const again = source(fake.url, {}, { stateDir })
      await again.probe()
      expect(again.calls).toEqual({ logins: 0, refreshes: 0 })
      expect(fake.logins()).toBe(1)
      const [file] = [...new Bun.Glob("zodiac-pool-*.json").scanSync(stateDir)]
      expect(statSync(join(stateDir, file!)).mode & 0o777).toBe(0o600)
      expect(readFileSync(join(stateDir, file!), "utf8")).not.toContain(data.account.password)
      // Another account's cache is not used.
      const other = source(fake.url, { user: "other@example.com" }, { stateDir })
      expect(await failure(other.probe())).toContain("the cloud refused the sign-in of other@example.com")
    } finally {
      await fake.stop()
    }
  })

  it("refreshes the id token before it expires, keeps the refresh token, and caches the new one", async () => {
    clock.now = T0
    const fake = cloud()
    fake.ttlSeconds = 900
    const stateDir = tempDir()
    try {
      const pool = source(fake.url, {}, { stateDir })
      await pool.probe()
      clock.now += 500_000 // 400 s left: no refresh yet
      await pool.probe()
      expect(fake.refreshes()).toBe(0)
      clock.now += 200_000 // 200 s left: refresh
      await pool.probe()
      expect(fake.refreshes()).toBe(1)
      const refresh = fake.seen("/users/v1/refresh")[0]!
      expect(Object.keys(JSON.parse(refresh.body)).sort()).toEqual(["email", "refresh_token"])
      clock.now += 800_000 // the refreshed token has 100 s left: the kept refresh token works again
      await pool.probe()
      expect(fake.refreshes()).toBe(2)
      expect(fake.logins()).toBe(1)
      const restarted = source(fake.url, {}, { stateDir })
      await restarted.probe()
      expect(restarted.calls).toEqual({ logins: 0, refreshes: 0 })
    } finally {
      await fake.stop()
    }
  })

  it("tokens the cloud revoked: one sign-in again, then the values", async () => {
    clock.now = T0
    const fake = cloud()
    try {
      const pool = source(fake.url)
      await pool.probe()
      fake.revokeAll()
      const sets = await pool.probe()
      expect(sets.flatMap((set) => set.values).length).toBe(8)
      expect(fake.logins()).toBe(2)
    } finally {
      await fake.stop()
    }
  })

  it("a wrong password: one clear error, and no new sign-in for 15 minutes", async () => {
    clock.now = T0
    const fake = cloud()
    const log: string[] = []
    try {
      const pool = source(fake.url, { password: "wrong-password" }, { log })
      const first = await failure(pool.probe())
      expect(first).toBe(
        "the cloud refused the sign-in of pool@example.com (login: HTTP 401 (Incorrect username or password.)): check user and password (no new sign-in for 15 min)",
      )
      for (let i = 0; i < 3; i++) {
        clock.now += 60_000
        expect(await failure(pool.probe())).toBe(first)
      }
      expect(fake.seen("/users/v1/login").length).toBe(1)
      clock.now += 15 * 60_000
      await failure(pool.probe())
      expect(fake.seen("/users/v1/login").length).toBe(2)
      for (const line of log) expect(line).not.toContain("wrong-password")
    } finally {
      await fake.stop()
    }
  })

  it("a cloud that is down fails every probe with the same message (logged once by the executor)", async () => {
    clock.now = T0
    const fake = cloud()
    const pool = source(fake.url)
    await pool.probe()
    await fake.stop()
    const first = await failure(pool.probe())
    expect(first).toMatch(/^device list: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/)
    expect(await failure(pool.probe())).toBe(first)
  })

  it("tokens never reach the log", async () => {
    clock.now = T0
    const fake = cloud()
    const log: string[] = []
    try {
      const pool = source(fake.url, {}, { log })
      await pool.probe()
      fake.revokeAll()
      await pool.probe()
      const token = fake.seen("/v2/devices.json").at(-1)!.headers.get("authorization")!
      expect(log.length).toBeGreaterThan(0)
      for (const line of log) {
        expect(line).not.toContain(token)
        expect(line).not.toContain(data.account.password)
      }
    } finally {
      await fake.stop()
    }
  })
})

describe("ZodiacPool: hostile answers", () => {
  const broken = (shadows: Record<string, unknown>, devices: unknown = data.devices): FakeCloudData =>
    ({ ...data, devices, shadows }) as FakeCloudData
  it("a device list that is not a list, a robot without a state: clear failures", async () => {
    clock.now = T0
    for (const [d, message] of [
      [broken(data.shadows, { devices: [] }), "device list: the answer is not a list"],
      [
        broken({ JT21000123: { state: { reported: { equipment: { robot: { state: "on" } } } } } }, [data.devices[0]]),
        'device JT21000123: the robot\'s "state" is not a number',
      ],
    ] as const) {
      const fake = cloud(d)
      try {
        expect(await failure(source(fake.url).probe())).toBe(message)
      } finally {
        await fake.stop()
      }
    }
  })

  it("a device without a robot is left out; an unknown program gives no remaining_time, warned once", async () => {
    clock.now = T0
    const robot = { state: 1, prCyc: 9, errorCode: 0, cycleStartTime: 1, durations: {} }
    const fake = cloud(broken({ JT21000123: { state: { reported: { equipment: { robot } } } }, JT21000456: { state: { reported: {} } } }))
    const log: string[] = []
    try {
      const pool = source(fake.url, {}, { log })
      for (let i = 0; i < 2; i++) {
        const [state, cycle, errorCode, remaining] = await pool.probe()
        expect([state, cycle, errorCode].map((set) => set!.values.map((x) => x.labelValues[0]))).toEqual([
          ["JT21000123"],
          ["JT21000123"],
          ["JT21000123"],
        ])
        expect(remaining!.values).toEqual([])
      }
      expect(log.filter((l) => l.includes("program cycle 9")).length).toBe(1)
    } finally {
      await fake.stop()
    }
  })
})

describe("ZodiacPool: signatures and the cycle", () => {
  it("signs as 1.2 does (HMAC-SHA1 of the app's secret; vectors from Python's hmac)", () => {
    expect(sign("101234,1717228800")).toBe("db27bbd2c8fbdeb9329f0ba22309a0e864ced161")
    expect(sign("JT21000123,101234")).toBe("fc3c3614e13086717d1ee98a6f11e15e7e1d37d4")
  })

  it("remaining time per program, as 1.2's test_ZodiacApi (smart clean 160 min started 1 h ago → 100 min)", () => {
    const robot: Robot = {
      state: 1,
      prCyc: 2,
      errorCode: 0,
      cycleStartTime: 1000,
      firstSmrtFlag: 0,
      durations: { smartTim: 160, firstSmartTim: 150, quickTim: 90 },
    }
    expect(remainingSeconds(robot, 1000 + 3600)).toBe(100 * 60)
    expect(remainingSeconds({ ...robot, firstSmrtFlag: 1 }, 1000 + 3600)).toBe(90 * 60)
    expect(remainingSeconds({ ...robot, prCyc: 1 }, 1000)).toBe(90 * 60)
    expect(remainingSeconds({ ...robot, state: 0 }, 1000)).toBe(-1)
    expect(remainingSeconds({ ...robot, prCyc: 7 }, 1000)).toBeUndefined()
    expect(robotOf({ state: {} }, "x")).toBeUndefined()
    expect(serialsOf([{ serial_number: "A1" }, { serial_number: "../etc" }, {}])).toEqual(["A1"])
  })

  it("reads a JWT's exp; anything else is 0 (then only a 401 signs in again)", () => {
    const payload = Buffer.from(JSON.stringify({ exp: 1717232400 })).toString("base64url")
    expect(jwtExpiry(`h.${payload}.s`)).toBe(1717232400)
    expect(jwtExpiry("opaque-token")).toBe(0)
    expect(jwtExpiry("h.!!!.s")).toBe(0)
  })
})

describe("ZodiacPool: the README's tables", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "ZodiacPool", aliases: [], cls: ZodiacPoolSource, dir, readme }, text)).toBe(text)
  })
})

describe("ZodiacPool: the cloud calls (a stub fetch)", () => {
  const login = { id: 101234, email: "pool@example.com", userPoolOAuth: { IdToken: "id-token", RefreshToken: "refresh-token" } }
  /** A ZodiacCloud whose fetch records each call and answers `answer` (a body, or a Response). */
  function stub(answer: unknown, baseUrl?: string) {
    const calls: { url: string; init: RequestInit }[] = []
    const zodiac = new ZodiacCloud({
      baseUrl,
      fetch: async (url, init = {}) => {
        calls.push({ url, init })
        if (answer instanceof Error) throw answer
        return answer instanceof Response ? answer : Response.json(answer)
      },
    })
    return { zodiac, calls }
  }
  const message = (promise: Promise<unknown>) =>
    promise.then(
      () => "resolved",
      (error: Error) => error.message,
    )

  it("the hosts of 1.2 unless baseUrl replaces them (trailing slashes dropped); JSON bodies say so", async () => {
    const { zodiac, calls } = stub(login)
    await zodiac.login("pool@example.com", "pw")
    await zodiac.refresh("pool@example.com", "r")
    await zodiac.devices(101234, "id-token", 1717228800)
    await zodiac.shadowOf("JT1", 101234, "id-token")
    expect(calls.map((c) => c.url.replace(/\?.*/, ""))).toEqual([
      "https://prod.zodiac-io.com/users/v1/login",
      "https://prod.zodiac-io.com/users/v1/refresh",
      "https://prm.iaqualink.net/v2/devices.json",
      "https://prod.zodiac-io.com/devices/v2/JT1/shadow",
    ])
    for (const call of calls.slice(0, 2)) expect(new Headers(call.init.headers).get("content-type")).toBe("application/json")
    const based = stub(login, "http://127.0.0.1:9//")
    await based.zodiac.login("pool@example.com", "pw")
    await based.zodiac.devices(1, "t", 0)
    expect(based.calls.map((c) => c.url.replace(/\?.*/, ""))).toEqual([
      "http://127.0.0.1:9/users/v1/login",
      "http://127.0.0.1:9/v2/devices.json",
    ])
  })

  it("the sign-in answer: a user id (number or string), an IdToken, a RefreshToken; the email if any", async () => {
    const answer = (body: unknown) =>
      stub(body)
        .zodiac.login("pool@example.com", "pw")
        .then(
          (a) => JSON.stringify(a),
          (error: Error) => error.message,
        )
    expect(await answer(login)).toBe(
      JSON.stringify({ id: 101234, email: "pool@example.com", idToken: "id-token", refreshToken: "refresh-token" }),
    )
    expect(JSON.parse(await answer({ ...login, id: "u-7", email: 5 }))).toMatchObject({ id: "u-7", email: "" })
    expect(JSON.parse(await answer({ ...login, id: 0, email: undefined }))).toMatchObject({ id: 0, email: "" })
    for (const [body, expected] of [
      [null, "login: the answer has no user id"],
      ["text", "login: the answer has no user id"],
      [{}, "login: the answer has no user id"],
      [{ ...login, id: "" }, "login: the answer has no user id"],
      [{ ...login, id: true }, "login: the answer has no user id"],
      [{ ...login, userPoolOAuth: null }, "login: the answer has no userPoolOAuth.IdToken"],
      [{ ...login, userPoolOAuth: [] }, "login: the answer has no userPoolOAuth.IdToken"],
      [{ ...login, userPoolOAuth: { RefreshToken: "r", IdToken: "" } }, "login: the answer has no userPoolOAuth.IdToken"],
      [{ ...login, userPoolOAuth: { RefreshToken: "r", IdToken: 5 } }, "login: the answer has no userPoolOAuth.IdToken"],
      [{ ...login, userPoolOAuth: { IdToken: "i" } }, "login: the answer has no userPoolOAuth.RefreshToken"],
      [{ ...login, userPoolOAuth: { IdToken: "i", RefreshToken: 5 } }, "login: the answer has no userPoolOAuth.RefreshToken"],
    ] as const) {
      expect([body, await answer(body)]).toEqual([body, expected])
    }
  })

  it("a refresh without a RefreshToken keeps the current one; its errors say token refresh", async () => {
    const { zodiac } = stub({ ...login, userPoolOAuth: { IdToken: "new-id", RefreshToken: "" } })
    expect(await zodiac.refresh("pool@example.com", "kept")).toMatchObject({ idToken: "new-id", refreshToken: "kept" })
    expect(await message(stub({ id: 1 }).zodiac.refresh("pool@example.com", "kept"))).toBe(
      "token refresh: the answer has no userPoolOAuth.IdToken",
    )
    expect(await message(stub(new Response("", { status: 502 })).zodiac.refresh("pool@example.com", "kept"))).toBe(
      "token refresh: HTTP 502",
    )
  })

  it("errors name the call: a status with the cloud's message (100 characters at most), not JSON, too large, unreachable", async () => {
    const long = "m".repeat(150)
    const shadow = (answer: unknown) => message(stub(answer).zodiac.shadowOf("JT1", 1, "t"))
    expect(await shadow(new Response("", { status: 500 }))).toBe("device JT1: HTTP 500")
    expect(await shadow(Response.json({ message: long }, { status: 500 }))).toBe(`device JT1: HTTP 500 (${"m".repeat(100)})`)
    expect(await shadow(new Response("<html>", { status: 200 }))).toBe("device JT1: the answer is not JSON (6 bytes)")
    expect(await shadow(new Response("x".repeat((1 << 20) + 1)))).toBe("device JT1: the answer is larger than 1048576 bytes")
    expect(await shadow(Object.assign(new Error("reset"), { code: "ECONNRESET" }))).toBe(
      "device JT1: cannot reach https://prod.zodiac-io.com (ECONNRESET)",
    )
    for (const name of ["AbortError", "TimeoutError"]) {
      const stop = new DOMException("stopped", name)
      expect(
        await stub(stop)
          .zodiac.devices(1, "t", 0)
          .catch((error: unknown) => error),
      ).toBe(stop)
    }
    const error = await stub(new Response("", { status: 500 }))
      .zodiac.devices(1, "t", 0)
      .catch((e: unknown) => e)
    expect([String(error), error instanceof ZodiacError && error.status]).toEqual(["ZodiacError: device list: HTTP 500", 500])
  })
})

describe("ZodiacPool: robots, serials and tokens, edge by edge", () => {
  const shadow = (robot: unknown) => ({ state: { reported: { equipment: { robot } } } })
  const base = { state: 1, prCyc: 0, errorCode: 0, cycleStartTime: 1000 }

  it("reads the robot: only finite durations, the smart flag, optional numbers 0 when not finite numbers", () => {
    const robot = robotOf(
      shadow({ ...base, firstSmrtFlag: 1, durations: { waterTim: 30, quickTim: "90", deepTim: Number.POSITIVE_INFINITY } }),
      "JT1",
    )
    expect(robot).toEqual({ ...base, firstSmrtFlag: 1, durations: { waterTim: 30 } })
    expect(robotOf(shadow({ ...base, cycleStartTime: "1000", firstSmrtFlag: Number.POSITIVE_INFINITY }), "JT1")).toMatchObject({
      cycleStartTime: 0,
      firstSmrtFlag: 0,
    })
    expect(() => robotOf(shadow(5), "JT1")).toThrow(new ZodiacError("device JT1: the shadow's robot is not an object"))
    expect(() => robotOf(shadow({ ...base, state: Number.POSITIVE_INFINITY }), "JT1")).toThrow('the robot\'s "state" is not a number')
    expect(robotOf({ state: null }, "JT1")).toBeUndefined()
    expect(robotOf(null, "JT1")).toBeUndefined()
  })

  it("each program's own duration (waterline, deep, custom), 0 when the robot has none", () => {
    const robot: Robot = {
      ...base,
      firstSmrtFlag: 0,
      durations: { waterTim: 30, quickTim: 90, smartTim: 160, deepTim: 120, customTim: 45 },
    }
    const minutes = (prCyc: number, durations = robot.durations) => cycleMinutes({ ...robot, prCyc, durations })
    expect([0, 1, 2, 3, 4, 5].map((prCyc) => minutes(prCyc))).toEqual([30, 90, 160, 120, 45, undefined])
    expect([0, 1, 2, 3, 4].map((prCyc) => minutes(prCyc, {}))).toEqual([0, 0, 0, 0, 0])
  })

  it("serials: strings of letters, digits, - and _ only, from the first 100 devices", () => {
    expect(serialsOf([{ serial_number: 12345 }, { serial_number: "A1 x" }, { serial_number: "A1/x" }, { serial_number: "a_B-9" }])).toEqual(
      ["a_B-9"],
    )
    const many = Array.from({ length: 150 }, (_, i) => ({ serial_number: `S${i}` }))
    expect(serialsOf(many)).toEqual(many.slice(0, 100).map((d) => d.serial_number))
  })

  it("a JWT's exp must be a finite number; a payload over 16 KiB is not read", () => {
    const token = (claims: string) => `h.${Buffer.from(claims).toString("base64url")}.s`
    expect(jwtExpiry(token('{"exp":"1717232400"}'))).toBe(0)
    expect(jwtExpiry(token('{"exp":1e999}'))).toBe(0)
    // 12 288 bytes are 16 384 base64url characters: still read; one byte more is not.
    const padded = (bytes: number) => token(`{"exp":1717232400,"p":"${"x".repeat(bytes - 25)}"}`)
    expect(padded(12_288).split(".")[1]!.length).toBe(16_384)
    expect(jwtExpiry(padded(12_288))).toBe(1717232400)
    expect(jwtExpiry(padded(12_289))).toBe(0)
  })

  it("a cached session: the configured user's, with string tokens and a number or string id; its email or the user", () => {
    const file = join(tempDir(), "session.json")
    const kept = { user: "pool@example.com", id: 101234, email: "Pool@Example.com", idToken: "i", refreshToken: "r", expires: 0 }
    const load = (fields: Record<string, unknown>) => {
      writeFileSync(file, JSON.stringify({ ...kept, ...fields }))
      return loadSession(file, "pool@example.com")
    }
    expect(load({})).toEqual(kept)
    expect(load({ id: "u-7", email: undefined })).toEqual({ ...kept, id: "u-7", email: "pool@example.com" })
    for (const wrong of [{ user: "other@example.com" }, { idToken: 5 }, { refreshToken: undefined }, { id: undefined }, { id: true }])
      expect([wrong, load(wrong)]).toEqual([wrong, undefined])
  })
})

describe("ZodiacPool: sign-in, refresh and the kept token, step by step", () => {
  /**
   * The fake cloud behind a front that answers a path itself when `override` returns a Response
   * (by path and the request's body), and passes everything else on.
   */
  function fronted(override: (path: string, body: string) => Response | undefined) {
    const real = cloud()
    const front = serveFake(async (request, url, body) => {
      const own = override(url.pathname, body)
      if (own) return own
      return fetch(real.url + url.pathname + url.search, {
        method: request.method,
        headers: request.headers,
        body: request.method === "POST" ? body : undefined,
      })
    })
    return { real, front, stop: () => Promise.all([real.stop(), front.stop()]) }
  }
  const opaque = (email = data.account.email) =>
    Response.json({ id: data.account.id, email, userPoolOAuth: { IdToken: "opaque", RefreshToken: "r" } })

  it("names the cache file by the user's hash and counts sign-ins; a kept session serves later probes too", async () => {
    clock.now = T0
    const fake = cloud()
    const stateDir = tempDir()
    try {
      const first = source(fake.url, {}, { stateDir })
      await first.probe()
      expect(first.calls).toEqual({ logins: 1, refreshes: 0 })
      const name = `zodiac-pool-${createHash("sha256").update(data.account.email).digest("hex").slice(0, 12)}.json`
      expect(readdirSync(stateDir)).toEqual([name])
      const again = source(fake.url, {}, { stateDir })
      await again.probe()
      await again.probe()
      expect(again.calls).toEqual({ logins: 0, refreshes: 0 })
    } finally {
      await fake.stop()
    }
  })

  it("a token without exp is never refreshed; one with exactly 300 s left is not refreshed yet", async () => {
    clock.now = T0
    const { front, stop } = fronted((path) =>
      path === "/users/v1/login" ? opaque() : path === "/v2/devices.json" ? Response.json([]) : undefined,
    )
    try {
      const pool = source(front.url)
      await pool.probe()
      clock.now += 3600_000
      await pool.probe()
      expect(pool.calls).toEqual({ logins: 1, refreshes: 0 })
    } finally {
      await stop()
    }
    const fake = cloud()
    fake.ttlSeconds = 900
    try {
      const pool = source(fake.url)
      await pool.probe()
      clock.now += 600_000
      await pool.probe()
      expect(pool.calls).toEqual({ logins: 1, refreshes: 0 })
      clock.now += 1000
      await pool.probe()
      expect(pool.calls).toEqual({ logins: 1, refreshes: 1 })
    } finally {
      await fake.stop()
    }
  })

  it("a fresh token the cloud refuses fails the probe: no second sign-in within it", async () => {
    clock.now = T0
    const { front, stop } = fronted((path) =>
      path === "/v2/devices.json" ? Response.json({ message: "The incoming token has expired" }, { status: 401 }) : undefined,
    )
    try {
      const pool = source(front.url)
      expect(await failure(pool.probe())).toBe("device list: HTTP 401 (The incoming token has expired)")
      expect(pool.calls).toEqual({ logins: 1, refreshes: 0 })
    } finally {
      await stop()
    }
  })

  it("a kept token that meets another error than a refusal is no reason to sign in again", async () => {
    clock.now = T0
    let broken = false
    const { front, stop } = fronted((path) => (broken && path === "/v2/devices.json" ? new Response("", { status: 500 }) : undefined))
    try {
      const pool = source(front.url)
      await pool.probe()
      broken = true
      expect(await failure(pool.probe())).toBe("device list: HTTP 500")
      expect(pool.calls).toEqual({ logins: 1, refreshes: 0 })
    } finally {
      await stop()
    }
  })

  it("a revoked kept token: said once in the log, one sign-in", async () => {
    clock.now = T0
    const fake = cloud()
    const log: string[] = []
    try {
      const pool = source(fake.url, {}, { log })
      await pool.probe()
      fake.revokeAll()
      await pool.probe()
      expect(log).toEqual([
        expect.stringContaining(
          "the cloud refused the kept token (device list: HTTP 401 (The incoming token has expired)); signing in again",
        ),
      ])
    } finally {
      await fake.stop()
    }
  })

  it("a refused refresh signs in with the password (logged); another refresh failure fails the probe", async () => {
    clock.now = T0
    const fake = cloud()
    fake.ttlSeconds = 900
    const log: string[] = []
    try {
      const pool = source(fake.url, {}, { log })
      await pool.probe()
      fake.revokeAll()
      clock.now += 700_000
      await pool.probe()
      expect(pool.calls).toEqual({ logins: 2, refreshes: 1 })
      expect(log).toEqual([
        expect.stringContaining("token refresh refused (token refresh: HTTP 401 (Refresh Token has been revoked)); signing in again"),
      ])
    } finally {
      await fake.stop()
    }
    let refreshFails = false
    const { front, stop } = fronted((path) =>
      refreshFails && path === "/users/v1/refresh" ? new Response("", { status: 503 }) : undefined,
    )
    try {
      clock.now = T0
      const pool = source(front.url)
      await pool.probe()
      refreshFails = true
      clock.now += 3500_000
      expect(await failure(pool.probe())).toBe("token refresh: HTTP 503")
      expect(pool.calls).toEqual({ logins: 1, refreshes: 1 })
    } finally {
      await stop()
    }
  })

  it("a refreshed token the cloud refuses fails the probe: no sign-in after it", async () => {
    clock.now = T0
    let refreshed = false
    const { front, real, stop } = fronted((path) => {
      if (path === "/users/v1/refresh") refreshed = true
      return refreshed && path === "/v2/devices.json" ? Response.json({ message: "nope" }, { status: 401 }) : undefined
    })
    real.ttlSeconds = 900
    try {
      const pool = source(front.url)
      await pool.probe()
      clock.now += 700_000
      expect(await failure(pool.probe())).toBe("device list: HTTP 401 (nope)")
      expect(pool.calls).toEqual({ logins: 1, refreshes: 1 })
    } finally {
      await stop()
    }
  })

  it("the refresh sends the account's email as the cloud gave it", async () => {
    clock.now = T0
    const exp = T0 / 1000 + 100
    const idToken = `h.${Buffer.from(JSON.stringify({ exp })).toString("base64url")}.s`
    const { front, stop } = fronted((path) => {
      if (path === "/users/v1/login")
        return Response.json({ id: data.account.id, email: "Pool@Example.com", userPoolOAuth: { IdToken: idToken, RefreshToken: "r" } })
      if (path === "/v2/devices.json") return Response.json([])
      if (path === "/users/v1/refresh") return new Response("", { status: 418 })
      return undefined
    })
    try {
      const pool = source(front.url)
      await pool.probe()
      expect(await failure(pool.probe())).toBe("token refresh: HTTP 418")
      expect(JSON.parse(front.seen("/users/v1/refresh")[0]!.body)).toEqual({ email: "Pool@Example.com", refresh_token: "r" })
    } finally {
      await stop()
    }
  })

  it("a sign-in that fails for another reason than a refusal is tried again on the next probe", async () => {
    clock.now = T0
    let down = true
    const { front, stop } = fronted((path) => (down && path === "/users/v1/login" ? new Response("", { status: 500 }) : undefined))
    try {
      const pool = source(front.url)
      expect(await failure(pool.probe())).toBe("login: HTTP 500")
      down = false
      clock.now += 60_000
      expect((await pool.probe()).length).toBe(4)
      expect(pool.calls.logins).toBe(2)
    } finally {
      await stop()
    }
  })

  it("after a refused sign-in the next one is tried exactly 15 minutes later", async () => {
    clock.now = T0
    const fake = cloud()
    try {
      const pool = source(fake.url, { password: "wrong-password" })
      await failure(pool.probe())
      clock.now += 15 * 60_000
      await failure(pool.probe())
      expect(fake.seen("/users/v1/login").length).toBe(2)
    } finally {
      await fake.stop()
    }
  })

  it("after a failed sign-in the kept (refused) tokens are not read and tried again", async () => {
    clock.now = T0
    let loginDown = false
    const { real, front, stop } = fronted((path) =>
      loginDown && path === "/users/v1/login" ? new Response("", { status: 500 }) : undefined,
    )
    const stateDir = tempDir()
    try {
      await source(front.url, {}, { stateDir }).probe()
      real.revokeAll()
      loginDown = true
      const pool = source(front.url, {}, { stateDir })
      expect(await failure(pool.probe())).toBe("login: HTTP 500")
      loginDown = false
      const before = front.seen("/v2/devices.json").length
      await pool.probe()
      expect(front.seen("/v2/devices.json").length - before).toBe(1)
    } finally {
      await stop()
    }
  })

  it("a state directory that cannot be written: a warning, and the session is kept in memory", async () => {
    clock.now = T0
    const fake = cloud()
    const log: string[] = []
    const file = join(tempDir(), "a-file")
    writeFileSync(file, "")
    try {
      const pool = source(fake.url, {}, { stateDir: file, log })
      await pool.probe()
      await pool.probe()
      expect(pool.calls.logins).toBe(1)
      expect(log.join("\n")).toContain("cannot write the state directory")
    } finally {
      await fake.stop()
    }
  })
})
