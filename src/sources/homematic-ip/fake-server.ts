/**
 * A fake HomematicIP cloud on loopback: the lookup host (`POST /getHost` → urlREST) and the REST
 * server (`POST /hmip/home/getCurrentState`) checking AUTHTOKEN and CLIENTAUTH. The state JSON is
 * shaped like homematicip-rest-api's recorded home.json (devices with functionalChannels, META
 * groups listing their channels by deviceId), with values of our own.
 */
import { createHash } from "node:crypto"

export const ACCESS_POINT = "3014F711A0000000000BEEF1"
export const AUTH_TOKEN = "8A45BAA53BE37E3FCA58E9976EFA4C497DAFE55DB997DB9FD685236E5E63ED7DE"

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json;charset=UTF-8" } })

function wallThermostat(
  id: string,
  label: string,
  group: string,
  actual: number,
  target: number,
  humidity: number,
  type = "WALL_MOUNTED_THERMOSTAT_PRO",
) {
  return {
    id,
    label,
    type,
    modelType: type === "WALL_MOUNTED_THERMOSTAT_PRO" ? "HmIP-WTH-2" : "HmIP-STHD",
    homeId: "00000000-0000-0000-0000-000000000001",
    lastStatusUpdate: 1764000000000,
    permanentlyReachable: false,
    serializedGlobalTradeItemNumber: id,
    functionalChannels: {
      "0": {
        deviceId: id,
        functionalChannelType: "DEVICE_OPERATIONLOCK",
        groupIndex: 0,
        groups: [group],
        index: 0,
        label: "",
        lowBat: false,
        rssiDeviceValue: -60,
        unreach: false,
      },
      "1": {
        deviceId: id,
        functionalChannelType: "WALL_MOUNTED_THERMOSTAT_PRO_CHANNEL",
        groupIndex: 1,
        groups: ["00000000-0000-0000-0000-0000000000A1"],
        index: 1,
        label: "",
        actualTemperature: actual,
        setPointTemperature: target,
        humidity,
        vaporAmount: 6.2,
        temperatureOffset: 0,
        display: "ACTUAL_HUMIDITY",
      },
    },
  }
}

function radiatorThermostat(id: string, label: string, group: string, valve: number, actual: number, target: number) {
  return {
    id,
    label,
    type: "HEATING_THERMOSTAT",
    modelType: "HMIP-eTRV",
    homeId: "00000000-0000-0000-0000-000000000001",
    lastStatusUpdate: 1764000000000,
    serializedGlobalTradeItemNumber: id,
    functionalChannels: {
      "0": {
        deviceId: id,
        functionalChannelType: "DEVICE_OPERATIONLOCK",
        groupIndex: 0,
        groups: [group],
        index: 0,
        label: "",
        lowBat: false,
        unreach: false,
      },
      "1": {
        deviceId: id,
        functionalChannelType: "HEATING_THERMOSTAT_CHANNEL",
        groupIndex: 1,
        groups: ["00000000-0000-0000-0000-0000000000A1"],
        index: 1,
        label: "",
        valveActualTemperature: actual,
        setPointTemperature: target,
        temperatureOffset: 0,
        valvePosition: valve,
        valveState: "ADAPTION_DONE",
      },
    },
  }
}

function meta(id: string, label: string, deviceIds: string[]) {
  return {
    id,
    label,
    type: "META",
    homeId: "00000000-0000-0000-0000-000000000001",
    channels: deviceIds.map((deviceId) => ({ channelIndex: 0, deviceId })),
    groups: [],
    lastStatusUpdate: 1764000000000,
    lowBat: false,
    unreach: false,
  }
}

export function homeState(): Record<string, unknown> {
  const devices = [
    wallThermostat("3014F7110000000000000022", "Wandthermostat", "G-LIVING", 21.4, 21.5, 43),
    radiatorThermostat("3014F7110000000000000011", "Heizung Fenster", "G-LIVING", 0.27, 20.0, 21.5),
    wallThermostat("3014F7110000000000000033", "Klima Küche", "G-KITCHEN", 19.8, 19.0, 55, "TEMPERATURE_HUMIDITY_SENSOR_DISPLAY"),
    radiatorThermostat("3014F7110000000000000044", "Heizkörper", "G-BATH", 1.0, 23.5, 24.0),
    {
      id: "3014F7110000000000000050",
      label: "Balkontür",
      type: "SHUTTER_CONTACT",
      functionalChannels: {
        "1": { deviceId: "3014F7110000000000000050", functionalChannelType: "SHUTTER_CONTACT_CHANNEL", windowState: "CLOSED", index: 1 },
      },
    },
  ]
  return {
    clients: {
      "00000000-0000-0000-0000-0000000000C1": { id: "00000000-0000-0000-0000-0000000000C1", label: "pollect", clientType: "APP" },
    },
    devices: Object.fromEntries(devices.map((d) => [d.id, d])),
    groups: {
      "G-LIVING": meta("G-LIVING", "Wohnzimmer", ["3014F7110000000000000022", "3014F7110000000000000011", "3014F7110000000000000022"]),
      "G-KITCHEN": meta("G-KITCHEN", "Küche", ["3014F7110000000000000033"]),
      "G-BATH": meta("G-BATH", "Bad Oben", ["3014F7110000000000000044", "3014F7110000000000000050"]),
      "00000000-0000-0000-0000-0000000000A1": {
        id: "00000000-0000-0000-0000-0000000000A1",
        label: "Wohnzimmer",
        type: "HEATING",
        actualTemperature: 21.4,
        setPointTemperature: 21.5,
        humidity: 43,
        valvePosition: 0.27,
        channels: [{ channelIndex: 1, deviceId: "3014F7110000000000000011" }],
      },
    },
    home: {
      id: "00000000-0000-0000-0000-000000000001",
      currentAPVersion: "2.2.18",
      connected: true,
      weather: { temperature: 4.5, humidity: 80 },
    },
  }
}

export class FakeHomematicIp {
  authToken = AUTH_TOKEN
  readonly accessPoint = ACCESS_POINT
  state: Record<string, unknown> = homeState()
  failNext: { mode: "500" | "garbage"; count: number } | null = null
  readonly calls = { lookups: 0, states: 0 }
  /** Headers and bodies of every request, to check what was sent. */
  readonly requests: { path: string; headers: Record<string, string>; body: string }[] = []
  private server?: ReturnType<typeof Bun.serve>

  get url(): string {
    if (!this.server) throw new Error("fake HomematicIP not started")
    return `http://127.0.0.1:${this.server.port}`
  }

  get lookupUrl(): string {
    return `${this.url}/getHost`
  }

  start(): this {
    this.server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.handle(req) })
    return this
  }

  stop(): void {
    this.server?.stop(true)
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    const body = await req.text()
    this.requests.push({ path: url.pathname, headers: Object.fromEntries(req.headers), body })
    if (req.method !== "POST") return json({ errorCode: "METHOD_NOT_ALLOWED" }, 405)
    let parsed: Record<string, any>
    try {
      parsed = JSON.parse(body)
    } catch {
      return json({ errorCode: "INVALID_REQUEST" }, 400)
    }
    const characteristics = parsed.clientCharacteristics
    if (!characteristics || typeof characteristics.apiVersion !== "string" || typeof characteristics.applicationIdentifier !== "string") {
      return json({ errorCode: "INVALID_CLIENT_CHARACTERISTICS" }, 400)
    }
    if (url.pathname === "/getHost") {
      this.calls.lookups++
      if (parsed.id !== this.accessPoint) return json({ errorCode: "INVALID_ACCESSPOINT_ID" }, 400)
      return json({
        urlREST: this.url,
        urlWebSocket: `ws://127.0.0.1:${this.server!.port}`,
        apiVersion: "12",
        primaryAccessPointId: this.accessPoint,
        requestingAccessPointId: this.accessPoint,
      })
    }
    if (url.pathname === "/hmip/home/getCurrentState") {
      this.calls.states++
      const expectedClientAuth = createHash("sha512")
        .update(this.accessPoint + "jiLpVitHvWnIGD1yo7MA")
        .digest("hex")
        .toUpperCase()
      if (req.headers.get("authtoken") !== this.authToken || req.headers.get("clientauth") !== expectedClientAuth) {
        return json({ errorCode: "INVALID_AUTHTOKEN" }, 403)
      }
      if (req.headers.get("version") !== "12") return json({ errorCode: "INVALID_VERSION" }, 400)
      if (this.failNext && this.failNext.count > 0) {
        const mode = this.failNext.mode
        if (--this.failNext.count === 0) this.failNext = null
        if (mode === "500") return new Response("Internal Server Error", { status: 500 })
        return new Response('{"devices": {"truncated', { status: 200, headers: { "content-type": "application/json" } })
      }
      return json(this.state)
    }
    return json({ errorCode: "NOT_FOUND" }, 404)
  }
}
