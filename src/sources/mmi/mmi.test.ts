import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { createHash } from "node:crypto"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { graphitePath, promName, type ProbeResult, type ValueSet } from "../../api.ts"
import { redact } from "../../core/log.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl, type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { recordedStatus, startFakeAudi, VEHICLE_STATUS } from "./fake-server.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { CookieJar, IdkClient, parseLoginForm, qmauthHeader, scriptHmac } from "./idk-login.ts"
import { MMISource } from "./index.ts"
import { parseVehicleStatus } from "./vehicle-status.ts"

const USER = "driver@example.com"
const PASS = "s3cret-Passw0rd"
const CLIENT = "09b6cbec-cd19-4589-82fd-363dfa8c24da@apps_vw-dilab_com"
const VIN = "WAUZZZF40NA012345"
/** Our own X-QMAuth pair: the app's real secret is not shipped; the fake demands this one. */
const QM = { clientId: "01abcdef", secretHex: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" }

/** A config folder with the credentials file the golden cases' config.json names. */
function credentialsDir(file = "audi-credentials.json"): string {
  const dir = tempDir("pollect-mmi-")
  writeFileSync(join(dir, file), JSON.stringify({ user: USER, pass: PASS, qmauth: QM }))
  return dir
}

const failing: Record<string, unknown> = { type: "MMI", vin: VIN }

sourceConformance({
  type: "MMI",
  cls: MMISource,
  dir: import.meta.dir,
  golden: async (testCase) => {
    const audi = startFakeAudi({
      user: USER,
      password: PASS,
      clientId: (testCase.config.clientId as string | undefined) ?? CLIENT,
      vin: testCase.config.vin as string,
      qmauth: QM,
      vehicleStatus: recordedStatus(testCase.dir),
    })
    try {
      const config = { ...testCase.config, bffUrl: audi.url }
      return [await makeSource<MMISource>(MMISource, config, { configDir: credentialsDir(testCase.config.credentials as string) }).probe()]
    } finally {
      await audi.stop()
    }
  },
  failing: {
    config: failing,
    // The backend is down: a closed loopback port.
    setup: async () => {
      const down = { url: await downServerUrl() }
      Object.assign(failing, { bffUrl: down.url, credentials: join(credentialsDir(), "audi-credentials.json") })
    },
    message: /Unable to connect/,
  },
})

let fake: ReturnType<typeof startFakeAudi>
let configDir: string

beforeAll(() => {
  fake = startFakeAudi({ user: USER, password: PASS, clientId: CLIENT, vin: VIN, qmauth: QM })
  configDir = tempDir("pollect-mmi-")
  writeFileSync(join(configDir, "credentials.json"), JSON.stringify({ user: USER, pass: PASS, qmauth: QM }))
  writeFileSync(join(configDir, "wrong.json"), JSON.stringify({ user: USER, pass: "not-the-password", qmauth: QM }))
  writeFileSync(join(configDir, "no-qmauth.json"), JSON.stringify({ user: USER, pass: PASS }))
})
afterAll(() => fake?.stop())

const source = (extra: Record<string, unknown> = {}, stateDir = tempDir("pollect-mmi-state-")) =>
  makeSource<MMISource>(
    MMISource,
    { credentials: "credentials.json", vin: VIN.toLowerCase(), bffUrl: fake.url, ...extra },
    { configDir, stateDir },
  )
/** Value name → value, from the Graphite paths `pollect.mmi.<name>`. */
const flat = (probe: ProbeResult) =>
  Object.fromEntries([...byGraphitePath(probe, "MMI")].map(([path, value]) => [path.replace(/^pollect\.mmi\./, ""), value]))

describe("pure helpers", () => {
  it("maps selectivestatus JSON to the original's values", () => {
    expect(parseVehicleStatus(VEHICLE_STATUS())).toEqual({
      plain: { kilometers: 45123, "range.total": 512, "range.adblue": 2400, "range.primary": 512 },
      percent: { tankLevel: 63, oilLevelPercent: 71, batteryLevel: 63 },
      celsius: { "temp.outsite": 12 },
    })
    expect(parseVehicleStatus({})).toEqual({ plain: {}, percent: {}, celsius: {} })
    expect(() => parseVehicleStatus([1])).toThrow(/not a JSON object/)
  })
  it("reads the sign-in form and the script hmac", () => {
    const page = `<form method="POST" action="/signin-service/v1/c/login/identifier"><input type="hidden" name="_csrf" value="a&amp;b"/><input value="r1" name="relayState" type="hidden"><input name="email" type="email"></form>`
    expect(parseLoginForm(page, "https://identity.example/signin")).toEqual({
      action: "https://identity.example/signin-service/v1/c/login/identifier",
      hidden: { _csrf: "a&b", relayState: "r1" },
    })
    expect(scriptHmac(`templateModel: {"hmac" : "9f3a"}`)).toBe("9f3a")
    expect(parseLoginForm("<p>maintenance</p>", "https://x/")).toBeNull()
  })
  it("computes X-QMAuth per 100-second window", () => {
    expect(qmauthHeader(QM, 1_700_000_000_000)).toBe(qmauthHeader(QM, 1_700_000_099_000 - (1_700_000_000_000 % 100_000)))
    expect(qmauthHeader(QM, 1_700_000_000_000)).toMatch(/^v1:01abcdef:[0-9a-f]{64}$/)
  })
  it("keeps cookies per host", () => {
    const jar = new CookieJar()
    jar.store(
      "https://a.example/x",
      new Response(null, {
        headers: [
          ["set-cookie", "SESSION=1; Path=/"],
          ["set-cookie", "b=2"],
        ],
      }),
    )
    expect(jar.header("https://a.example/y")).toBe("SESSION=1; b=2")
    expect(jar.header("https://b.example/")).toBe("")
  })
})

describe("MMI against the fake myAudi backend", () => {
  it("signs in (forms, PKCE, X-QMAuth), reads the status with the original's names, stores the token 0600", async () => {
    const stateDir = tempDir("pollect-mmi-state-")
    const src = source({}, stateDir)
    const logins = fake.state.logins
    const sets = await src.probe()
    expect(flat(sets)).toEqual({
      kilometers: 45123,
      "range.total": 512,
      "range.adblue": 2400,
      "range.primary": 512,
      tankLevel: 63,
      oilLevelPercent: 71,
      batteryLevel: 63,
      "temp.outsite": 12,
    })
    expect(fake.state.logins).toBe(logins + 1)
    expect(fake.state.lastJobs.split(",").sort()).toEqual(["charging", "fuelStatus", "measurements", "oilLevel"])

    const [file] = readdirSync(stateDir).filter((f) => f.startsWith("mmi_token_"))
    expect(file).toBeDefined()
    expect(statSync(join(stateDir, file!)).mode & 0o777).toBe(0o600)
    expect(readFileSync(join(stateDir, file!), "utf8")).not.toContain(PASS)

    // the next probe and a restarted source reuse the stored token: no new sign-in
    await src.probe()
    await source({}, stateDir).probe()
    expect(fake.state.logins).toBe(logins + 1)
  })

  it("keeps the original's names", async () => {
    const result = resultOf(await source().probe(), { type: "MMI" })
    const [plain, percent] = result.sets as [ValueSet, ValueSet]
    const km = plain.values.find((v) => v.name === "kilometers")!
    expect(graphitePath(result, km)).toBe("pollect.mmi.kilometers")
    expect(promName(result, plain, plain.values.find((v) => v.name === "range.total")!, "pollect")).toBe("pollect_MMI_range_total")
    expect(promName(result, percent, percent.values.find((v) => v.name === "tankLevel")!, "pollect")).toBe("pollect_MMI_tankLevel")
  })

  it("a wrong password is a clear error that contains neither password nor e-mail", async () => {
    const error = await source({ credentials: "wrong.json" })
      .probe()
      .then(
        () => null,
        (e: Error) => e,
      )
    expect(error?.message).toBe("Audi login failed: wrong e-mail or password (login.errors.password_invalid)")
    await expect(source({ credentials: "missing.json" }).probe()).rejects.toThrow(/cannot read credentials .*missing\.json: ENOENT/)
  })

  it("masks the credentials file's password and QMAuth secret in log lines once it has read them", async () => {
    // Its own values: the other tests' credentials are registered already.
    const masked = {
      user: USER,
      pass: "only-in-masked.json",
      qmauth: { clientId: QM.clientId, secretHex: "ffeeddccbbaa99887766554433221100" },
    }
    writeFileSync(join(configDir, "masked.json"), JSON.stringify(masked))
    const line = `form ${masked.pass} hmac ${masked.qmauth.secretHex}`
    expect(redact(line)).toBe(line)
    await source({ credentials: "masked.json" })
      .probe()
      .catch(() => undefined) // wrong password for the fake: fails after reading the file
    expect(redact(line)).toBe("form *** hmac ***")
  })

  it("a token endpoint that wants X-QMAuth names the refused grant", async () => {
    await expect(source({ credentials: "no-qmauth.json" }).probe()).rejects.toThrow(
      "Audi token endpoint refused the authorization_code grant (invalid_request)",
    )
  })

  it("refreshes an expired token, and signs in again when the refresh is refused", async () => {
    const src = source()
    fake.state.tokenLifetime = 30 // under the 60 s renewal margin: the next probe refreshes
    await src.probe()
    fake.state.tokenLifetime = 3600
    await src.probe()
    expect([src.logins, src.refreshes]).toEqual([1, 1])
    fake.expireAccessTokens() // server-side expiry: a 401, then refresh and retry in the same probe
    expect(flat(await src.probe()).kilometers).toBe(45123)
    expect([src.logins, src.refreshes]).toEqual([1, 2])
    fake.expireAccessTokens()
    fake.revokeRefreshTokens() // refresh refused: full sign-in
    expect(flat(await src.probe()).kilometers).toBe(45123)
    expect([src.logins, src.refreshes]).toEqual([2, 2])
  })

  it("500 or garbage fails the probe clearly; the next probe recovers", async () => {
    const src = source()
    fake.state.failNext = 1
    await expect(src.probe()).rejects.toThrow("Audi vehicle status answered 500")
    fake.state.garbageNext = 1
    await expect(src.probe()).rejects.toThrow("Audi vehicle status answered 200 with something that is not JSON")
    expect(flat(await src.probe()).kilometers).toBe(45123)
  })

  it("a VIN that is not in the account is a clear error", async () => {
    await expect(source({ vin: "WAUZZZ00000000000" }).probe()).rejects.toThrow(
      "vehicle WAUZZZ00000000000 is not in this Audi account (403)",
    )
  })

  itWithTools(["promtool"], "promtool check metrics is clean on the snake_case output", async () => {
    const text = snakeCaseExposition(resultOf(await source().probe(), { type: "MMI" }))
    expect(text).toContain("pollect_mmi_tank_level_ratio 0.63")
    expect(text).toContain("pollect_mmi_range_total_meters 512000")
    expect(text).toContain("pollect_mmi_temp_outsite_celsius 12")
    expect(text).toContain("pollect_mmi_meters 45123000")
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})

describe("MMI: the README's tables", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "MMI", aliases: [], cls: MMISource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})

describe("MMI: the status answer, value by value", () => {
  const odometer = (odometer: unknown) => parseVehicleStatus({ measurements: { odometerStatus: { value: { odometer } } } }).plain
  it("numbers, or numeric strings; blank, null, non-finite and other values are left out", () => {
    expect(odometer(45123)).toEqual({ kilometers: 45123 })
    expect(odometer("45123")).toEqual({ kilometers: 45123 })
    expect(odometer(" 7 ")).toEqual({ kilometers: 7 })
    for (const value of ["", "  ", null, true, "many", JSON.parse("1e999"), "Infinity"])
      expect([value, odometer(value)]).toEqual([value, {}])
  })
  it("a path through null or a string ends there; the answer must be an object", () => {
    expect(parseVehicleStatus({ measurements: null, fuelStatus: "x", charging: { batteryStatus: 5 } })).toEqual({
      plain: {},
      percent: {},
      celsius: {},
    })
    for (const data of [null, "status", 5]) expect(() => parseVehicleStatus(data)).toThrow("vehicle status is not a JSON object")
  })
})

describe("MMI: the sign-in pages, piece by piece", () => {
  it("forms: attributes spaced or single-quoted, entities, inputs without type or value, a form without action", () => {
    const page = `<form method='POST' action = '/login?a=1&amp;b=2'>
<input type = "hidden" name='_csrf' value='x&lt;&gt;&quot;&#39;&apos;&amp;y'>
<input name="email"><input type="HIDDEN" name="empty"></form>`
    expect(parseLoginForm(page, "https://identity.example/signin")).toEqual({
      action: "https://identity.example/login?a=1&b=2",
      hidden: { _csrf: `x<>"''&y`, empty: "" },
    })
    expect(parseLoginForm('<form method="POST"><input type="hidden" name="a" value="1"></form>', "https://x/")).toBeNull()
    expect(scriptHmac("<p>no script</p>")).toBeNull()
  })
  it("cookies: a pair needs a name and a value; spaces around them are dropped", () => {
    const jar = new CookieJar()
    jar.store(
      "https://a.example/x",
      new Response(null, {
        headers: [
          ["set-cookie", " a = 1 ; Path=/"],
          ["set-cookie", "=nameless"],
          ["set-cookie", "novalue"],
        ],
      }),
    )
    expect(jar.header("https://a.example/")).toBe("a=1")
  })
})

describe("MMI: the identity client against scripted answers", () => {
  const BFF = "https://bff.example"
  const CONFIG = { authorization_endpoint: "https://idk.example/authorize", token_endpoint: "https://idk.example/token" }
  type Answer = (init: RequestInit, url: URL) => Response
  /** An IdkClient whose fetch answers by path (`answers`), recording every call. */
  function scripted(answers: Record<string, Answer>, bffUrl = BFF) {
    const calls: { url: string; init: RequestInit }[] = []
    const client = new IdkClient({ bffUrl, clientId: "c1" }, async (input, init = {}) => {
      calls.push({ url: input, init })
      const url = new URL(input)
      const answer =
        answers[url.pathname] ?? (url.pathname === "/login/v1/idk/openid-configuration" ? () => Response.json(CONFIG) : undefined)
      return answer ? answer(init, url) : new Response("not here", { status: 404 })
    })
    return { client, calls }
  }
  const message = (promise: Promise<unknown>) =>
    promise.then(
      () => "resolved",
      (error: Error) => error.message,
    )
  const redirect = (location: string, status = 302) => new Response(null, { status, headers: { location } })
  const emailPage = `<form method="POST" action="/signin/identifier"><input type="hidden" name="_csrf" value="c"></form>`
  const passwordPage = `<script>{"hmac":"abc123"}</script>`

  it("the OpenID configuration: from bffUrl without its trailing slash, as JSON, with both endpoints", async () => {
    const token = () => Response.json({ access_token: "a" })
    const { client, calls } = scripted({ "/token": token }, `${BFF}/`)
    await client.refresh("r")
    expect(calls[0]!.url).toBe(`${BFF}/login/v1/idk/openid-configuration`)
    expect(new Headers(calls[0]!.init.headers).get("accept")).toBe("application/json")
    const config = (answer: Answer) => message(scripted({ "/login/v1/idk/openid-configuration": answer }).client.refresh("r"))
    expect(await config(() => new Response("", { status: 503 }))).toBe("Audi OpenID configuration answered 503")
    expect(await config(() => new Response("<html>"))).toBe("Audi OpenID configuration answered 200 with something that is not JSON")
    for (const body of [{ token_endpoint: "t" }, { authorization_endpoint: "a" }])
      expect(await config(() => Response.json(body))).toBe("Audi OpenID configuration has no authorization_endpoint/token_endpoint")
  })

  it("the token request: a form posted as JSON-accepting, its answer read strictly", async () => {
    const grant = async (answer: Answer) => {
      const { client, calls } = scripted({ "/token": answer })
      const before = Date.now()
      const got = await client.refresh("r").catch((error: Error) => error.message)
      return { got, before, after: Date.now(), call: calls.at(-1)! }
    }
    const ok = await grant(() => Response.json({ access_token: "a", refresh_token: "n", expires_in: 120 }))
    expect(new Headers(ok.call.init.headers).get("accept")).toBe("application/json")
    expect(new Headers(ok.call.init.headers).get("content-type")).toBe("application/x-www-form-urlencoded")
    expect(Object.fromEntries(new URLSearchParams(String(ok.call.init.body)))).toEqual({
      client_id: "c1",
      grant_type: "refresh_token",
      refresh_token: "r",
      response_type: "token id_token",
    })
    const tokens = ok.got as { accessToken: string; refreshToken: string; expiresAt: number }
    expect([tokens.accessToken, tokens.refreshToken]).toEqual(["a", "n"])
    expect(tokens.expiresAt).toBeGreaterThanOrEqual(ok.before + 120_000)
    expect(tokens.expiresAt).toBeLessThanOrEqual(ok.after + 120_000)
    const odd = await grant(() => Response.json({ access_token: "a", refresh_token: 5, expires_in: "120" }))
    expect((odd.got as { refreshToken?: string }).refreshToken).toBeUndefined()
    expect((odd.got as { expiresAt: number }).expiresAt).toBeGreaterThanOrEqual(odd.before + 3_600_000)
    expect((await grant(() => Response.json({ access_token: "a" }, { status: 400 }))).got).toBe(
      "Audi token endpoint refused the refresh_token grant (HTTP 400)",
    )
    expect((await grant(() => Response.json({ error: 5 }))).got).toBe("Audi token endpoint refused the refresh_token grant (HTTP 200)")
    expect((await grant(() => Response.json({ error: "invalid_grant" }, { status: 400 }))).got).toBe(
      "Audi token endpoint refused the refresh_token grant (invalid_grant)",
    )
    expect((await grant(() => new Response("oops", { status: 502 }))).got).toBe(
      "Audi token endpoint answered 502 with something that is not JSON",
    )
  })

  it("the sign-in: pages in order, GETs without a form type, cookies only once set; the code exchanged", async () => {
    const { client, calls } = scripted({
      "/authorize": () => new Response(emailPage, { headers: { "set-cookie": "S=1" } }),
      "/signin/identifier": () => new Response(passwordPage),
      "/signin/authenticate": () => redirect("myaudi:///?code=the-code&state=s"),
      "/token": () => Response.json({ access_token: "a" }),
    })
    expect((await client.login("me@example.com", "pw")).accessToken).toBe("a")
    const authorize = new URL(calls[1]!.url)
    expect(authorize.searchParams.get("prompt")).toBe("login")
    expect(authorize.searchParams.get("scope")).toContain("openid")
    const first = new Headers(calls[1]!.init.headers)
    expect([calls[1]!.init.method, first.get("cookie"), first.get("content-type"), first.get("accept")]).toEqual([
      "GET",
      null,
      null,
      "text/html,application/json",
    ])
    const email = new Headers(calls[2]!.init.headers)
    expect([calls[2]!.init.method, email.get("cookie"), email.get("content-type")]).toEqual([
      "POST",
      "S=1",
      "application/x-www-form-urlencoded",
    ])
    expect(Object.fromEntries(new URLSearchParams(String(calls[3]!.init.body)))).toEqual({
      _csrf: "c",
      email: "me@example.com",
      hmac: "abc123",
      password: "pw",
    })
    expect(Object.fromEntries(new URLSearchParams(String(calls[4]!.init.body)))).toMatchObject({
      grant_type: "authorization_code",
      code: "the-code",
      response_type: "token id_token",
    })
  })

  it("a password page with a form instead of an hmac posts to that form", async () => {
    const { client, calls } = scripted({
      "/authorize": () => new Response(emailPage),
      "/signin/identifier": () => new Response(`<form method="POST" action="/signin/pw"><input type="hidden" name="r" value="2"></form>`),
      "/signin/pw": () => redirect("myaudi:code=k"),
      "/token": () => Response.json({ access_token: "a" }),
    })
    await client.login("me@example.com", "pw")
    expect(new URL(calls[3]!.url).pathname).toBe("/signin/pw")
    expect(Object.fromEntries(new URLSearchParams(String(calls[3]!.init.body)))).toEqual({
      _csrf: "c",
      email: "me@example.com",
      r: "2",
      password: "pw",
    })
  })

  it("each way the sign-in can go wrong has its own message", async () => {
    const login = (answers: Record<string, Answer>) => message(scripted(answers).client.login("me@example.com", "pw"))
    const page = (body: string) => () => new Response(body)
    expect(await login({ "/authorize": () => redirect("myaudi:///?code=x") })).toBe("the identity server did not show a sign-in page")
    expect(await login({ "/authorize": page("<p>maintenance</p>") })).toBe(
      "the identity server's sign-in page has no form (its layout changed?)",
    )
    expect(await login({ "/authorize": () => new Response("", { status: 500 }) })).toBe("the identity server answered 500 during sign-in")
    expect(await login({ "/authorize": () => new Response(null, { status: 302 }) })).toBe("the identity server answered 302 during sign-in")
    expect(await login({ "/authorize": () => redirect("/authorize", 400) })).toBe("the identity server answered 400 during sign-in")
    const email = (location: string) => login({ "/authorize": page(emailPage), "/signin/identifier": () => redirect(location) })
    expect(await email("/signin/identifier?error=login.errors.password_invalid")).toBe(
      "Audi login failed: wrong e-mail or password (login.errors.password_invalid)",
    )
    expect(await email("/x?error=login.error.throttled")).toBe(
      "Audi login failed: too many failed sign-ins, the account is locked for a while (login.error.throttled)",
    )
    expect(await email("/x?error=account.not.found")).toBe("Audi login failed: account problem (account.not.found)")
    expect(await email("/x?error=user_not_allowed")).toBe("Audi login failed: account problem (user_not_allowed)")
    expect(await email("/x?error=accountnot")).toBe("Audi login failed: account problem (accountnot)")
    expect(await email("/x?error=usernot")).toBe("Audi login failed: account problem (usernot)")
    expect(await email("/x?error=something_else")).toBe("Audi login failed: something_else")
    expect(await email("myaudi:///")).toBe("Audi login failed: the e-mail step did not show the password page")
    expect(await login({ "/authorize": page(emailPage), "/signin/identifier": page("<p>no password form</p>") })).toBe(
      "the identity server's password page has neither a form nor an hmac (its layout changed?)",
    )
    const password = (answer: Answer) =>
      login({ "/authorize": page(emailPage), "/signin/identifier": page(passwordPage), "/signin/authenticate": answer })
    expect(await password(page("<p>welcome</p>"))).toBe("Audi login failed: no authorization code came back")
    expect(await password(() => redirect("https://idk.example/done?error=login.errors.password_invalid"))).toBe(
      "Audi login failed: wrong e-mail or password (login.errors.password_invalid)",
    )
    expect(await password(() => redirect("myaudi:///?state=s"))).toBe("Audi login failed: no authorization code came back")
    expect(await password(() => redirect("https://idk.example/x?error=login.errors.password_invalid&code=c"))).toBe(
      "Audi login failed: wrong e-mail or password (login.errors.password_invalid)",
    )
  })

  it("redirects are followed (300 too, a 200 with a Location is a page), 10 at most", async () => {
    const { client } = scripted({
      "/authorize": () => redirect("/hop", 300),
      "/hop": () => new Response(emailPage, { headers: { location: "/elsewhere" } }),
      "/signin/identifier": () => new Response(passwordPage),
      "/signin/authenticate": () => redirect("myaudi:///?code=k", 303),
      "/token": () => Response.json({ access_token: "a" }),
    })
    expect((await client.login("me@example.com", "pw")).accessToken).toBe("a")
    const loop = scripted({ "/authorize": () => redirect("/authorize") })
    expect(await message(loop.client.login("me@example.com", "pw"))).toBe("the identity server redirected more than 10 times")
    expect(loop.calls.filter((call) => new URL(call.url).pathname === "/authorize")).toHaveLength(10)
  })
})

describe("MMI: tokens and credentials", () => {
  it("an empty VIN fails before any request", async () => {
    const before = fake.requests.length
    await expect(source({ vin: "  " }).probe()).rejects.toThrow("vin is empty: set the VIN of the car in the config")
    expect(fake.requests.length).toBe(before)
  })

  it("a kept token serves later probes; a first sign-in logs nothing; bffUrl may end in a slash", async () => {
    const log: string[] = []
    const src = makeSource<MMISource>(
      MMISource,
      { credentials: "credentials.json", vin: VIN, bffUrl: `${fake.url}/` },
      { configDir, stateDir: tempDir("pollect-mmi-state-"), log },
    )
    await src.probe()
    await src.probe()
    expect([src.logins, src.refreshes]).toEqual([1, 0])
    expect(log).toEqual([])
    const status = fake.requests.filter((r) => r.path.includes("/selectivestatus")).at(-1)!
    expect(status.headers.get("accept")).toBe("application/json")
  })

  it("the token file is named by the account (any case), and a file without a usable token is not used", async () => {
    const stateDir = tempDir("pollect-mmi-state-")
    await source({}, stateDir).probe()
    const name = `mmi_token_${createHash("sha256").update(USER.toLowerCase()).digest("hex").slice(0, 12)}.json`
    expect(readdirSync(stateDir)).toEqual([name])
    const upper = tempDir("pollect-mmi-")
    writeFileSync(join(upper, "credentials.json"), JSON.stringify({ user: USER.toUpperCase(), pass: PASS, qmauth: QM }))
    const src = makeSource<MMISource>(
      MMISource,
      { credentials: "credentials.json", vin: VIN, bffUrl: fake.url },
      { configDir: upper, stateDir },
    )
    expect(src.tokenFile()).toBe(join(stateDir, name))
    // A usable refresh token beside a token that is no token: the file is not used at all.
    const { refreshToken } = JSON.parse(readFileSync(join(stateDir, name), "utf8")) as { refreshToken: string }
    for (const saved of [
      { accessToken: 5, expiresAt: Date.now() - 1, refreshToken },
      { accessToken: "a", expiresAt: "soon", refreshToken },
    ]) {
      writeFileSync(join(stateDir, name), JSON.stringify(saved))
      const again = source({}, stateDir)
      await again.probe()
      expect([saved, again.logins, again.refreshes]).toEqual([saved, 1, 0])
    }
  })

  it("a refused refresh is logged before signing in again", async () => {
    const log: string[] = []
    const src = makeSource<MMISource>(
      MMISource,
      { credentials: "credentials.json", vin: VIN, bffUrl: fake.url },
      { configDir, stateDir: tempDir("pollect-mmi-state-"), log },
    )
    fake.state.tokenLifetime = 30
    try {
      await src.probe()
      fake.revokeRefreshTokens()
      await src.probe()
    } finally {
      fake.state.tokenLifetime = 3600
    }
    expect([src.logins, src.refreshes]).toEqual([2, 0])
    expect(log).toEqual([
      expect.stringContaining(
        "MMI: token refresh failed (Audi token endpoint refused the refresh_token grant (invalid_grant)); signing in again",
      ),
    ])
  })

  it("a state directory that cannot be written: a warning, the token is kept in memory", async () => {
    const log: string[] = []
    const file = join(tempDir("pollect-mmi-"), "a-file")
    writeFileSync(file, "")
    const src = makeSource<MMISource>(
      MMISource,
      { credentials: "credentials.json", vin: VIN, bffUrl: fake.url },
      { configDir, stateDir: file, log },
    )
    await src.probe()
    await src.probe()
    expect(src.logins).toBe(1)
    expect(log.join("\n")).toContain("cannot write the state directory")
  })

  it("the credentials file is read once; it must be JSON with user and pass (or password)", async () => {
    const dir = tempDir("pollect-mmi-")
    const file = join(dir, "c.json")
    writeFileSync(file, JSON.stringify({ user: USER, password: PASS, qmauth: QM }))
    const src = makeSource<MMISource>(MMISource, { credentials: file, vin: VIN, bffUrl: fake.url }, { configDir: dir })
    await src.probe()
    writeFileSync(file, "gone")
    fake.expireAccessTokens()
    fake.revokeRefreshTokens()
    expect((await src.probe()).length).toBeGreaterThan(0)
    expect(src.logins).toBe(2)
    const probe = (text: string) => {
      writeFileSync(file, text)
      return makeSource<MMISource>(MMISource, { credentials: file, vin: VIN, bffUrl: fake.url }, { configDir: dir }).probe()
    }
    await expect(probe("not json")).rejects.toThrow(`credentials ${file} is not JSON`)
    for (const text of [JSON.stringify({ pass: PASS }), JSON.stringify({ user: USER }), JSON.stringify({ user: 5, pass: PASS })])
      await expect(probe(text)).rejects.toThrow(`credentials ${file} needs "user" and "pass"`)
  })

  it("only the groups that have values", async () => {
    const status = fake.state.vehicleStatus
    fake.state.vehicleStatus = { measurements: { odometerStatus: { value: { odometer: 10 } } } }
    try {
      const sets = await source().probe()
      expect(sets.map((set) => set.values.map((value) => value.name))).toEqual([["kilometers"]])
    } finally {
      fake.state.vehicleStatus = status
    }
  })
})

describe("MMI: the vehicle status call's answers", () => {
  /** The fake backend behind a front that answers the status call with `status` (the rest passes through). */
  function front(status: number) {
    return serveFake(async (request, url, body) => {
      if (url.pathname.includes("/selectivestatus")) return new Response("{}", { status })
      const init: RequestInit = { method: request.method, headers: request.headers, redirect: "manual" }
      if (request.method === "POST") init.body = body
      return fetch(fake.url + url.pathname + url.search, init)
    })
  }

  it("a 401 to a fresh token, and a 404, are named", async () => {
    for (const [status, message] of [
      [401, "Audi rejected a fresh token for the vehicle status (401)"],
      [404, `vehicle ${VIN} is not in this Audi account (404)`],
    ] as const) {
      const proxy = front(status)
      try {
        await expect(source({ bffUrl: proxy.url }).probe()).rejects.toThrow(new Error(message))
      } finally {
        await proxy.stop()
      }
    }
  })
})

describe("MMI: token lifetimes", () => {
  it("a token is renewed exactly 60 s before it ends, not a millisecond earlier", async () => {
    const src = source()
    const t0 = Date.parse("2026-12-02T10:00:00Z")
    await atFixedTime(new Date(t0), () => src.probe())
    await atFixedTime(new Date(t0 + 3_540_000 - 1), () => src.probe())
    expect([src.logins, src.refreshes]).toEqual([1, 0])
    await atFixedTime(new Date(t0 + 3_540_000), () => src.probe())
    expect([src.logins, src.refreshes]).toEqual([1, 1])
  })

  it("a sign-in whose answer has no refresh token works, and keeps none", async () => {
    const proxy: FakeServer = serveFake(async (request, url, body) => {
      const init: RequestInit = { method: request.method, headers: request.headers, redirect: "manual" }
      if (request.method === "POST") init.body = body
      if (url.pathname === "/token") {
        const answer = await fetch(`${fake.url}/login/v1/idk/token`, init)
        const { refresh_token: _, ...rest } = (await answer.json()) as Record<string, unknown>
        return Response.json(rest, { status: answer.status })
      }
      const answer = await fetch(fake.url + url.pathname + url.search, init)
      if (!url.pathname.endsWith("/openid-configuration")) return answer
      const config = (await answer.json()) as Record<string, string>
      return Response.json({ ...config, token_endpoint: `${proxy.url}/token` })
    })
    try {
      const stateDir = tempDir("pollect-mmi-state-")
      const src = source({ bffUrl: proxy.url }, stateDir)
      expect((await src.probe()).length).toBeGreaterThan(0)
      const [file] = readdirSync(stateDir)
      expect(JSON.parse(readFileSync(join(stateDir, file!), "utf8")).refreshToken).toBeUndefined()
    } finally {
      await proxy.stop()
    }
  })
})
