/** `TcpTime`: milliseconds to open a TCP connection to `host:port`. A refusal or timeout fails the probe. */
import * as v from "valibot"
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"

const options = v.object({
  host: v.pipe(v.string(), v.nonEmpty(), v.description("Host name or address")),
  port: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("TCP port")),
})

export class TcpTimeSource extends Source<v.InferOutput<typeof options>> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  override async probe(): Promise<ValueSet> {
    const elapsedMs = await connectTime(this.config.host, this.config.port, this.ctx.signal)
    return new ValueSet(metrics.time).add(Math.round(elapsedMs * 1000) / 1000)
  }
}

/** Opens and closes a connection; resolves with the milliseconds it took. */
export function connectTime(hostname: string, port: number, signal: AbortSignal): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error(`connect to ${hostname}:${port} timed out`))
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      signal.removeEventListener("abort", onAbort)
      if (error) reject(error)
      else resolve(performance.now() - started)
    }
    const onAbort = () => {
      finish(new Error(`connect to ${hostname}:${port} timed out`))
      pending.then(
        (socket) => socket.end(),
        () => {},
      )
    }
    signal.addEventListener("abort", onAbort, { once: true })
    const pending = Bun.connect({
      hostname,
      port,
      socket: {
        open(socket) {
          finish()
          socket.end()
        },
        data() {},
        error(_socket, error) {
          finish(error)
        },
        connectError(_socket, error) {
          finish(new Error(`connect to ${hostname}:${port} failed: ${error.message}`))
        },
      },
    })
    pending.catch((error: Error) => finish(new Error(`connect to ${hostname}:${port} failed: ${error.message}`)))
  })
}
