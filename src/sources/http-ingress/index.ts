/**
 * `HttpIngress`: a push endpoint. Clients POST values (pollect 1.2's JSON, or the Prometheus
 * text format as to a pushgateway) of the metrics the config declares; counters add, gauges
 * set; every probe reports the current values, which survive between ticks.
 *
 * The listener opens on the first probe (the scheduler's first tick runs at start, so the port
 * is open at once) rather than in the constructor: on a reload the new source is built while
 * the old one still holds the port, and the old one is closed before the new one's first tick.
 */
import type { Server } from "bun"
import { type CommonSourceOptions, Source, type SourceContext, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { startPushServer } from "./push-server.ts"
import { SeriesStore } from "./series-store.ts"
import type { MetricDefinition, PushError } from "./update.ts"
import { options, type HttpIngressOptions } from "./options.ts"

export class HttpIngressSource extends Source<HttpIngressOptions> {
  static override readonly options = options
  static override readonly metrics = metrics

  private readonly definitions: ReadonlyMap<string, MetricDefinition>
  private readonly store: SeriesStore
  private server?: Server<undefined>
  private closed = false
  private readonly reasonsLogged = new Set<string>()

  constructor(config: HttpIngressOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    if (config.token) ctx.registerSecret(config.token)
    this.definitions = new Map(Object.entries(config.metrics).map(([metric, def]) => [metric, { type: def.type, labels: def.labels }]))
    this.store = new SeriesStore(this.definitions, config.maxSeries)
  }

  /** The port listened on (the chosen one for `port: 0`); undefined before the first probe. */
  get port(): number | undefined {
    return this.server?.port
  }

  /** Opens the listener if it is not open yet (the first probe does). */
  listen(): void {
    if (this.closed) throw new Error("the source is closed")
    if (this.server) return
    this.server = startPushServer({
      host: this.config.host,
      port: this.config.port,
      token: this.config.token,
      maxBodyBytes: this.config.maxBodyBytes,
      definitions: this.definitions,
      apply: (updates) => this.store.apply(updates),
      refused: (error) => this.refused(error),
    })
    this.ctx.log.info(`taking pushes on http://${this.config.host ?? "*"}:${this.server.port}/`)
  }

  override probe(): ValueSet[] {
    this.listen()
    const single = this.definitions.size === 1
    const sets: ValueSet[] = []
    for (const [metric, def] of this.definitions) {
      const spec = single
        ? def.type === "counter"
          ? metrics.counter
          : metrics.gauge
        : def.type === "counter"
          ? metrics.namedCounter
          : metrics.namedGauge
      const set = new ValueSet(spec, { labels: def.labels })
      for (const series of this.store.list(metric)) set.add(series.value, [...series.labelValues], single ? undefined : metric)
      sets.push(set)
    }
    return sets
  }

  override async close(): Promise<void> {
    this.closed = true
    const server = this.server
    this.server = undefined
    await server?.stop(true)
  }

  /** Each kind of refusal is logged once, so whoever reaches the port cannot flood the log. */
  private refused(error: PushError): void {
    if (this.reasonsLogged.has(error.reason)) return
    this.reasonsLogged.add(error.reason)
    this.ctx.log.warn(`refused a push (${error.status}): ${error.message} (further refusals of this kind are not logged)`)
  }
}
