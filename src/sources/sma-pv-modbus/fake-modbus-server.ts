/**
 * A raw TCP fake of a Modbus TCP server on loopback, for the golden cases (no Python needed)
 * and the answers a real server would not give (truncated, oversized, garbage, a wrong
 * transaction id). It serves a register map in testdata's registers.json format with function
 * 0x03 and 0x04; an address outside the map is exception 2, as pymodbus answers.
 */
import { readFileSync } from "node:fs"

/** testdata/<case>/registers.json: per unit id, first address → words. */
export interface RegisterMap {
  units: Record<string, Record<string, number[]>>
}

export interface FakeRequest {
  transactionId: number
  unitId: number
  fn: number
  address: number
  count: number
  /** Which connection (1, 2, ...) and which request on it (1, 2, ...). */
  connection: number
  index: number
}

/** What to do instead of the normal answer: bytes to send, close the connection, or stay silent. */
export type FakeAction = Uint8Array | "close" | "silent" | undefined

export interface FakeModbusOptions {
  /** Called per request with the normal answer; returning undefined sends it. */
  answer?: (request: FakeRequest, normal: Uint8Array) => FakeAction
}

export interface FakeModbusServer {
  readonly port: number
  readonly requests: FakeRequest[]
  /** Connections accepted so far. */
  connections(): number
  stop(): void
}

export function loadRegisterMap(file: string): RegisterMap {
  return JSON.parse(readFileSync(file, "utf8")) as RegisterMap
}

function wordsByUnit(map: RegisterMap): Map<number, Map<number, number>> {
  const units = new Map<number, Map<number, number>>()
  for (const [unit, blocks] of Object.entries(map.units)) {
    const words = new Map<number, number>()
    for (const [first, values] of Object.entries(blocks)) values.forEach((word, i) => words.set(Number(first) + i, word))
    units.set(Number(unit), words)
  }
  return units
}

/** An MBAP frame: header then `pdu`. */
export function mbapFrame(transactionId: number, unitId: number, pdu: number[]): Uint8Array {
  const frame = new Uint8Array(7 + pdu.length)
  const view = new DataView(frame.buffer)
  view.setUint16(0, transactionId)
  view.setUint16(2, 0)
  view.setUint16(4, pdu.length + 1)
  view.setUint8(6, unitId)
  frame.set(pdu, 7)
  return frame
}

function normalAnswer(units: Map<number, Map<number, number>>, request: FakeRequest): Uint8Array {
  const { transactionId, unitId, fn, address, count } = request
  const words = units.get(unitId)
  if (fn !== 0x03 && fn !== 0x04) return mbapFrame(transactionId, unitId, [fn | 0x80, 1])
  if (!words) return mbapFrame(transactionId, unitId, [fn | 0x80, 11])
  const data: number[] = []
  for (let a = address; a < address + count; a++) {
    const word = words.get(a)
    if (word === undefined) return mbapFrame(transactionId, unitId, [fn | 0x80, 2])
    data.push(word >> 8, word & 0xff)
  }
  return mbapFrame(transactionId, unitId, [fn, data.length, ...data])
}

interface ConnectionState {
  buffer: Uint8Array
  connection: number
  index: number
}

export function startFakeModbus(map: RegisterMap, options: FakeModbusOptions = {}): FakeModbusServer {
  const units = wordsByUnit(map)
  const requests: FakeRequest[] = []
  let accepted = 0
  const listener = Bun.listen<ConnectionState>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { buffer: new Uint8Array(0), connection: ++accepted, index: 0 }
      },
      data(socket, chunk) {
        const state = socket.data
        const joined = new Uint8Array(state.buffer.length + chunk.length)
        joined.set(state.buffer)
        joined.set(chunk, state.buffer.length)
        state.buffer = joined
        while (state.buffer.length >= 12) {
          const view = new DataView(state.buffer.buffer, state.buffer.byteOffset, 12)
          const request: FakeRequest = {
            transactionId: view.getUint16(0),
            unitId: view.getUint8(6),
            fn: view.getUint8(7),
            address: view.getUint16(8),
            count: view.getUint16(10),
            connection: state.connection,
            index: ++state.index,
          }
          state.buffer = state.buffer.slice(12)
          requests.push(request)
          const normal = normalAnswer(units, request)
          const action = options.answer?.(request, normal) ?? normal
          if (action === "close") return void socket.end()
          if (action !== "silent") socket.write(action)
        }
      },
    },
  })
  return {
    port: listener.port,
    requests,
    connections: () => accepted,
    stop: () => listener.stop(true),
  }
}
