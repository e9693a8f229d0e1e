import { afterAll, describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { release } from "node:os"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { toValueSets, type ProbeResult } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf } from "../../../test/helpers/context.ts"
import { downServerUrl, serveFake } from "../../../test/helpers/fake-server.ts"
import { makeLoggedSource } from "../../../test/helpers/logged-source.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { builtinSources } from "../index.ts"
import {
  clientAuthToken,
  clientCharacteristics,
  escapeLabel,
  homematicValueSets,
  normalizeAccessPoint,
  restUrlFromLookup,
} from "./client.ts"
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

  it("presents the client characteristics of the Python library (the auth token was made with them)", () => {
    expect(clientCharacteristics(ACCESS_POINT)).toEqual({
      clientCharacteristics: {
        apiVersion: "10",
        applicationIdentifier: "homematicip-python",
        applicationVersion: "1.0",
        deviceManufacturer: "none",
        deviceType: "Computer",
        language: "en_US",
        osType: { linux: "Linux", darwin: "Darwin", win32: "Windows", freebsd: "FreeBSD" }[process.platform as string] ?? process.platform,
        osVersion: release(),
      },
      id: ACCESS_POINT,
    })
  })

  it("names the OS as Python's platform.system() does", () => {
    const original = Object.getOwnPropertyDescriptor(process, "platform")!
    const osType = (platform: string) => {
      Object.defineProperty(process, "platform", { ...original, value: platform })
      try {
        return (clientCharacteristics(ACCESS_POINT).clientCharacteristics as { osType: string }).osType
      } finally {
        Object.defineProperty(process, "platform", original)
      }
    }
    expect(["linux", "darwin", "win32", "freebsd", "sunos"].map(osType)).toEqual(["Linux", "Darwin", "Windows", "FreeBSD", "sunos"])
  })

  it("the lookup's urlREST must be an http(s) URL; its trailing slashes are dropped", () => {
    expect(restUrlFromLookup({ urlREST: "https://srv17.homematic.com:6969//" })).toBe("https://srv17.homematic.com:6969")
    expect(restUrlFromLookup({ urlREST: "http://127.0.0.1:8080" })).toBe("http://127.0.0.1:8080")
    for (const answer of [
      null,
      5,
      {},
      { urlREST: 5 },
      { urlREST: ["https://x.example"] },
      { urlREST: "ftp://x.example" },
      { urlREST: "see https://x.example" },
    ])
      expect(() => restUrlFromLookup(answer)).toThrow(/^lookup answer has no urlREST$/)
  })

  it("is registered", () => {
    expect(builtinSources.HomematicIp?.cls).toBe(HomematicIpSource)
  })
})

/** A getCurrentState answer: `devices` (id → label and channels) and META `rooms` (label → device ids). */
function home(
  devices: Record<string, { label?: unknown; channels: unknown[] } | null>,
  rooms: Record<string, unknown[]>,
): Record<string, unknown> {
  return {
    devices: Object.fromEntries(
      Object.entries(devices).map(([id, device]) => [
        id,
        device && {
          id,
          label: device.label,
          functionalChannels: Object.fromEntries(device.channels.map((channel, i) => [String(i), channel])),
        },
      ]),
    ),
    groups: Object.fromEntries(
      Object.entries(rooms).map(([label, ids]) => [`G-${label}`, { type: "META", label, channels: ids.map((deviceId) => ({ deviceId })) }]),
    ),
  }
}
const climate = (fields: Record<string, unknown>) => ({ functionalChannelType: "WALL_MOUNTED_THERMOSTAT_PRO_CHANNEL", ...fields })
const valve = (fields: Record<string, unknown>) => ({ functionalChannelType: "HEATING_THERMOSTAT_CHANNEL", ...fields })

describe("HomematicIp: reading the state", () => {
  it("the first climate display of a room gives the room's values; a second one only its own", () => {
    const state = home(
      {
        A: { label: "Wand", channels: [climate({ actualTemperature: 21, setPointTemperature: 22, humidity: 40 })] },
        B: { label: "Klima", channels: [climate({ actualTemperature: 19, setPointTemperature: 18, humidity: 60 })] },
      },
      { Wohnzimmer: ["A", "B"] },
    )
    expect(values(homematicValueSets(state))).toEqual({
      "temperature_target.wohnzimmer": 22,
      "temperature.wohnzimmer": 21,
      "humidity.wohnzimmer": 40,
      "device_temperature.wohnzimmer.wand": 21,
      "device_temperature_target.wohnzimmer.wand": 22,
      "device_humidity.wohnzimmer.wand": 40,
      "device_temperature.wohnzimmer.klima": 19,
      "device_temperature_target.wohnzimmer.klima": 18,
      "device_humidity.wohnzimmer.klima": 60,
    })
  })

  it("a value a channel lacks, or has as text or beyond a double (1e999), is left out; the sets without values too", () => {
    const state = JSON.parse(
      JSON.stringify(
        home(
          {
            A: { label: "Wand", channels: [climate({ actualTemperature: "21.5", humidity: "BIG" })] },
            B: { label: "Ventil", channels: [valve({ valvePosition: "0.5", setPointTemperature: 20 })] },
            C: { label: "Ventil 2", channels: [valve({ valveActualTemperature: 22 })] },
          },
          { Bad: ["A", "B", "C"] },
        ),
      ).replace('"BIG"', "1e999"),
    )
    const sets = homematicValueSets(state)
    // toStrictEqual: a value added as undefined would be a key with value undefined.
    expect(values(sets)).toStrictEqual({ "device_temperature_target.bad.ventil": 20, "valve_temperature.bad.ventil_2": 22 })
    expect(sets.map((set) => set.values.length)).toEqual([2])
    expect(sets.map((set) => set.spec)).toEqual([HomematicIpSource.metrics.deviceTemperature])
    expect(homematicValueSets({ devices: {}, groups: {} })).toEqual([])
  })

  it("only climate-display and radiator-thermostat channels are read", () => {
    const fields = { actualTemperature: 1, setPointTemperature: 2, humidity: 3, valvePosition: 0.5, valveActualTemperature: 4 }
    const state = home(
      { A: { label: "Fenster", channels: [{ functionalChannelType: "SHUTTER_CONTACT_CHANNEL", ...fields }] } },
      { Bad: ["A"] },
    )
    expect(homematicValueSets(state)).toEqual([])
  })

  it("a device without a text label is named by its id; a room without one is empty", () => {
    const state = home(
      { "3014F711": { channels: [valve({ valvePosition: 0.5 })] }, B: { label: 5, channels: [valve({ valvePosition: 1 })] } },
      { X: ["3014F711", "B"] },
    )
    delete (state.groups as Record<string, Record<string, unknown>>)["G-X"]!.label
    expect(values(homematicValueSets(state))).toEqual({ "valve_position._.3014f711": 0.5, "valve_position._.b": 1 })
  })

  it("entries of the wrong shape are skipped: a null device or channel, a room listing an unknown device, a null group or group channel", () => {
    const state = home(
      { A: null, B: { label: "Ventil", channels: [null, 5, valve({ valvePosition: 0.5 })] } },
      { Bad: ["A", "unknown", null, 7, "B"] },
    )
    ;(state.groups as Record<string, { channels: unknown[] } | null>)["G-Bad"]!.channels.unshift(null)
    ;(state.groups as Record<string, unknown>)["G-null"] = null
    ;(state.groups as Record<string, unknown>)["G-other"] = { type: "HEATING", label: "Heizung", channels: [{ deviceId: "B" }] }
    expect(values(homematicValueSets(state))).toEqual({ "valve_position.bad.ventil": 0.5 })
  })

  it("an answer without devices and groups as objects is refused", () => {
    for (const answer of [
      null,
      [],
      { groups: {} },
      { devices: {} },
      { devices: [], groups: {} },
      { devices: "x", groups: {} },
      { devices: 5, groups: {} },
      { devices: {}, groups: [] },
    ])
      expect(() => homematicValueSets(answer)).toThrow(/^getCurrentState answer has no devices\/groups$/)
  })

  it("names the series with their units and labels (snake_case)", () => {
    const text = snakeCaseExposition(resultOf(toValueSets(homematicValueSets(homeState())), { type: "HomematicIp" }))
    const names = [
      ...new Set(
        text
          .split("\n")
          .filter((line) => line && !line.startsWith("#"))
          .map((line) => line.replace(/="[^"]*"/g, "").replace(/ .*$/, "")),
      ),
    ]
    expect(names.sort()).toEqual([
      "pollect_homematic_ip_device_humidity_ratio{room,device}",
      "pollect_homematic_ip_device_temperature_celsius{room,device}",
      "pollect_homematic_ip_device_temperature_target_celsius{room,device}",
      "pollect_homematic_ip_humidity_ratio{room}",
      "pollect_homematic_ip_temperature_celsius{room}",
      "pollect_homematic_ip_temperature_target_celsius{room}",
      "pollect_homematic_ip_valve_position_ratio{room,device}",
      "pollect_homematic_ip_valve_temperature_celsius{room,device}",
    ])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(
      regenerated({ kind: "sources", type: "HomematicIp", aliases: [], cls: HomematicIpSource, dir: import.meta.dir, readme }, text),
    ).toBe(text)
  })
})

describe("HomematicIp: the cloud's answers", () => {
  /** A cloud whose lookup and getCurrentState answer `lookup` and `state` (status, body). */
  function cloudAnswering(lookup: [number, string], state: [number, string] = [200, JSON.stringify(homeState())]) {
    const server = serveFake((_request, url) => {
      if (url.pathname === "/getHost") {
        const [status, body] = lookup
        return new Response(body.replace("$URL", server.url), { status })
      }
      const [status, body] = state
      return new Response(body, { status })
    })
    return server
  }
  const hmip = (lookupUrl: string, extra: Record<string, unknown> = {}) =>
    makeSource<HomematicIpSource>(HomematicIpSource, {
      type: "HomematicIp",
      authToken: AUTH_TOKEN,
      accessPoint: ACCESS_POINT,
      lookupUrl,
      ...extra,
    })
  const failure = (source: HomematicIpSource) =>
    Promise.resolve(source.probe()).then(
      () => "no error",
      (e: Error) => e.message,
    )
  const lookupOk: [number, string] = [200, '{"urlREST":"$URL"}']

  it("lookup errors: the errorCode (80 characters at most), none without one, not JSON", async () => {
    const long = "E".repeat(100)
    for (const [answer, message] of [
      [[400, JSON.stringify({ errorCode: long })], `HomematicIP lookup: HTTP 400: ${"E".repeat(80)}`],
      [[500, "Internal Server Error"], "HomematicIP lookup: HTTP 500"],
      [[200, "<html>maintenance</html>"], "HomematicIP lookup: the answer is not JSON (HTTP 200)"],
    ] as const) {
      const server = cloudAnswering(answer as [number, string])
      try {
        expect(await failure(hmip(`${server.url}/getHost`))).toBe(message)
      } finally {
        await server.stop()
      }
    }
  })

  it("getCurrentState: 401 is refused as 403 is, 429 is throttling", async () => {
    for (const [answer, message] of [
      [
        [401, '{"errorCode":"INVALID_CLIENTAUTH"}'],
        "HomematicIP refused the request (HTTP 401: INVALID_CLIENTAUTH): check authToken and accessPoint",
      ],
      [[429, ""], "HomematicIP getCurrentState: throttled by the cloud (HTTP 429); probe less often"],
    ] as const) {
      const server = cloudAnswering(lookupOk, answer as [number, string])
      try {
        expect(await failure(hmip(`${server.url}/getHost`))).toBe(message)
      } finally {
        await server.stop()
      }
    }
  })

  it("both calls send and ask for JSON; the server found is logged (debug)", async () => {
    const server = cloudAnswering(lookupOk)
    const lines: string[] = []
    try {
      const source = makeSource<HomematicIpSource>(
        HomematicIpSource,
        { type: "HomematicIp", authToken: AUTH_TOKEN, accessPoint: ACCESS_POINT, lookupUrl: `${server.url}/getHost` },
        { log: lines },
      )
      await source.probe()
      expect(server.requests.map((r) => [r.path, r.headers.get("content-type"), r.headers.get("accept")])).toEqual([
        ["/getHost", "application/json", "application/json"],
        ["/hmip/home/getCurrentState", "application/json", "application/json"],
      ])
      expect(lines.some((line) => line.endsWith(`DEBUG [HomematicIp] access point served by ${server.url}`))).toBe(true)
    } finally {
      await server.stop()
    }
  })

  it("an empty authToken or accessPoint is named at the probe", async () => {
    const probe = (config: Record<string, unknown>) => failure(hmip("http://127.0.0.1:9/getHost", config))
    expect(await probe({ authToken: "" })).toBe("authToken empty: set it in the config (see the HomematicIp README)")
    expect(await probe({ accessPoint: " - " })).toBe("accessPoint empty: set it in the config (see the HomematicIp README)")
    expect(await probe({ authToken: "", accessPoint: "" })).toBe(
      "authToken and accessPoint empty: set them in the config (see the HomematicIp README)",
    )
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

  it("restUrl skips the lookup (its trailing slashes dropped), also after a failed probe", async () => {
    const lookups = cloud.calls.lookups
    const { source } = make({ restUrl: `${cloud.url}//`, lookupUrl: "http://127.0.0.1:9/unused" })
    // The URL as fetched (the server would read `//hmip/...` as `/hmip/...`).
    const ctx = (source as unknown as { ctx: { fetch: typeof fetch } }).ctx
    const fetched: string[] = []
    const realFetch = ctx.fetch
    ctx.fetch = ((input: string, init?: RequestInit) => {
      fetched.push(String(input))
      return realFetch(input, init)
    }) as typeof fetch
    expect((await probe(source))["temperature.wohnzimmer"]).toBe(21.4)
    expect(fetched).toEqual([`${cloud.url}/hmip/home/getCurrentState`])
    cloud.failNext = { mode: "500", count: 1 }
    await expect(Promise.resolve(source.probe())).rejects.toThrow("HomematicIP getCurrentState: HTTP 500")
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
