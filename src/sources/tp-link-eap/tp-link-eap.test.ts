import { describe, expect, it } from "bun:test"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { type FakeEap, type FakeEapState, startFakeEap } from "./fake-device.ts"
import { TpLinkEapSource } from "./index.ts"
import { EapSession, passwordHash, sessionCookie } from "./session.ts"
import { firstAccessPoint, radioCounters, sessionExpired, TpLinkEapError } from "./answers.ts"

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

describe("TpLinkEap: the README's tables", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "TpLinkEap", aliases: [], cls: TpLinkEapSource, dir, readme }, text)).toBe(text)
  })
})

describe("TpLinkEap: answers, edge by edge", () => {
  it("a session answer that is no object, or a null timeout, is not an expired session", () => {
    for (const body of [null, "timeout", 3, [], { timeout: null }]) expect([body, sessionExpired(body)]).toEqual([body, false])
  })

  it("the first access point needs a MAC of 1 to 64 characters", () => {
    const ap = (MAC: unknown) => () => firstAccessPoint({ data: [{ MAC, StaNum: 1 }] }, "list")
    for (const mac of [undefined, 42, "", "A".repeat(65)]) {
      expect(ap(mac)).toThrow(new TpLinkEapError("list: the access point has no MAC"))
    }
    expect(ap("A".repeat(64))()).toEqual({ mac: "A".repeat(64), clients: 1 })
    try {
      ap("")()
    } catch (error) {
      expect(String(error)).toBe("TpLinkEapError: list: the access point has no MAC")
    }
  })

  it("radio counters need a data object; a blank string is no number", () => {
    const counters = { rx_packets: 1, tx_packets: 2, rx_bytes: "3", tx_bytes: 4, rx_errors: 5, tx_errors: 6 }
    expect(radioCounters({ data: counters }, "WIFI0")).toEqual({ ...counters, rx_bytes: 3 })
    for (const body of [{ data: [] }, { data: null }, null])
      expect(() => radioCounters(body, "WIFI0")).toThrow(new TpLinkEapError('WIFI0: no "data" object in the answer'))
    for (const blank of ["", "  ", true, null])
      expect(() => radioCounters({ data: { ...counters, rx_bytes: blank } }, "WIFI0")).toThrow('WIFI0: "rx_bytes" is not a number')
  })

  it("the session cookie is the COOKIE cookie, not one whose name ends in it", () => {
    expect(sessionCookie(["XCOOKIE=other; path=/", "COOKIE=abc; path=/"])).toBe("abc")
    expect(sessionCookie(["  COOKIE=abc"])).toBe("abc")
    expect(sessionCookie(["COOKIE=; path=/"])).toBeUndefined()
  })
})

describe("TpLinkEap: the url, the kept session's file", () => {
  it("a url with trailing slashes is the same admin UI; no login is counted before the first probe", async () => {
    const fake = device()
    try {
      const stateDir = tempDir()
      const eap = source(`${fake.url}//`, {}, { stateDir })
      expect(eap.logins).toBe(0)
      expect((await eap.probe()).length).toBe(4)
      expect(fake.requests.filter((r) => r.path.startsWith("/data/")).length).toBe(3)
      // The same session file as without the slashes.
      expect(readdirSync(stateDir)).toEqual([
        `tp-link-eap-${createHash("sha256").update(`${fake.url}\n${USER}`).digest("hex").slice(0, 12)}.json`,
      ])
    } finally {
      await fake.stop()
    }
  })

  /** The file a session of `url` and `user` is kept in (a restart must find the one an older run wrote). */
  const stateName = (url: string, user: string) =>
    `tp-link-eap-${createHash("sha256").update(`${url}\n${user}`).digest("hex").slice(0, 12)}.json`

  it("is named by url and user", async () => {
    const fake = device()
    const stateDir = tempDir()
    try {
      await source(fake.url, {}, { stateDir }).probe()
      expect(readdirSync(stateDir)).toEqual([stateName(fake.url, USER)])
      expect(JSON.parse(readFileSync(join(stateDir, stateName(fake.url, USER)), "utf8"))).toEqual({
        url: fake.url,
        user: USER,
        sid: "sid100000000",
      })
    } finally {
      await fake.stop()
    }
  })

  it("a kept session of another url or user, an empty or non-string one, or a broken file: a fresh login first", async () => {
    const kept: unknown[] = [
      { url: "http://elsewhere", user: USER, sid: "sid100000000" },
      { user: USER, sid: "sid100000000" },
      { url: "<url>", user: "someone", sid: "sid100000000" },
      { url: "<url>", user: USER, sid: "" },
      { url: "<url>", user: USER, sid: 100000000 },
      "not json",
    ]
    for (const saved of kept) {
      const fake = device()
      const stateDir = tempDir()
      try {
        // A session the device knows: used only if the kept file is this url's and user's.
        await source(fake.url, {}, { stateDir: tempDir() }).probe()
        const text = typeof saved === "string" ? saved : JSON.stringify(saved).replace("<url>", fake.url)
        writeFileSync(join(stateDir, stateName(fake.url, USER)), text)
        fake.requests.length = 0
        const eap = source(fake.url, {}, { stateDir })
        await eap.probe()
        expect([saved, eap.logins, fake.requests[0]!.path]).toEqual([saved, 1, "/"])
      } finally {
        await fake.stop()
      }
    }
  })

  it("a state directory that cannot be written: a warning, the probe still works", async () => {
    const fake = device()
    const log: string[] = []
    const file = join(tempDir(), "a-file")
    writeFileSync(file, "")
    try {
      expect((await source(fake.url, {}, { stateDir: file, log }).probe()).length).toBe(4)
      expect(log.join("\n")).toContain("cannot write the state directory")
    } finally {
      await fake.stop()
    }
  })
})

describe("TpLinkEap: what the device answers, call by call", () => {
  it("the data calls are GETs of JSON with the UI's Referer; the login posts a form", async () => {
    const fake = device()
    try {
      await source(fake.url).probe()
      for (const r of fake.requests.filter((r) => r.path.startsWith("/data/"))) {
        expect([r.method, r.headers.get("accept")]).toEqual(["GET", "application/json"])
      }
      expect(fake.requests.find((r) => r.method === "POST")!.headers.get("content-type")).toBe("application/x-www-form-urlencoded")
    } finally {
      await fake.stop()
    }
  })

  it("the list's and each radio's errors name what was asked", async () => {
    const fake = startFakeEap({ user: USER, password: PASSWORD, state: { ...state, interfaces: { WIFI0: state.interfaces.WIFI0! } } })
    try {
      expect(await failure(source(fake.url).probe())).toBe('interface WIFI1: no "data" object in the answer')
      fake.answerWith('{"timeout":"false","data":[]}')
      expect(await failure(source(fake.url).probe())).toBe("access point list: the device lists no access point")
    } finally {
      await fake.stop()
    }
  })

  /** An EapSession on the fake device whose answers `edit` may replace (by method and path). */
  function session(fake: FakeEap, edit: (method: string, path: string, real: () => Promise<Response>) => Promise<Response>) {
    return new EapSession({
      url: fake.url,
      user: USER,
      password: PASSWORD,
      fetch: (input, init) => edit(init?.method ?? "GET", new URL(input).pathname + new URL(input).search, () => fetch(input, init)),
    })
  }
  const LIST = "/data/monitor.ap.aplist.json?operation=load"
  const WIFI0 = "/data/monitor.ap.interface.json?operation=read&interface=WIFI0&apMac=AA"

  it("the login's answer: 401 and 403 are a refused login (not tried again), 3xx is taken, other codes fail", async () => {
    for (const [status, expected] of [
      [401, 'refused the login of user "admin" (HTTP 401): check user and password (no new login for 5 min)'],
      [403, "(HTTP 403)"],
      [400, "the login answered HTTP 400"],
      [500, "the login answered HTTP 500"],
      [204, "the login answered HTTP 204"],
      [200, "ok"],
      [300, "ok"],
      [302, "ok"],
      [399, "ok"],
    ] as const) {
      const fake = device()
      try {
        const eap = session(fake, async (method, _path, real) => {
          const answer = await real()
          return method === "POST" ? new Response(status === 204 ? null : "", { status, headers: answer.headers }) : answer
        })
        eap.beginProbe()
        const got = await eap.getJson(LIST, "list").then(
          () => "ok",
          (error: Error) => error.message,
        )
        expect([status, got]).toEqual([status, expected === "ok" ? "ok" : expect.stringContaining(expected)])
        if (status === 401) {
          expect(got).toBe(`${fake.url}/: the device ${expected}`)
          eap.beginProbe()
          expect(await eap.getJson(LIST, "list").catch((error: Error) => error.message)).toBe(got)
          expect(fake.attempts()).toBe(1)
        }
      } finally {
        await fake.stop()
      }
    }
  })

  it("the index page: another status than 200, or none with a body, is no admin UI", async () => {
    for (const status of [404, 204]) {
      const fake = device()
      try {
        const eap = session(fake, async (method, path, real) =>
          method === "GET" && path === "/" ? new Response(null, { status }) : real(),
        )
        eap.beginProbe()
        expect(await eap.getJson(LIST, "list").catch((error: Error) => error.message)).toBe(
          `${fake.url}/: the index page answered HTTP ${status}: is url the access point's admin UI?`,
        )
      } finally {
        await fake.stop()
      }
    }
  })

  it("a data call that does not answer 200 fails with its status", async () => {
    const fake = device()
    try {
      const eap = session(fake, async (_method, path, real) => (path === LIST ? new Response("{}", { status: 500 }) : real()))
      eap.beginProbe()
      expect(await eap.getJson(LIST, "list").catch((error: Error) => error.message)).toBe("list: HTTP 500")
    } finally {
      await fake.stop()
    }
  })

  it("a session that ends again within the probe right after a login: a clear error, not a second login", async () => {
    const fake = device()
    try {
      let loggedIn = false
      const eap = session(fake, async (method, path, real) => {
        if (method === "POST") loggedIn = true
        if (loggedIn && path === WIFI0) fake.expire()
        return real()
      })
      eap.beginProbe()
      await eap.getJson(LIST, "list")
      fake.expire()
      loggedIn = false
      eap.beginProbe()
      await eap.getJson(LIST, "list")
      expect(await eap.getJson(WIFI0, "wifi").catch((error: Error) => error.message)).toBe(
        `${fake.url}: the session ended again right after a login`,
      )
      expect(fake.attempts()).toBe(2)
    } finally {
      await fake.stop()
    }
  })

  it("an unreachable device names the step; an abort or timeout is passed on as it is", async () => {
    const fake = device()
    try {
      const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })
      const eap = session(fake, async (method, _path, real) => {
        if (method === "POST") throw reset
        return real()
      })
      eap.beginProbe()
      expect(await eap.getJson(LIST, "list").catch((error: Error) => error.message)).toBe(
        `${fake.url}: cannot reach the device (login): ECONNRESET`,
      )
      for (const name of ["AbortError", "TimeoutError"]) {
        const stop = new DOMException("stopped", name)
        const aborted = session(fake, async () => {
          throw stop
        })
        aborted.beginProbe()
        expect(await aborted.getJson(LIST, "list").catch((error: unknown) => error)).toBe(stop)
      }
    } finally {
      await fake.stop()
    }
  })
})
