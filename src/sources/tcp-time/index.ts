/** `TcpTime`: milliseconds to open a TCP connection to `host:port`. A refusal or timeout fails the probe. */
import { connect } from "node:net"
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type TcpTimeOptions } from "./options.ts"

export class TcpTimeSource extends Source<TcpTimeOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  override async probe(): Promise<ValueSet> {
    const elapsedMs = await connectTime(this.config.host, this.config.port, this.ctx.signal)
    return new ValueSet(metrics.time).add(Math.round(elapsedMs * 1000) / 1000)
  }
}

/**
 * Opens and closes a connection; resolves with the milliseconds it took. The socket exists from
 * the start (node:net), so the deadline destroys it while the SYN is still unanswered: a peer
 * that drops SYNs (a full accept queue, a dropping firewall) would otherwise leave one fd per
 * probe open until the kernel gives up on the connect (~2 minutes). `Bun.connect` gives no
 * handle on the socket before it connects, so it cannot be cancelled.
 */
export function connectTime(hostname: string, port: number, signal: AbortSignal): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error(`connect to ${hostname}:${port} timed out`))
    const socket = connect({ host: hostname, port })
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      signal.removeEventListener("abort", onAbort)
      // destroy(), not end(): end() waits for the peer's FIN, which a peer that never accepts never sends.
      socket.destroy()
      if (error) reject(error)
      else resolve(performance.now() - started)
    }
    const onAbort = () => finish(new Error(`connect to ${hostname}:${port} timed out`))
    signal.addEventListener("abort", onAbort, { once: true })
    socket.once("connect", () => finish())
    // `on`, not `once`: an error after the probe settled must still have a listener (no crash).
    socket.on("error", (error: Error) => finish(new Error(`connect to ${hostname}:${port} failed: ${error.message}`)))
  })
}
