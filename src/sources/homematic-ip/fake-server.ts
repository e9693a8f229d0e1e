/**
 * A fake HomematicIP cloud on loopback: the lookup host (`POST /getHost` → urlREST) and the REST
 * server (`POST /hmip/home/getCurrentState`) checking AUTHTOKEN and CLIENTAUTH. The state it
 * serves is a golden case's recorded `state.json` (testdata/home/ by default), shaped like
 * homematicip-rest-api's recorded home.json (devices with functionalChannels, META groups
 * listing their channels by deviceId), with values of our own.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { type FakeServer, serveFake } from "../../../test/helpers/fake-server.ts"

export const ACCESS_POINT = "3014F711A0000000000BEEF1"
export const AUTH_TOKEN = "8A45BAA53BE37E3FCA58E9976EFA4C497DAFE55DB997DB9FD685236E5E63ED7DE"

/** A golden case's recorded getCurrentState answer. */
export function recordedState(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, "state.json"), "utf8"))
}

/** The home of testdata/home/state.json: three rooms, wall thermostats, radiator valves, a contact. */
export function homeState(): Record<string, unknown> {
  return recordedState(join(import.meta.dir, "testdata", "home"))
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json;charset=UTF-8" } })

export interface FakeHomematicIpOptions {
  /** The auth token the REST server accepts; default AUTH_TOKEN. */
  authToken?: string
  /** The access point the lookup knows (without dashes); default ACCESS_POINT. */
  accessPoint?: string
  /** The getCurrentState answer; default homeState(). */
  state?: Record<string, unknown>
}

export interface FakeHomematicIp extends FakeServer {
  /** The auth token the REST server accepts (changeable). */
  authToken: string
  readonly accessPoint: string
  state: Record<string, unknown>
  /** The next `count` getCurrentState requests fail with a 500 or a truncated answer. */
  failNext: { mode: "500" | "garbage"; count: number } | null
  readonly calls: { lookups: number; states: number }
  /** `${url}/getHost`. */
  readonly lookupUrl: string
}

export function startFakeHomematicIp(options: FakeHomematicIpOptions = {}): FakeHomematicIp {
  const server = serveFake((request, url, body) => {
    if (request.method !== "POST") return json({ errorCode: "METHOD_NOT_ALLOWED" }, 405)
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
      fake.calls.lookups++
      if (parsed.id !== fake.accessPoint) return json({ errorCode: "INVALID_ACCESSPOINT_ID" }, 400)
      return json({
        urlREST: server.url,
        urlWebSocket: `ws://127.0.0.1:${server.port}`,
        apiVersion: "12",
        primaryAccessPointId: fake.accessPoint,
        requestingAccessPointId: fake.accessPoint,
      })
    }
    if (url.pathname === "/hmip/home/getCurrentState") {
      fake.calls.states++
      const expectedClientAuth = createHash("sha512")
        .update(fake.accessPoint + "jiLpVitHvWnIGD1yo7MA")
        .digest("hex")
        .toUpperCase()
      if (request.headers.get("authtoken") !== fake.authToken || request.headers.get("clientauth") !== expectedClientAuth) {
        return json({ errorCode: "INVALID_AUTHTOKEN" }, 403)
      }
      if (request.headers.get("version") !== "12") return json({ errorCode: "INVALID_VERSION" }, 400)
      if (fake.failNext && fake.failNext.count > 0) {
        const mode = fake.failNext.mode
        if (--fake.failNext.count === 0) fake.failNext = null
        if (mode === "500") return new Response("Internal Server Error", { status: 500 })
        return new Response('{"devices": {"truncated', { status: 200, headers: { "content-type": "application/json" } })
      }
      return json(fake.state)
    }
    return json({ errorCode: "NOT_FOUND" }, 404)
  })
  const fake: FakeHomematicIp = {
    ...server,
    authToken: options.authToken ?? AUTH_TOKEN,
    accessPoint: options.accessPoint ?? ACCESS_POINT,
    state: options.state ?? homeState(),
    failNext: null,
    calls: { lookups: 0, states: 0 },
    lookupUrl: `${server.url}/getHost`,
  }
  return fake
}
