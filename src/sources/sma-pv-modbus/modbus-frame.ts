/**
 * Modbus TCP framing (Modbus Application Protocol V1.1b3 and Modbus Messaging on TCP/IP V1.0b):
 * the MBAP header (transaction id, protocol id 0, length, unit id) and the two read functions a
 * meter needs, 0x03 (read holding registers) and 0x04 (read input registers). Pure functions:
 * the socket is modbus-client.ts's.
 */

/** MBAP header: transaction id (2), protocol id (2, always 0), length (2), unit id (1). */
export const MBAP_LENGTH = 7
/** At most 125 registers per read request (the PDU holds at most 250 data bytes). */
export const MAX_REGISTERS_PER_READ = 125

export const READ_HOLDING_REGISTERS = 0x03
export const READ_INPUT_REGISTERS = 0x04
export type ReadFunction = typeof READ_HOLDING_REGISTERS | typeof READ_INPUT_REGISTERS

/** The exception codes of the Modbus specification, by number. */
const EXCEPTION_NAMES: Record<number, string> = {
  1: "illegal function",
  2: "illegal data address",
  3: "illegal data value",
  4: "server device failure",
  5: "acknowledge",
  6: "server device busy",
  8: "memory parity error",
  10: "gateway path unavailable",
  11: "gateway target device failed to respond",
}

/** `2` → `2 (illegal data address)`. */
export function exceptionName(code: number): string {
  return `${code} (${EXCEPTION_NAMES[code] ?? "unknown exception code"})`
}

export function functionName(fn: ReadFunction): string {
  return fn === READ_HOLDING_REGISTERS ? "read holding registers" : "read input registers"
}

/** What was asked: enough to check the answer and to name it in an error. */
export interface ReadRequest {
  transactionId: number
  unitId: number
  fn: ReadFunction
  address: number
  count: number
}

/** An exception response (function | 0x80, code): the device refused the request. */
export class ModbusException extends Error {
  constructor(
    readonly code: number,
    request: ReadRequest,
  ) {
    super(`Modbus exception ${exceptionName(code)} for ${describeRequest(request)}`)
    this.name = "ModbusException"
  }
}

/** `read holding registers 30513..30520 (8) on unit 3`. */
export function describeRequest(request: ReadRequest): string {
  const last = request.address + request.count - 1
  return `${functionName(request.fn)} ${request.address}..${last} (${request.count}) on unit ${request.unitId}`
}

/** The 12 bytes of a read request. */
export function encodeReadRequest(request: ReadRequest): Uint8Array {
  const { transactionId, unitId, fn, address, count } = request
  if (!Number.isInteger(count) || count < 1 || count > MAX_REGISTERS_PER_READ) throw new RangeError(`register count ${count} is not 1..125`)
  if (!Number.isInteger(address) || address < 0 || address + count > 0x10000)
    throw new RangeError(`register address ${address} is not 0..65535`)
  const frame = new Uint8Array(12)
  const view = new DataView(frame.buffer)
  view.setUint16(0, transactionId & 0xffff)
  view.setUint16(2, 0) // protocol id: Modbus
  view.setUint16(4, 6) // unit id + function + address + count
  view.setUint8(6, unitId)
  view.setUint8(7, fn)
  view.setUint16(8, address)
  view.setUint16(10, count)
  return frame
}

/**
 * The largest frame a correct answer to `request` can be: header, function, byte count and the
 * registers. An exception response is shorter. Anything longer is refused before it is buffered.
 */
export function maxResponseLength(request: ReadRequest): number {
  return MBAP_LENGTH + 2 + 2 * request.count
}

/**
 * How long the frame starting at `buffer[0]` is, once its header is in (`undefined` before);
 * throws on a header that cannot belong to an answer to `request` (another protocol id, a
 * length beyond what was asked for, a length too short for any PDU).
 */
export function frameLength(buffer: Uint8Array, request: ReadRequest): number | undefined {
  if (buffer.length < MBAP_LENGTH) return undefined
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  const protocolId = view.getUint16(2)
  if (protocolId !== 0) throw new Error(`not a Modbus TCP answer (protocol id ${protocolId}, expected 0) to ${describeRequest(request)}`)
  const length = view.getUint16(4) // unit id + PDU
  const total = MBAP_LENGTH - 1 + length
  if (length < 3) throw new Error(`Modbus answer too short (length field ${length}) to ${describeRequest(request)}`)
  if (total > maxResponseLength(request)) {
    throw new Error(
      `Modbus answer of ${total} bytes is longer than the ${maxResponseLength(request)} an answer to ${describeRequest(request)} can be`,
    )
  }
  return total
}

/**
 * The registers of one whole frame answering `request`; throws a ModbusException for an
 * exception response and an Error naming the problem for anything else that does not fit.
 */
export function decodeReadResponse(frame: Uint8Array, request: ReadRequest): Uint16Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const transactionId = view.getUint16(0)
  if (transactionId !== (request.transactionId & 0xffff)) {
    throw new Error(
      `Modbus answer with transaction id ${transactionId}, expected ${request.transactionId & 0xffff} (${describeRequest(request)})`,
    )
  }
  const unitId = view.getUint8(6)
  if (unitId !== request.unitId) throw new Error(`Modbus answer from unit ${unitId} to ${describeRequest(request)}`)
  const fn = view.getUint8(7)
  if (fn === (request.fn | 0x80)) throw new ModbusException(view.getUint8(8), request)
  if (fn !== request.fn) throw new Error(`Modbus answer with function 0x${fn.toString(16).padStart(2, "0")} to ${describeRequest(request)}`)
  const byteCount = view.getUint8(8)
  if (byteCount !== 2 * request.count || frame.length !== MBAP_LENGTH + 2 + byteCount) {
    throw new Error(
      `Modbus answer with ${byteCount} data bytes in a ${frame.length}-byte frame, expected ${2 * request.count} (${describeRequest(request)})`,
    )
  }
  const registers = new Uint16Array(request.count)
  for (let i = 0; i < request.count; i++) registers[i] = view.getUint16(MBAP_LENGTH + 2 + 2 * i)
  return registers
}
