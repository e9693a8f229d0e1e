import { afterAll, describe, expect, it, setSystemTime } from "bun:test"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { toValueSets, type ProbeResult } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl, serveFake } from "../../../test/helpers/fake-server.ts"
import { makeLoggedSource } from "../../../test/helpers/logged-source.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { builtinSources } from "../index.ts"
import { heatPumpFeatures, recorded, startFakeViessmann } from "./fake-server.ts"
import { featureMap, pickDevice, propertyNumber, propertyString, viessmannValueSets } from "./features.ts"
import { ViessmannSource } from "./index.ts"
import { parseTokenFile, pkcePair } from "./oauth.ts"

/** Value name (`.label` values) → value, from the Graphite paths `pollect.viessmann.<name>[.<label>]`. */
function values(probe: ProbeResult): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [path, value] of byGraphitePath(probe, "Viessmann")) out[path.replace(/^pollect\.viessmann\./, "")] = value
  return out
}

const failing: Record<string, unknown> = { type: "Viessmann", user: "heat@example.com", password: "vi-Pass-0815" }

sourceConformance({
  type: "Viessmann",
  cls: ViessmannSource,
  dir: import.meta.dir,
  golden: async (testCase) => {
    const cloud = startFakeViessmann({
      user: testCase.config.user as string,
      password: testCase.config.password as string,
      clientId: testCase.config.clientId as string,
      installations: recorded(testCase.dir, "installations.json"),
      features: recorded(testCase.dir, "features.json"),
    })
    try {
      const source = makeSource<ViessmannSource>(ViessmannSource, { ...testCase.config, ...cloud.endpoints() })
      return [await source.probe()]
    } finally {
      await cloud.stop()
    }
  },
  failing: {
    config: failing,
    // The IAM is down: a closed loopback port.
    setup: async () => {
      const down = { url: await downServerUrl() }
      Object.assign(failing, {
        authUrl: `${down.url}/idp/v3/authorize`,
        tokenUrl: `${down.url}/idp/v3/token`,
        apiUrl: `${down.url}/iot/v2`,
      })
    },
    message: /Unable to connect/,
  },
})

describe("Viessmann (pure)", () => {
  it("picks the first non-Vitoconnect device, or the configured one", () => {
    const installations = {
      data: [
        {
          id: 7,
          gateways: [
            {
              serial: "g1",
              devices: [
                { id: "gateway", deviceType: "vitoconnect" },
                { id: "0", deviceType: "heating" },
              ],
            },
          ],
        },
      ],
    }
    expect(pickDevice(installations)).toEqual({ installationId: "7", gatewaySerial: "g1", deviceId: "0" })
    expect(pickDevice({ data: [{ id: 7, gateways: [{ serial: "g1" }] }] }).deviceId).toBe("0")
    expect(pickDevice(installations, { deviceId: "3" }).deviceId).toBe("3")
    expect(() => pickDevice({ data: [] })).toThrow(/no installation/)
    expect(() => pickDevice({ nope: 1 })).toThrow(/no data array/)
  })

  it("maps features to the original's names, booleans as 1/0, missing ones left out", () => {
    const sets = viessmannValueSets(featureMap(heatPumpFeatures()))
    const v = values(sets)
    expect(v).toMatchObject({
      return_temperature: 22.7,
      outside_temperature: -3.4,
      hot_water_storage_top: 47.9,
      hot_water_storage: 46.5,
      supply_temp: 23.4,
      secondary_supply_temp: 22.1,
      hot_water_target_temp: 50,
      program_normal_temp: 22,
      compressor_active: 1,
      hot_water_charging: 0,
      heating_circulation_pump: 1,
      hot_water_circulation_pump: 0,
      hot_water_primary_pump: 0,
      compressor_stats_starts: 6973,
      compressor_stats_hours: 13651.9,
      compressor_stats_hours_class_5: 715,
      "compressor_phase.heating": 1,
      "compressor_phase.cooling": 0,
      "compressor_phase.pause": 0,
    })
    expect(v.secondary_return_temp).toBeUndefined()
    expect(v.heating_rod_active).toBeUndefined()
    expect(sets.find((s) => s.values.some((x) => x.name === "supply_temp"))?.unit).toBe("celsius")
  })

  it("reads the seed's hot water target and a paused compressor", () => {
    const v = values(
      viessmannValueSets(
        featureMap(
          heatPumpFeatures({
            "heating.dhw.temperature.main": {},
            "heating.dhw.temperature": { value: { type: "number", value: 48 } },
            "heating.compressors.0": { phase: { type: "string", value: "pause" } },
          }),
        ),
      ),
    )
    expect(v.hot_water_target_temp).toBe(48)
    expect(v.compressor_active).toBe(0)
    expect(v["compressor_phase.pause"]).toBe(1)
  })

  it("reads our token file and the Python pollect's (expires_in = absolute time)", () => {
    expect(parseTokenFile('{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_at":5}')).toEqual({
      access_token: "a",
      refresh_token: "r",
      token_type: "Bearer",
      expires_at: 5,
    })
    expect(parseTokenFile('{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":1700000000}')?.expires_at).toBe(
      1700000000,
    )
    expect(parseTokenFile("garbage")).toBeUndefined()
  })

  it("makes RFC 7636 PKCE pairs", async () => {
    const { verifier, challenge } = pkcePair()
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)))
    expect(challenge).toBe(Buffer.from(digest).toString("base64url"))
  })

  it("is registered", () => {
    expect(builtinSources.Viessmann?.cls).toBe(ViessmannSource)
  })
})

describe("Viessmann against the fake cloud", () => {
  const cloud = startFakeViessmann({ clientId: "client-4c6f" })
  afterAll(async () => {
    setSystemTime()
    await cloud.stop()
  })
  const allLines: string[] = []
  const errors: string[] = []

  function make(extra: Record<string, unknown> = {}, stateDir = tempDir()) {
    const made = makeLoggedSource<ViessmannSource>(
      ViessmannSource,
      { type: "Viessmann", user: cloud.user, password: cloud.password, clientId: cloud.clientId, ...cloud.endpoints(), ...extra },
      { stateDir },
    )
    return { ...made, lines: made.lines, probe: async () => values(await made.source.probe()) }
  }
  async function failure(probe: () => Promise<unknown>): Promise<string> {
    const message = await probe().then(
      () => "no error",
      (e: Error) => e.message,
    )
    errors.push(message)
    return message
  }
  /** Moves the clock (Date.now for source and fake alike) forward by `seconds()`; reset() undoes it. */
  const later = (seconds: () => number) => setSystemTime(new Date(Date.now() + seconds() * 1000))
  const reset = () => {
    setSystemTime()
    Object.assign(cloud.calls, { authorize: 0, codeGrants: 0, refreshGrants: 0, api: 0 })
    cloud.expiresIn = 3600
    cloud.refuseRefresh = false
  }

  it("logs in once, caches the token (0600, atomic), and reuses it", async () => {
    reset()
    const { source, probe, stateDir, lines } = make()
    expect((await probe()).supply_temp).toBe(23.4)
    expect((await probe()).outside_temperature).toBe(-3.4)
    expect(cloud.calls).toMatchObject({ authorize: 1, codeGrants: 1, refreshGrants: 0 })
    const file = join(stateDir, "viessmann_token.json")
    expect(source.tokenPath).toBe(file)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(readdirSync(stateDir)).toEqual(["viessmann_token.json"]) // no temp file left behind
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ token_type: "Bearer", access_token: expect.stringMatching(/^at\./) })
    // A second instance (a restart) reads the cache instead of logging in.
    await make({}, stateDir).probe()
    expect(cloud.calls.authorize).toBe(1)
    allLines.push(...lines)
  })

  it("an unwritable stateDir: the token stays in memory (one login for many probes), one warning naming the folder", async () => {
    reset()
    // A folder below a regular file cannot be made, even by root (ENOTDIR).
    const blocker = join(tempDir(), "not-a-folder")
    writeFileSync(blocker, "")
    const stateDir = join(blocker, "state")
    const { probe, lines } = make({}, stateDir)
    for (let i = 0; i < 4; i++) expect((await probe()).supply_temp).toBe(23.4)
    expect(cloud.calls).toMatchObject({ authorize: 1, codeGrants: 1 })
    const warnings = lines.filter((line) => line.includes("cannot write the state directory"))
    expect(warnings.length).toBe(1)
    // Bun's mkdir says EFAULT here where Node says ENOTDIR.
    expect(warnings[0]).toContain(`cannot write the state directory ${stateDir} (E`)
    expect(warnings[0]).toContain("); keeping the token in memory only")
  })

  it("takes over the Python pollect's token file", async () => {
    reset()
    const first = make()
    await first.probe()
    const file = join(first.stateDir, "viessmann_token.json")
    const ours = JSON.parse(readFileSync(file, "utf8"))
    writeFileSync(
      file,
      JSON.stringify({
        access_token: ours.access_token,
        refresh_token: ours.refresh_token,
        token_type: "Bearer",
        expires_in: ours.expires_at,
      }),
    )
    await make({}, first.stateDir).probe()
    expect(cloud.calls.authorize).toBe(1)
  })

  it("refreshes an expired token on the next probe, and rewrites the cache with mode 0600", async () => {
    reset()
    const { probe, stateDir, lines } = make()
    await probe()
    const before = readFileSync(join(stateDir, "viessmann_token.json"), "utf8")
    later(() => 3601)
    expect((await probe()).return_temperature).toBe(22.7)
    expect(cloud.calls).toMatchObject({ authorize: 1, codeGrants: 1, refreshGrants: 1 })
    const after = readFileSync(join(stateDir, "viessmann_token.json"), "utf8")
    expect(after).not.toBe(before)
    expect(JSON.parse(after).refresh_token).toBe(JSON.parse(before).refresh_token) // kept when the answer has none
    expect(statSync(join(stateDir, "viessmann_token.json")).mode & 0o777).toBe(0o600)
    expect(lines.some((l) => l.includes("access token refreshed"))).toBe(true)
    allLines.push(...lines)
  })

  it("logs in again when the refresh is refused", async () => {
    reset()
    const { probe, lines } = make()
    await probe()
    cloud.refuseRefresh = true
    later(() => 3601)
    expect((await probe()).supply_temp).toBe(23.4)
    expect(cloud.calls).toMatchObject({ authorize: 2, codeGrants: 2, refreshGrants: 0 })
    expect(lines.some((l) => /token refresh refused \(HTTP 400: invalid_grant/.test(l))).toBe(true)
    allLines.push(...lines)
  })

  it("renews a token the API rejects before its stated expiry", async () => {
    reset()
    const { probe, lines } = make()
    await probe()
    cloud.expireAccessTokens()
    expect((await probe()).supply_temp).toBe(23.4)
    expect(cloud.calls.refreshGrants).toBe(1)
    allLines.push(...lines)
  })

  it("a wrong password or client id is a clear error without the secret", async () => {
    reset()
    const wrong = make({ password: "not-the-Password-42" })
    const message = await failure(() => wrong.probe())
    expect(message).toMatch(/Viessmann login failed .*wrong user or password/)
    expect(message).not.toContain("not-the-Password-42")
    const client = make({ clientId: "someone-else" })
    expect(await failure(() => client.probe())).toMatch(/login refused \(HTTP 401: invalid_client: unknown client\).*clientId/)
    allLines.push(...wrong.lines, ...client.lines)
  })

  it("a 500 or a garbage answer fails that probe clearly; the next probe recovers", async () => {
    reset()
    const { probe, lines } = make()
    await probe()
    cloud.failNext = { mode: "500", count: 1 }
    expect(await failure(probe)).toBe(
      "Viessmann features: HTTP 500: INTERNAL_ERROR, Internal server error, viErrorId req-dd5644cdb8114bc6b023b5d021a212bc",
    )
    expect((await probe()).supply_temp).toBe(23.4)
    cloud.failNext = { mode: "garbage", count: 1 }
    expect(await failure(probe)).toMatch(/^Viessmann features: the answer is not JSON \(HTTP 200/)
    expect((await probe()).supply_temp).toBe(23.4)
    allLines.push(...lines)
  })

  it("no password or token appears in any log line or error", () => {
    const secrets = [cloud.password, "not-the-Password-42"]
    for (const request of cloud.requests) {
      const bearer = /Bearer (\S+)/.exec(request.headers.get("authorization") ?? "")?.[1]
      if (bearer) secrets.push(bearer)
    }
    expect(secrets.length).toBeGreaterThan(3)
    expect(allLines.length).toBeGreaterThan(3)
    for (const text of [...allLines, ...errors]) for (const secret of secrets) expect(text).not.toContain(secret)
  })

  itWithTools(["promtool"], "snake_case output passes promtool check metrics", async () => {
    reset()
    const { source } = make()
    const text = snakeCaseExposition(resultOf(toValueSets(await source.probe()), { type: "Viessmann" }))
    expect(text).toMatch(/^pollect_viessmann_supply_temp_celsius 23\.4$/m)
    expect(text).toMatch(/^pollect_viessmann_compressor_phase\{phase="heating"\} 1$/m)
    // Hours become seconds, and the word "hours" leaves the name (promtool insists on base units).
    expect(text).toMatch(/^pollect_viessmann_compressor_stats_class_1_seconds_total 1317600$/m)
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})

describe("Viessmann: its README", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Viessmann", aliases: [], cls: ViessmannSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})

describe("Viessmann: picking the device", () => {
  const gateway = (serial: unknown, devices?: unknown) => ({ serial, devices })
  const installations = {
    data: [
      { id: 7, gateways: [gateway("g1", [{ id: "0", deviceType: "heating" }])] },
      null,
      {
        id: 8,
        gateways: [
          null,
          gateway("g2", [{ id: "gw", deviceType: "vitoconnect" }, { deviceType: "heating" }, { id: 5, deviceType: "heating" }]),
          gateway("g3"),
        ],
      },
    ],
  }

  it("the configured installation and gateway, skipping entries that are not objects; the first real device with an id", () => {
    expect(pickDevice(installations, { installationId: "8", gatewaySerial: "g2" })).toEqual({
      installationId: "8",
      gatewaySerial: "g2",
      deviceId: "5",
    })
    expect(pickDevice(installations)).toEqual({ installationId: "7", gatewaySerial: "g1", deviceId: "0" })
    // Without gatewaySerial the installation's first gateway it is, even when that is no gateway.
    expect(() => pickDevice(installations, { installationId: "8" })).toThrow("installation 8 has no gateway")
    expect(pickDevice(installations, { installationId: "8", gatewaySerial: "g3" })).toEqual({
      installationId: "8",
      gatewaySerial: "g3",
      deviceId: "0",
    })
    expect(pickDevice(installations, { installationId: "8", gatewaySerial: "g2", deviceId: "9" }).deviceId).toBe("9")
  })

  it("says what is missing", () => {
    const problem = (data: unknown, wanted = {}) => {
      try {
        return JSON.stringify(pickDevice(data, wanted))
      } catch (error) {
        return (error as Error).message
      }
    }
    expect(problem(null)).toBe("installations answer has no data array")
    expect(problem({ data: {} })).toBe("installations answer has no data array")
    expect(problem({ data: [{ gateways: [gateway("g")] }] })).toBe("the account has no installation")
    expect(problem(installations, { installationId: "9" })).toBe("installation 9 not found in the account")
    expect(problem({ data: [{ id: 7, gateways: [] }] })).toBe("installation 7 has no gateway")
    expect(problem({ data: [{ id: 7 }] })).toBe("installation 7 has no gateway")
    expect(problem({ data: [{ id: 7, gateways: [gateway(123)] }] })).toBe("installation 7 has no gateway")
    expect(problem(installations, { installationId: "8", gatewaySerial: "g9" })).toBe("gateway g9 not found in installation 8")
  })
})

describe("Viessmann: features", () => {
  it("a features answer must hold a data array; items that are not features are skipped; properties that are not an object are none", () => {
    for (const answer of [null, {}, { data: {} }, []])
      expect(() => featureMap(answer)).toThrow(new Error("features answer has no data array"))
    const map = featureMap({
      data: [
        null,
        5,
        ["x"],
        { feature: 5 },
        { feature: "a", properties: [1] },
        { feature: "b", properties: "x" },
        { feature: "c", properties: { p: 1 } },
      ],
    })
    expect([...map]).toEqual([
      ["a", {}],
      ["b", {}],
      ["c", { p: 1 }],
    ])
  })

  it("property values: numbers only if finite, booleans as 1/0, strings only as strings", () => {
    const map = new Map<string, Record<string, unknown>>([
      [
        "f",
        {
          n: { value: 2.5 },
          inf: { value: Number.POSITIVE_INFINITY },
          nan: { value: Number.NaN },
          s: { value: "22" },
          b: { value: true },
          o: 1,
        },
      ],
    ])
    expect(["n", "inf", "nan", "s", "b", "o", "none"].map((p) => propertyNumber(map, "f", p))).toEqual([
      2.5,
      undefined,
      undefined,
      undefined,
      1,
      undefined,
      undefined,
    ])
    expect(["n", "s", "b"].map((p) => propertyString(map, "f", p))).toEqual([undefined, "22", undefined])
    expect(propertyNumber(map, "nope", "n")).toBeUndefined()
  })

  const names = (features: unknown) => values(viessmannValueSets(featureMap(features)))

  it("compressor: phase off or pause is inactive; without a phase the active flag of compressors.0, else of compressor", () => {
    const phase = (value: unknown) => ({ data: [{ feature: "heating.compressors.0", properties: { phase: { value } } }] })
    expect(names(phase("off"))).toEqual({
      compressor_active: 0,
      "compressor_phase.cooling": 0,
      "compressor_phase.heating": 0,
      "compressor_phase.pause": 0,
    })
    expect(names(phase("cooling"))).toMatchObject({ compressor_active: 1, "compressor_phase.cooling": 1 })
    expect(names(phase(3))).toEqual({})
    expect(names({ data: [{ feature: "heating.compressors.0", properties: { active: { value: true } } }] })).toEqual({
      compressor_active: 1,
    })
    expect(names({ data: [{ feature: "heating.compressor", properties: { active: { value: false } } }] })).toEqual({ compressor_active: 0 })
  })

  it("a device without any of the features gives no sets at all; statistics without starts give no starts", () => {
    expect(viessmannValueSets(new Map())).toEqual([])
    expect(viessmannValueSets(featureMap({ data: [{ feature: "x", properties: {} }] }))).toEqual([])
    const stats = { data: [{ feature: "heating.compressors.0.statistics", properties: { hours: { value: 12 } } }] }
    const sets = viessmannValueSets(featureMap(stats))
    expect(sets.map((set) => set.values.map((value) => value.name))).toEqual([["compressor_stats_hours"]])
  })
})

describe("Viessmann: the API", () => {
  const cloud = startFakeViessmann({
    clientId: "client-4c6f",
    installations: recorded(join(import.meta.dir, "testdata", "second-installation"), "installations.json"),
  })
  afterAll(() => cloud.stop())
  const config = (extra: Record<string, unknown> = {}) => ({
    type: "Viessmann",
    user: cloud.user,
    password: cloud.password,
    clientId: cloud.clientId,
    ...cloud.endpoints(),
    ...extra,
  })
  const apiPaths = () => cloud.requests.filter((r) => r.path.startsWith("/iot/v2/")).map((r) => r.path + r.search)

  it("reads the configured installation, gateway and device (numbers or strings), logs which, with accept: application/json", async () => {
    const lines: string[] = []
    const source = makeSource<ViessmannSource>(
      ViessmannSource,
      config({ installationId: 4711, gatewaySerial: "7571381681420106", deviceId: 0 }),
      { log: lines },
    )
    cloud.requests.length = 0
    await source.probe()
    expect(apiPaths()).toEqual([
      "/iot/v2/equipment/installations?includeGateways=true",
      "/iot/v2/features/installations/4711/gateways/7571381681420106/devices/0/features",
    ])
    expect(cloud.requests.filter((r) => r.path.startsWith("/iot/v2/")).map((r) => r.headers.get("accept"))).toEqual([
      "application/json",
      "application/json",
    ])
    expect(lines.some((line) => line.endsWith("reading installation 4711, gateway 7571381681420106, device 0"))).toBe(true)
    cloud.requests.length = 0
    await source.probe()
    expect(apiPaths()).toEqual(["/iot/v2/features/installations/4711/gateways/7571381681420106/devices/0/features"])
  })

  it("trailing slashes of apiUrl are dropped", async () => {
    const source = makeSource<ViessmannSource>(ViessmannSource, config({ apiUrl: `${cloud.endpoints().apiUrl}//` }))
    cloud.requests.length = 0
    expect(values(await source.probe()).supply_temp).toBe(23.4)
    expect(apiPaths()[0]).toBe("/iot/v2/equipment/installations?includeGateways=true")
  })

  it("a 401 logs why and renews the token once; a second 401 fails the probe; other errors name the request and the API's words", async () => {
    let answers: Response[] = []
    const api = serveFake(() => answers.shift() ?? Response.json({ error: "too many requests to the fake" }, { status: 599 }))
    const unauthorized = () => Response.json({ viErrorId: "req-9", errorType: "UNAUTHORIZED", message: "Invalid token" }, { status: 401 })
    try {
      const lines: string[] = []
      const source = makeSource<ViessmannSource>(ViessmannSource, config({ apiUrl: api.url }), { log: lines })
      answers = [unauthorized(), unauthorized()]
      expect(
        await source.probe().then(
          () => "probed",
          (e: Error) => e.message,
        ),
      ).toBe("Viessmann installations: HTTP 401: UNAUTHORIZED, Invalid token, viErrorId req-9")
      expect(lines.filter((line) => line.includes("refused the access token"))).toEqual([
        expect.stringMatching(
          /installations: the API refused the access token \(HTTP 401: UNAUTHORIZED, Invalid token, viErrorId req-9\); renewing it$/,
        ),
      ])
      expect(answers).toEqual([])
      answers = [new Response("<html>bad gateway</html>", { status: 502 })]
      expect(
        await source.probe().then(
          () => "probed",
          (e: Error) => e.message,
        ),
      ).toBe("Viessmann installations: HTTP 502")
      answers = [Response.json({ error: "E", message: "m".repeat(300) }, { status: 500 })]
      expect(
        await source.probe().then(
          () => "probed",
          (e: Error) => e.message,
        ),
      ).toBe(`Viessmann installations: HTTP 500${`: E, ${"m".repeat(300)}`.slice(0, 240)}`)
    } finally {
      await api.stop()
    }
  })
})
