import { describe, expect, it } from "bun:test"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { exposedSeries, pollectExposition } from "../../../test/helpers/python-1.2.ts"
import { sign } from "./cloud.ts"
import { type FakeCloudData, startFakeCloud } from "./fake-cloud.ts"
import { ZodiacPoolSource } from "./index.ts"
import { type Robot, remainingSeconds, robotOf, serialsOf } from "./robot.ts"
import { jwtExpiry } from "./token.ts"

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
