/**
 * The messages of ESPHome's native API (`api.proto`, esphome/aioesphomeapi) that pollect uses,
 * by message id, with their field numbers. The client side encodes requests and decodes the
 * device's answers; the fake device (tests) does the opposite, with the same field numbers.
 */
import { FieldMap, MessageWriter } from "./protobuf.ts"

/** Message ids (`option (id)` in api.proto). */
export const MSG = {
  HelloRequest: 1,
  HelloResponse: 2,
  /** ConnectRequest before ESPHome 2023.x, AuthenticationRequest later; ignored since 2026.1. */
  AuthenticationRequest: 3,
  AuthenticationResponse: 4,
  DisconnectRequest: 5,
  DisconnectResponse: 6,
  PingRequest: 7,
  PingResponse: 8,
  ListEntitiesRequest: 11,
  ListEntitiesBinarySensorResponse: 12,
  ListEntitiesSensorResponse: 16,
  ListEntitiesTextSensorResponse: 18,
  ListEntitiesDoneResponse: 19,
  SubscribeStatesRequest: 20,
  BinarySensorStateResponse: 21,
  SensorStateResponse: 25,
  GetTimeRequest: 36,
  GetTimeResponse: 37,
} as const

/** What a listed sensor or binary sensor is. */
export interface Entity {
  kind: "sensor" | "binary_sensor"
  key: number
  objectId: string
  name: string
  deviceClass: string
  unit: string
}

/** A state update: the entity's key and its value (NaN: the device has no value yet). */
export interface EntityState {
  key: number
  value: number
}

export function encodeHelloRequest(clientInfo: string, major: number, minor: number): Uint8Array {
  return new MessageWriter().string(1, clientInfo).uint(2, major).uint(3, minor).finish()
}

export interface HelloResponse {
  apiMajor: number
  apiMinor: number
  serverInfo: string
  name: string
}

export function decodeHelloResponse(payload: Uint8Array): HelloResponse {
  const f = new FieldMap(payload)
  return { apiMajor: f.uint(1), apiMinor: f.uint(2), serverInfo: f.string(3, 64), name: f.string(4, 64) }
}

export function encodeHelloResponse(hello: HelloResponse): Uint8Array {
  return new MessageWriter().uint(1, hello.apiMajor).uint(2, hello.apiMinor).string(3, hello.serverInfo).string(4, hello.name).finish()
}

export function encodeAuthenticationRequest(password: string): Uint8Array {
  return password ? new MessageWriter().string(1, password).finish() : new Uint8Array(0)
}

export function decodeAuthenticationResponse(payload: Uint8Array): { invalidPassword: boolean } {
  return { invalidPassword: new FieldMap(payload).bool(1) }
}

/** ListEntitiesSensorResponse (16) or ListEntitiesBinarySensorResponse (12). */
export function decodeEntity(type: number, payload: Uint8Array): Entity {
  const f = new FieldMap(payload)
  if (type === MSG.ListEntitiesSensorResponse) {
    return {
      kind: "sensor",
      objectId: f.string(1, 128),
      key: f.fixed32(2),
      name: f.string(3, 128),
      unit: f.string(6, 64),
      deviceClass: f.string(9, 64),
    }
  }
  return {
    kind: "binary_sensor",
    objectId: f.string(1, 128),
    key: f.fixed32(2),
    name: f.string(3, 128),
    unit: "",
    deviceClass: f.string(5, 64),
  }
}

export function encodeEntity(entity: Entity): { type: number; payload: Uint8Array } {
  const w = new MessageWriter().string(1, entity.objectId).fixed32(2, entity.key).string(3, entity.name)
  if (entity.kind === "sensor") {
    if (entity.unit) w.string(6, entity.unit)
    if (entity.deviceClass) w.string(9, entity.deviceClass)
    return { type: MSG.ListEntitiesSensorResponse, payload: w.finish() }
  }
  if (entity.deviceClass) w.string(5, entity.deviceClass)
  return { type: MSG.ListEntitiesBinarySensorResponse, payload: w.finish() }
}

/** SensorStateResponse (25): a float32; BinarySensorStateResponse (21): a bool as 0/1. missing_state gives NaN. */
export function decodeState(type: number, payload: Uint8Array): EntityState {
  const f = new FieldMap(payload)
  const missing = f.bool(3)
  if (type === MSG.SensorStateResponse) return { key: f.fixed32(1), value: missing ? Number.NaN : f.float(2) }
  return { key: f.fixed32(1), value: missing ? Number.NaN : Number(f.bool(2)) }
}

export function encodeState(kind: Entity["kind"], state: EntityState): { type: number; payload: Uint8Array } {
  const w = new MessageWriter().fixed32(1, state.key)
  const missing = Number.isNaN(state.value)
  if (kind === "sensor") {
    if (!missing) w.float(2, state.value)
    return { type: MSG.SensorStateResponse, payload: w.bool(3, missing).finish() }
  }
  if (!missing) w.bool(2, state.value !== 0)
  return { type: MSG.BinarySensorStateResponse, payload: w.bool(3, missing).finish() }
}

export function encodeGetTimeResponse(epochSeconds: number): Uint8Array {
  return new MessageWriter().fixed32(1, epochSeconds).finish()
}

/**
 * The shortest decimal that is the same float32: the device sends 21.3 as float32
 * 21.299999237060547; pollect reports 21.3, as the device's own log and web page show it.
 */
export function float32Shortest(value: number): number {
  if (!Number.isFinite(value)) return value
  const single = Math.fround(value)
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(single.toPrecision(digits))
    if (Math.fround(candidate) === single) return candidate
  }
  return single
}
