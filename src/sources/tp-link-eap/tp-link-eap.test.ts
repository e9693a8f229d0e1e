import { describe, expect, it } from "bun:test"
import { readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { type FakeEapState, startFakeEap } from "./fake-device.ts"
import { TpLinkEapSource } from "./index.ts"
import { EapSession, passwordHash, sessionCookie } from "./session.ts"
import { firstAccessPoint, radioCounters, sessionExpired } from "./answers.ts"

const dir = import.meta.dir
const state = JSON.parse(readFileSync(join(dir, "testdata/eap225/device.json"), "utf8")) as FakeEapState
const USER = "admin"
const PASSWORD = "s3cret-pass"

function device() {
  return startFakeEap({ user: USER, password: PASSWORD, state })
}

function source(url: string, fields: Record<string, unknown> = {}, options: { stateDir?: string; log?: string[] } = {}) {
  return makeSource<TpLinkEapSource>(TpLinkEapSource, { type: "TpLinkEap", url, user: USER, password: PASSWORD, ...fields }, options)
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
  type: "TpLinkEap",
  cls: TpLinkEapSource,
  dir,
  // testdata/<case>/device.json served by the fake device, which stands in for config.json's url.
  golden: async (testCase) => {
    const fake = startFakeEap({
      user: testCase.config.user as string,
      password: testCase.config.password as string,
      state: JSON.parse(readFileSync(join(testCase.dir, "device.json"), "utf8")),
    })
    try {
      const eap = makeSource<TpLinkEapSource>(TpLinkEapSource, { ...testCase.config, url: fake.url })
      return [await eap.probe(), await eap.probe()]
    } finally {
      await fake.stop()
    }
  },
  failing: {
    config: { type: "TpLinkEap", url: await downServerUrl(), user: USER, password: PASSWORD },
    message: /^http:\/\/127\.0\.0\.1:\d+: cannot reach the device \(index page\): ECONNREFUSED$/,
  },
})

describe("TpLinkEap: side by side with pollect 1.2", () => {
  it("gives the series names and labels 1.2 served for the same device (testdata/python-1.2)", async () => {
    const fake = device()
    try {
      const eap = source(fake.url, { name: "office" })
      const result = resultOf(await eap.probe(), { type: "TpLinkEap", name: "office" })
      const { python, ours } = sideBySide(readFileSync(join(dir, "testdata/python-1.2/metrics.txt"), "utf8"), pollectExposition([result]))
      expect(python.size).toBe(13)
      expect([...ours.keys()].sort()).toEqual([...python.keys()].sort())
      expect(ours).toEqual(python)
    } finally {
      await fake.stop()
    }
  })
})

describe("TpLinkEap: the one session", () => {
  it("logs in once as the UI does (MD5 upper-case hex, the index page's COOKIE, Referer) and reuses the session", async () => {
    const fake = device()
    try {
      const eap = source(fake.url)
      for (let i = 0; i < 5; i++) expect((await eap.probe()).length).toBe(4)
      expect(fake.logins()).toBe(1)
      expect(eap.logins).toBe(1)
      expect(fake.requests.filter((r) => r.path === "/").map((r) => r.method)).toEqual(["GET", "POST"])
      const login = fake.requests.find((r) => r.method === "POST")!
      expect(new URLSearchParams(login.body).get("username")).toBe(USER)
      expect(new URLSearchParams(login.body).get("password")).toBe(passwordHash(PASSWORD))
      expect(passwordHash("admin")).toBe("21232F297A57A5A743894A0E4A801FC3")
      expect(login.headers.get("cookie")).toBe("COOKIE=sid100000000")
      for (const r of fake.requests.filter((r) => r.path.startsWith("/data/"))) {
        expect(r.headers.get("referer")).toBe(fake.url)
        expect(r.headers.get("cookie")).toBe("COOKIE=sid100000000")
      }
      // 1 list + 2 radios per probe, nothing more.
      expect(fake.requests.filter((r) => r.path.startsWith("/data/")).length).toBe(15)
    } finally {
      await fake.stop()
    }
  })

  it("an expired session: one login again within the probe, then the values", async () => {
    const fake = device()
    try {
      const eap = source(fake.url)
      await eap.probe()
      fake.expire()
      const sets = await eap.probe()
      expect(sets[0]!.values[0]!.value).toBe(7)
      expect(fake.logins()).toBe(2)
      await eap.probe()
      expect(fake.logins()).toBe(2)
    } finally {
      await fake.stop()
    }
  })

  it("a restart reuses the session kept in stateDir (mode 0600) instead of logging in", async () => {
    const fake = device()
    const stateDir = tempDir()
    try {
      await source(fake.url, {}, { stateDir }).probe()
      const again = source(fake.url, {}, { stateDir })
      await again.probe()
      expect(again.logins).toBe(0)
      expect(fake.logins()).toBe(1)
      const [file] = new Bun.Glob("tp-link-eap-*.json").scanSync(stateDir)
      expect(statSync(join(stateDir, file!)).mode & 0o777).toBe(0o600)
      // Another user's kept session is not used.
      const other = source(fake.url, { user: "someone" }, { stateDir })
      expect(await failure(other.probe())).toContain('did not accept the login of user "someone"')
    } finally {
      await fake.stop()
    }
  })

  it("a wrong password: one clear error, and no new login attempt on the next probes", async () => {
    const fake = device()
    const log: string[] = []
    try {
      const eap = source(fake.url, { password: "wrong-password" }, { log })
      const first = await failure(eap.probe())
      expect(first).toBe(
        `${fake.url}: the device did not accept the login of user "admin" (it still answers "timeout"): check user and password (no new login for 5 min)`,
      )
      expect(fake.attempts()).toBe(1)
      for (let i = 0; i < 3; i++) expect(await failure(eap.probe())).toBe(first)
      expect(fake.attempts()).toBe(1)
      for (const text of [...log, first]) {
        expect(text).not.toContain("wrong-password")
        expect(text).not.toContain(passwordHash("wrong-password"))
      }
    } finally {
      await fake.stop()
    }
  })

  it("after the hold-off a refused login is tried again, once", async () => {
    const fake = startFakeEap({ user: USER, password: "other", state })
    const clock = { now: 0 }
    try {
      const session = new EapSession({ url: fake.url, user: USER, password: PASSWORD, fetch: (u, i) => fetch(u, i), now: () => clock.now })
      const list = "/data/monitor.ap.aplist.json?operation=load"
      session.beginProbe()
      await failure(session.getJson(list, "list"))
      clock.now += 4 * 60_000
      session.beginProbe()
      await failure(session.getJson(list, "list"))
      expect(fake.attempts()).toBe(1)
      clock.now += 2 * 60_000
      session.beginProbe()
      await failure(session.getJson(list, "list"))
      expect(fake.attempts()).toBe(2)
    } finally {
      await fake.stop()
    }
  })
})

describe("TpLinkEap: hostile answers", () => {
  const cases: [string, string, RegExp][] = [
    ["not JSON", "<html>oops</html>", /^access point list: the answer is not JSON \(17 bytes\)$/],
    ["no access point", '{"timeout":"false","data":[]}', /the device lists no access point/],
    ["no data", '{"timeout":"false"}', /no "data" list/],
    ["a count that is not a number", '{"timeout":"false","data":[{"MAC":"AA","StaNum":"many"}]}', /"StaNum" is not a number/],
    ["an oversized answer", `{"data":"${"x".repeat(2 << 20)}"}`, /larger than 1048576 bytes/],
  ]
  for (const [what, body, message] of cases) {
    it(`${what}: a failed probe with a clear message`, async () => {
      const fake = device()
      try {
        const eap = source(fake.url)
        await eap.probe()
        fake.answerWith(body)
        expect(await failure(eap.probe())).toMatch(message)
        fake.answerWith(undefined)
        expect((await eap.probe()).length).toBe(4)
        expect(fake.logins()).toBe(1)
      } finally {
        await fake.stop()
      }
    })
  }

  it("an index page without a session cookie is not taken for an EAP", async () => {
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("hello") })
    try {
      expect(await failure(source(`http://127.0.0.1:${other.port}`).probe())).toContain("no session cookie (COOKIE)")
    } finally {
      await other.stop(true)
    }
  })
})

describe("TpLinkEap: answers", () => {
  it("reads the session state as 1.2 does, and firmwares' numbers given as strings", () => {
    expect(sessionExpired({ timeout: "true" })).toBe(true)
    expect(sessionExpired({ timeout: true })).toBe(true)
    expect(sessionExpired({ timeout: "false" })).toBe(false)
    expect(sessionExpired({ timeout: false })).toBe(false)
    expect(sessionExpired({ data: [] })).toBe(false)
    expect(firstAccessPoint({ data: [{ MAC: "AA-BB", StaNum: "3" }] }, "x")).toEqual({ mac: "AA-BB", clients: 3 })
    expect(() => radioCounters({ data: { rx_packets: 1 } }, "WIFI0")).toThrow('WIFI0: "tx_packets" is not a number')
    expect(sessionCookie(["lang=en; path=/", "COOKIE=abc; path=/"])).toBe("abc")
    expect(sessionCookie(["lang=en"])).toBeUndefined()
  })
})
