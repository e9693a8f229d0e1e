import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { graphitePath, promName, type ProbeResult, type ValueSet } from "../../api.ts"
import { redact } from "../../core/log.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { recordedStatus, startFakeAudi, VEHICLE_STATUS } from "./fake-server.ts"
import { CookieJar, parseLoginForm, qmauthHeader, scriptHmac } from "./idk-login.ts"
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
