/**
 * `Evcc`: the site and loadpoint values evcc shows in its web UI, from its websocket
 * (`ws://<host>/ws`). One connection is kept; evcc pushes its whole state at connect and every
 * change after, and a probe reports the newest state (pollect 1.2 connected per probe and read
 * only the first message).
 */
import { Source, type ValueSet } from "../../api.ts"
import { KeptWebSocket } from "../../lib/protocols/kept-websocket.ts"
import { metrics } from "./metrics.ts"
import { EvccState, stateSets } from "./state.ts"
import { options, type EvccOptions } from "./options.ts"

/** The longest message read (evcc's welcome state is ~10–60 kB; release notes included). */
export const MAX_MESSAGE_CHARS = 4 << 20

export class EvccSource extends Source<EvccOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  private readonly state = new EvccState()
  private socket?: KeptWebSocket

  override async probe(): Promise<ValueSet[]> {
    const url = `${this.config.tls ? "wss" : "ws"}://${this.config.host}/ws`
    this.socket ??= new KeptWebSocket({
      url,
      what: `evcc at ${url}`,
      log: this.ctx.log,
      readyAfterFirstMessage: true,
      maxMessageChars: MAX_MESSAGE_CHARS,
      // evcc publishes at least every control cycle (interval, 10–30 s by default).
      idleMs: 180_000,
      onOpen: () => this.state.reset(),
      onMessage: (text) => this.state.merge(text),
    })
    if (!(await this.socket.whenReady(this.ctx.signal))) throw new Error(`${url}: not connected: ${this.socket.lastError}`)
    return stateSets(this.state.values)
  }

  override close(): void {
    this.socket?.close()
    this.socket = undefined
  }
}
