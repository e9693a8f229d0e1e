/**
 * A Modbus TCP client for reading registers: one connection, opened on the first read, reused
 * across ticks and opened again on the next read after the server closed it. One request is in
 * flight at a time (a device such as an SMA inverter serves one at a time anyway); its answer
 * must carry its transaction id and fit the size the request allows, so a garbage or oversized
 * answer is refused after at most ~260 bytes. A deadline (AbortSignal) destroys the connection:
 * a late answer can never be taken for the next request's.
 */
import { connect, type Socket } from "node:net"
import {
  decodeReadResponse,
  describeRequest,
  encodeReadRequest,
  frameLength,
  maxResponseLength,
  ModbusException,
  type ReadFunction,
  type ReadRequest,
} from "./modbus-frame.ts"

interface Pending {
  request: ReadRequest
  resolve: (registers: Uint16Array) => void
  reject: (error: Error) => void
}

export class ModbusTcpClient {
  private socket: Socket | undefined
  private pending: Pending | undefined
  private buffer = new Uint8Array(0)
  private nextTransactionId = 1
  private queue: Promise<unknown> = Promise.resolve()
  /** How many connections were opened (tests and debug logs). */
  connections = 0

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** Whether a connection is open now (the next read reuses it). */
  get isOpen(): boolean {
    return this.socket !== undefined
  }

  private get peer(): string {
    return `${this.host}:${this.port}`
  }

  /** Reads `count` registers from `address` of `unitId` with `fn` (0x03 or 0x04). */
  read(fn: ReadFunction, unitId: number, address: number, count: number, signal: AbortSignal): Promise<Uint16Array> {
    const run = () => this.exchange(fn, unitId, address, count, signal)
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => {})
    return result
  }

  /** Closes the connection; a read in flight fails. Safe to call twice; a later read connects again. */
  close(): void {
    this.drop(new Error(`connection to ${this.peer} closed`))
  }

  private async exchange(fn: ReadFunction, unitId: number, address: number, count: number, signal: AbortSignal): Promise<Uint16Array> {
    const request: ReadRequest = { transactionId: this.nextTransactionId, unitId, fn, address, count }
    this.nextTransactionId = (this.nextTransactionId % 0xffff) + 1
    const frame = encodeReadRequest(request)
    if (signal.aborted) throw new Error(`timed out before ${describeRequest(request)} from ${this.peer}`)
    const socket = this.socket ?? (await this.open(signal))
    return new Promise<Uint16Array>((resolve, reject) => {
      const onAbort = () => this.drop(new Error(`timed out waiting for the answer to ${describeRequest(request)} from ${this.peer}`))
      signal.addEventListener("abort", onAbort, { once: true })
      const settle = () => signal.removeEventListener("abort", onAbort)
      this.pending = {
        request,
        resolve: (registers) => {
          settle()
          resolve(registers)
        },
        reject: (error) => {
          settle()
          reject(error)
        },
      }
      this.buffer = new Uint8Array(0)
      socket.write(frame)
    })
  }

  private open(signal: AbortSignal): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port })
      let settled = false
      const finish = (error?: Error) => {
        if (settled) return
        settled = true
        signal.removeEventListener("abort", onAbort)
        if (error) {
          socket.destroy()
          return reject(error)
        }
        socket.setNoDelay(true)
        this.socket = socket
        this.connections++
        resolve(socket)
      }
      const onAbort = () => finish(new Error(`connect to ${this.peer} timed out`))
      signal.addEventListener("abort", onAbort, { once: true })
      socket.once("connect", () => finish())
      // `on`, not `once`: an error after connecting must have a listener too (no crash).
      socket.on("error", (error: Error) => {
        if (!settled) finish(new Error(`connect to ${this.peer} failed: ${error.message}`))
        else if (this.socket === socket) this.drop(new Error(this.closedMessage((error as NodeJS.ErrnoException).code ?? error.message)))
      })
      socket.on("data", (chunk: Buffer) => {
        if (this.socket === socket) this.receive(chunk)
      })
      socket.on("close", () => {
        if (this.socket === socket) this.drop(new Error(this.closedMessage()))
      })
    })
  }

  /** `connection closed by host:port (ECONNRESET) after 20 bytes of the answer (truncated) to read ...`. */
  private closedMessage(reason?: string): string {
    const by = `connection closed by ${this.peer}${reason ? ` (${reason})` : ""}`
    const pending = this.pending
    if (!pending) return by
    const got = this.buffer.length ? ` after ${this.buffer.length} bytes of the answer (truncated)` : " before answering"
    return `${by}${got} to ${describeRequest(pending.request)}`
  }

  private receive(chunk: Uint8Array): void {
    const pending = this.pending
    if (!pending) return this.drop(new Error(`${this.peer} sent ${chunk.length} bytes nobody asked for`))
    const limit = Math.max(maxResponseLength(pending.request), 7)
    // At most one byte beyond the limit is kept: enough to know the answer is too long.
    const taken = chunk.subarray(0, limit + 1 - this.buffer.length)
    const joined = new Uint8Array(this.buffer.length + taken.length)
    joined.set(this.buffer)
    joined.set(taken, this.buffer.length)
    this.buffer = joined
    let total: number | undefined
    try {
      total = frameLength(joined, pending.request)
    } catch (error) {
      return this.drop(error as Error)
    }
    if (total !== undefined && joined.length > total) {
      const extra = chunk.length - taken.length + joined.length - total
      return this.drop(new Error(`${this.peer} sent ${extra} bytes after the answer to ${describeRequest(pending.request)}`))
    }
    if (total === undefined || joined.length < total) return
    this.pending = undefined
    this.buffer = new Uint8Array(0)
    try {
      pending.resolve(decodeReadResponse(joined, pending.request))
    } catch (error) {
      // An exception response is a whole, well-formed answer: the connection stays usable.
      if (error instanceof ModbusException) error.message += ` from ${this.peer}`
      else this.drop(error as Error)
      pending.reject(error as Error)
    }
  }

  /** Forgets the connection (destroying it) and fails the request in flight with `error`. */
  private drop(error: Error): void {
    const socket = this.socket
    const pending = this.pending
    this.socket = undefined
    this.pending = undefined
    this.buffer = new Uint8Array(0)
    socket?.destroy()
    pending?.reject(error)
  }
}
