/**
 * `Pmcc`: state of charge and charge power of a Porsche Mobile Charger Connect, from the
 * websocket its web UI uses (`wss://<host>/ws`, the device's self-signed certificate). One
 * connection is kept; the device pushes changes and a probe reports the newest values.
 */
import { Source, type ValueSet } from "../../api.ts"
import { KeptWebSocket } from "../../lib/protocols/kept-websocket.ts"
import { normalizeFingerprint, PinnedWebSocket } from "../../lib/protocols/pinned-websocket.ts"
import { applyMessage, dataSets, emptyData } from "./messages.ts"
import { metrics } from "./metrics.ts"
import { options, type PmccOptions } from "./options.ts"

/** The longest message read (the device's are well under 10 kB). */
export const MAX_MESSAGE_CHARS = 1 << 20

export class PmccSource extends Source<PmccOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  /** Kept across reconnects, as 1.2 did: the session values come only when they change. */
  private readonly data = emptyData()
  private socket?: KeptWebSocket
  private unexpectedLogged = false
  /** Messages received so far, over all connections (tests wait on it). */
  received = 0

  override async probe(): Promise<ValueSet[]> {
    const url = `wss://${this.config.host}/ws`
    const pinned = this.config.fingerprint ? normalizeFingerprint(this.config.fingerprint) : undefined
    this.socket ??= new KeptWebSocket({
      url,
      what: `Pmcc at ${url}`,
      log: this.ctx.log,
      // The device presents a self-signed certificate: as 1.2, verification off for this connection
      // only; with `fingerprint`, exactly that certificate (checked on the websocket's own socket).
      tls: { rejectUnauthorized: false },
      open: pinned
        ? (target) => new PinnedWebSocket(target, { fingerprint: pinned, maxMessageBytes: 4 * MAX_MESSAGE_CHARS }) as unknown as WebSocket
        : undefined,
      maxMessageChars: MAX_MESSAGE_CHARS,
      idleMs: 600_000,
      onMessage: (text) => {
        this.received++
        if (applyMessage(this.data, text) || this.unexpectedLogged) return
        this.unexpectedLogged = true
        this.ctx.log.info(`${url}: a message of an unexpected shape (ignored, logged once): ${text.slice(0, 120)}`)
      },
    })
    if (!(await this.socket.whenReady(this.ctx.signal))) throw new Error(`${url}: not connected: ${this.socket.lastError}`)
    return dataSets(this.data)
  }

  override close(): void {
    this.socket?.close()
    this.socket = undefined
  }
}
