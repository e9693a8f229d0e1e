/**
 * `Pmcc`: state of charge and charge power of a Porsche Mobile Charger Connect, from the
 * websocket its web UI uses (`wss://<host>/ws`, the device's self-signed certificate). One
 * connection is kept; the device pushes changes and a probe reports the newest values.
 */
import * as v from "valibot"
import { Source, type ValueSet } from "../../api.ts"
import { KeptWebSocket } from "../../lib/protocols/kept-websocket.ts"
import { normalizeFingerprint, PinnedWebSocket } from "../../lib/protocols/pinned-websocket.ts"
import { applyMessage, dataSets, emptyData } from "./messages.ts"
import { metrics } from "./metrics.ts"

/** The longest message read (the device's are well under 10 kB). */
export const MAX_MESSAGE_CHARS = 1 << 20

const options = v.object({
  host: v.pipe(
    v.string(),
    v.regex(/^[^\s/]+$/, "expected a host name or address (and `:port`), without scheme or path"),
    v.description(
      "The charger's host name or address (`iccpd-xxxxxx`, `192.168.1.50`; `:port` if not 443); pollect connects to `wss://<host>/ws`",
    ),
  ),
  fingerprint: v.optional(
    v.pipe(
      v.string(),
      v.check(
        (text) => normalizeFingerprint(text) !== undefined,
        "expected the certificate's SHA-256 fingerprint: 64 hex digits, colons allowed",
      ),
      v.description(
        "The SHA-256 fingerprint of the charger's certificate (`openssl x509 -noout -fingerprint -sha256`): then only that certificate is accepted. Unset: any certificate, as 1.2",
      ),
    ),
  ),
})

export class PmccSource extends Source<v.InferOutput<typeof options>> {
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
