/**
 * `SmaEnergyMeter`: an SMA Energy Meter or Sunny Home Manager 2.0 from the Speedwire datagrams
 * it sends (multicast 239.12.255.254:9522, or unicast where the meter is set up so), with
 * pollect 1.2's names. Datagrams are folded into running averages as they arrive (several a
 * second, never queued); each probe reports what came since the last one and starts afresh.
 *
 * The socket opens at the first probe (the scheduler's first tick runs at start), which then
 * waits for the first datagram within its timeout; it closes with the source.
 */
import type { RemoteInfo, Socket } from "node:dgram"
import { type CommonSourceOptions, Source, type SourceContext, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type SmaEnergyMeterOptions } from "./options.ts"
import type { ChannelGroup } from "./obis.ts"
import { MeterReadings } from "./readings.ts"
import { describeReceiver, openReceiver, type ReceiverOptions } from "./receiver.ts"
import { isRejection, parseDatagram } from "./speedwire.ts"

/** How long before its deadline a probe stops waiting for a first datagram. */
const WAIT_MARGIN_MS = 250
/** Most other meters remembered (and warned about) per source. */
const MAX_OTHER_METERS = 16

export class SmaEnergyMeterSource extends Source<SmaEnergyMeterOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  /** The meter sends every second (or faster): a probe that heard nothing in 5 s will not. */
  static readonly defaultTimeout = 5

  private socket?: Socket
  private opening?: Promise<void>
  private closed = false
  private readonly receiver: ReceiverOptions
  private readonly readings: MeterReadings
  private meter?: number
  private readonly others = new Set<number>()
  private readonly ignored = { foreign: 0, truncated: 0 }
  private readonly ignoredLogged = new Set<string>()
  private waiter?: () => void
  /** Datagrams taken off the socket so far, whatever they were (tests wait on it). */
  seen = 0

  constructor(config: SmaEnergyMeterOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    this.receiver = { port: config.port, group: config.multicast ? config.group : undefined, hostIp: config.hostIp }
    this.readings = new MeterReadings(config.average)
    this.meter = config.serial
  }

  override async probe(): Promise<ValueSet[]> {
    await this.open()
    if (this.readings.datagrams === 0) await this.waitForDatagram()
    const sets = new Map<ChannelGroup, ValueSet>()
    for (const { channel, value } of this.readings.take()) {
      let set = sets.get(channel.group)
      if (!set) sets.set(channel.group, (set = new ValueSet(metrics[channel.group])))
      set.add(value, [String(channel.phase)], channel.name)
    }
    return [...sets.values()]
  }

  override close(): void {
    this.closed = true
    this.socket?.close()
    this.socket = undefined
    this.waiter?.()
  }

  /** Takes one datagram off the socket: the selected meter's is folded in, anything else counted. */
  receive(data: Uint8Array, from?: RemoteInfo): void {
    this.seen++
    const parsed = parseDatagram(data)
    const sender = from ? `${from.address}:${from.port}` : "a sender"
    if (isRejection(parsed)) {
      this.ignored[parsed.kind]++
      if (!this.ignoredLogged.has(parsed.kind)) {
        this.ignoredLogged.add(parsed.kind)
        this.ctx.log.info(
          `ignored a ${parsed.kind} datagram from ${sender} (${data.byteLength} bytes): ${parsed.why} (further ones are only counted)`,
        )
      }
      return
    }
    this.meter ??= parsed.serial
    if (parsed.serial !== this.meter) {
      if (!this.others.has(parsed.serial) && this.others.size < MAX_OTHER_METERS) {
        this.others.add(parsed.serial)
        this.ctx.log.warn(
          `meter ${parsed.serial} at ${sender} is ignored: this source reports meter ${this.meter}${this.config.serial === undefined ? " (the first heard)" : ""}; add a source with "serial": ${parsed.serial} for it`,
        )
      }
      return
    }
    this.readings.add(parsed)
    const waiter = this.waiter
    this.waiter = undefined
    waiter?.()
  }

  /** Opens the socket if it is not open yet (the first probe does). */
  listen(): Promise<void> {
    return this.open()
  }

  private async open(): Promise<void> {
    if (this.closed) throw new Error("the source is closed")
    if (this.socket) return
    this.opening ??= openReceiver(this.receiver, (data, from) => this.receive(data, from)).then(
      (socket) => {
        this.opening = undefined
        if (this.closed) socket.close()
        else {
          this.socket = socket
          this.ctx.log.info(`listening on ${describeReceiver(this.receiver)}`)
        }
      },
      (error) => {
        this.opening = undefined
        throw error
      },
    )
    await this.opening
  }

  private async waitForDatagram(): Promise<void> {
    const budgetMs = this.ctx.timeoutMs ?? (this.config.timeout ?? SmaEnergyMeterSource.defaultTimeout) * 1000
    const waitMs = Math.max(0, budgetMs - WAIT_MARGIN_MS)
    const arrived = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), waitMs)
      const onAbort = () => done(false)
      const done = (value: boolean) => {
        clearTimeout(timer)
        this.ctx.signal.removeEventListener("abort", onAbort)
        if (this.waiter === wake) this.waiter = undefined
        resolve(value)
      }
      const wake = () => done(true)
      this.waiter = wake
      this.ctx.signal.addEventListener("abort", onAbort, { once: true })
    })
    if (arrived && this.readings.datagrams > 0) return
    if (this.closed) throw new Error("the source is closed")
    const meter = this.meter === undefined ? "an SMA energy meter" : `meter ${this.meter}`
    const ignored = this.ignored.foreign + this.ignored.truncated
    const others = this.others.size ? `; heard other meters: ${[...this.others].join(", ")}` : ""
    throw new Error(
      `no datagram from ${meter} on ${describeReceiver(this.receiver)} in ${(waitMs / 1000).toFixed(1)} s` +
        (ignored ? ` (ignored so far: ${this.ignored.foreign} foreign, ${this.ignored.truncated} truncated)` : "") +
        others,
    )
  }
}
