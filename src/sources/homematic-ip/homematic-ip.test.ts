import { afterAll, describe, expect, it } from "bun:test"
import { toValueSets, type ProbeResult } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { makeLoggedSource } from "../../../test/helpers/logged-source.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { builtinSources } from "../index.ts"
import { clientAuthToken, escapeLabel, homematicValueSets, normalizeAccessPoint, restUrlFromLookup } from "./client.ts"
import { ACCESS_POINT, AUTH_TOKEN, homeState, recordedState, startFakeHomematicIp } from "./fake-server.ts"
import { HomematicIpSource } from "./index.ts"

/** `<value name>.<room>[.<device>]` → value, from the Graphite paths `pollect.homematicip.…`. */
function values(probe: ProbeResult): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [path, value] of byGraphitePath(probe, "HomematicIp")) out[path.replace(/^pollect\.homematicip\./, "")] = value
  return out
}

const failing: Record<string, unknown> = { type: "HomematicIp", authToken: AUTH_TOKEN, accessPoint: ACCESS_POINT }

sourceConformance({
  type: "HomematicIp",
  cls: HomematicIpSource,
  dir: import.meta.dir,
  golden: async (testCase) => {
    const cloud = startFakeHomematicIp({
      authToken: testCase.config.authToken as string,
      accessPoint: normalizeAccessPoint(testCase.config.accessPoint as string),
      state: recordedState(testCase.dir),
    })
    try {
      return [await makeSource<HomematicIpSource>(HomematicIpSource, { ...testCase.config, lookupUrl: cloud.lookupUrl }).probe()]
    } finally {
      await cloud.stop()
    }
  },
  failing: {
    config: failing,
    // The lookup host is down: a closed loopback port.
    setup: async () => {
      const down = { url: await downServerUrl() }
      failing.lookupUrl = `${down.url}/getHost`
    },
    message: /Unable to connect/,
  },
})

describe("HomematicIp (pure)", () => {
  it("derives CLIENTAUTH as SHA-512(accessPoint + salt), upper-case (vector computed with Python's hashlib)", () => {
    expect(clientAuthToken("3014F711A0000000000BEEF1")).toBe(
      "304780498CC0A2D3006009CB1DC138CF689DB35CE64876179D117B33CDE13B57653F28E72BBE4C8B6144DEBBB72A83051F1B650B1E3B3C48D47D864315FBFDCE",
    )
    expect(normalizeAccessPoint("3014-f711-a000-0000-000b-eef1")).toBe("3014F711A0000000000BEEF1")
  })

  it("escapes room names as the original did", () => {
    expect(escapeLabel("Küche")).toBe("kueche")
    expect(escapeLabel("Bad Oben")).toBe("bad_oben")
    expect(escapeLabel("Bäder Öfen")).toBe("baeder_oefen")
  })

  it("maps the state to the original's room values plus per-device values", () => {
    const v = values(homematicValueSets(homeState()))
    expect(v).toEqual({
      // the original's names, room label only (one display per room)
      "temperature_target.wohnzimmer": 21.5,
      "temperature.wohnzimmer": 21.4,
      "humidity.wohnzimmer": 43,
      "temperature_target.kueche": 19,
      "temperature.kueche": 19.8,
      "humidity.kueche": 55,
      // per device
      "device_temperature.wohnzimmer.wandthermostat": 21.4,
      "device_temperature_target.wohnzimmer.wandthermostat": 21.5,
      "device_humidity.wohnzimmer.wandthermostat": 43,
      "valve_position.wohnzimmer.heizung_fenster": 0.27,
      "valve_temperature.wohnzimmer.heizung_fenster": 20,
      "device_temperature_target.wohnzimmer.heizung_fenster": 21.5,
      "device_temperature.kueche.klima_kueche": 19.8,
      "device_temperature_target.kueche.klima_kueche": 19,
      "device_humidity.kueche.klima_kueche": 55,
      "valve_position.bad_oben.heizkoerper": 1,
      "valve_temperature.bad_oben.heizkoerper": 23.5,
      "device_temperature_target.bad_oben.heizkoerper": 24,
    })
  })

  it("rejects answers without devices/groups and lookups without urlREST", () => {
    expect(() => homematicValueSets({ errorCode: "X" })).toThrow(/no devices\/groups/)
    expect(() => restUrlFromLookup({ urlWebSocket: "wss://x" })).toThrow(/no urlREST/)
  })

  it("is registered", () => {
    expect(builtinSources.HomematicIp?.cls).toBe(HomematicIpSource)
  })
})

describe("HomematicIp against the fake cloud", () => {
  const cloud = startFakeHomematicIp()
  afterAll(() => cloud.stop())
  const make = (extra: Record<string, unknown> = {}) =>
    makeLoggedSource<HomematicIpSource>(HomematicIpSource, {
      type: "HomematicIp",
      authToken: AUTH_TOKEN,
      accessPoint: "3014-F711-A000-0000-000B-EEF1",
      lookupUrl: cloud.lookupUrl,
      ...extra,
    })
  const probe = async (source: HomematicIpSource) => values(await source.probe())

  it("looks the REST server up once, then reads the state with AUTHTOKEN and CLIENTAUTH", async () => {
    const before = { ...cloud.calls }
    const { source, lines } = make()
    expect((await probe(source))["temperature.wohnzimmer"]).toBe(21.4)
    expect((await probe(source))["valve_position.bad_oben.heizkoerper"]).toBe(1)
    expect(cloud.calls.lookups - before.lookups).toBe(1)
    expect(cloud.calls.states - before.states).toBe(2)
    const lookup = cloud.seen("/getHost")[0]!
    expect(JSON.parse(lookup.body)).toMatchObject({ id: ACCESS_POINT, clientCharacteristics: { apiVersion: "10", deviceType: "Computer" } })
    const state = cloud.seen("/hmip/home/getCurrentState").at(-1)!
    expect(Object.fromEntries(state.headers)).toMatchObject({
      authtoken: AUTH_TOKEN,
      clientauth: clientAuthToken(ACCESS_POINT),
      version: "12",
      "content-type": "application/json",
    })
    expect(lines.join("\n")).not.toContain(AUTH_TOKEN)
  })

  it("a wrong auth token is a clear error without the token; a fixed token recovers", async () => {
    const { source, lines } = make({ authToken: "WRONG-TOKEN-0123456789" })
    const message = await Promise.resolve(source.probe()).then(
      () => "no error",
      (e: Error) => e.message,
    )
    expect(message).toBe("HomematicIP refused the request (HTTP 403: INVALID_AUTHTOKEN): check authToken and accessPoint")
    cloud.authToken = "WRONG-TOKEN-0123456789"
    try {
      expect((await probe(source))["humidity.kueche"]).toBe(55)
    } finally {
      cloud.authToken = AUTH_TOKEN
    }
    expect(lines.join("\n")).not.toContain("WRONG-TOKEN")
  })

  it("an unknown access point fails at the lookup", async () => {
    const { source } = make({ accessPoint: "3014F711A000000000000000" })
    await expect(Promise.resolve(source.probe())).rejects.toThrow("HomematicIP lookup: HTTP 400: INVALID_ACCESSPOINT_ID")
  })

  it("a 500 or a garbage answer fails that probe clearly; the next probe recovers (with a new lookup)", async () => {
    const { source } = make()
    await probe(source)
    const lookups = cloud.calls.lookups
    cloud.failNext = { mode: "500", count: 1 }
    await expect(Promise.resolve(source.probe())).rejects.toThrow("HomematicIP getCurrentState: HTTP 500")
    expect((await probe(source))["temperature.kueche"]).toBe(19.8)
    cloud.failNext = { mode: "garbage", count: 1 }
    await expect(Promise.resolve(source.probe())).rejects.toThrow(/getCurrentState: the answer is not JSON \(HTTP 200/)
    expect((await probe(source))["temperature.kueche"]).toBe(19.8)
    expect(cloud.calls.lookups - lookups).toBe(2)
  })

  it("restUrl skips the lookup", async () => {
    const lookups = cloud.calls.lookups
    const { source } = make({ restUrl: cloud.url, lookupUrl: "http://127.0.0.1:9/unused" })
    expect((await probe(source))["temperature.wohnzimmer"]).toBe(21.4)
    expect(cloud.calls.lookups).toBe(lookups)
  })

  itWithTools(["promtool"], "snake_case output passes promtool check metrics", async () => {
    const { source } = make()
    const text = snakeCaseExposition(resultOf(toValueSets(await source.probe()), { type: "HomematicIp" }))
    expect(text).toMatch(/^pollect_homematic_ip_temperature_celsius\{room="wohnzimmer"\} 21\.4$/m)
    expect(text).toMatch(/^pollect_homematic_ip_valve_position_ratio\{room="bad_oben",device="heizkoerper"\} 1$/m)
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})
