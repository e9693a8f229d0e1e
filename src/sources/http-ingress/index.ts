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
import * as v from "valibot"
import { type CommonSourceOptions, Source, type SourceContext, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { startPushServer } from "./push-server.ts"
import { SeriesStore } from "./series-store.ts"
import type { MetricDefinition, PushError } from "./update.ts"

const name = v.pipe(v.string(), v.nonEmpty(), v.maxLength(200))

const metricDefinition = v.object({
  type: v.optional(
    v.pipe(v.picklist(["gauge", "counter"]), v.description("`counter`: each push adds its value; `gauge`: each push sets it")),
    "gauge",
  ),
  labels: v.optional(
    v.pipe(
      v.array(name),
      v.maxLength(32),
      v.check((labels) => new Set(labels).size === labels.length, "a label is named twice"),
      v.description("The label names every push of this metric must give"),
    ),
    [],
  ),
})

const options = v.object({
  port: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535), v.description("TCP port to listen on (`0`: a free one, logged)")),
  host: v.optional(
    v.pipe(
      v.string(),
      v.nonEmpty(),
      v.description("Bind address, e.g. `127.0.0.1` to take pushes from this host only; all addresses when unset (as 1.2)"),
    ),
  ),
  metrics: v.pipe(
    v.record(name, metricDefinition),
    v.check((defs) => Object.keys(defs).length > 0, "declare at least one metric"),
    v.check((defs) => Object.keys(defs).length <= 1000, "at most 1000 metrics"),
    v.description('The metrics clients may push: `{"<name>": {"type": "gauge"|"counter", "labels": ["host"]}}`; anything else is refused'),
  ),
  token: v.optional(
    v.pipe(
      v.string(),
      v.nonEmpty(),
      v.regex(/^\S+$/, "must not contain white space"),
      v.description("A bearer token pushes must carry (`Authorization: Bearer <token>`); none when unset"),
    ),
  ),
  maxBodyBytes: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(64 * 1024 * 1024),
      v.description("Largest push body in bytes; larger ones are refused with 413"),
    ),
    1024 * 1024,
  ),
  maxSeries: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(1),
      v.maxValue(100_000),
      v.description("Most label sets one metric may hold; a push that would add more is refused with 400"),
    ),
    1000,
  ),
})

type Options = v.InferOutput<typeof options>

export class HttpIngressSource extends Source<Options> {
  static override readonly options = options
  static override readonly metrics = metrics

  private readonly definitions: ReadonlyMap<string, MetricDefinition>
  private readonly store: SeriesStore
  private server?: Server<undefined>
  private closed = false
  private readonly reasonsLogged = new Set<string>()

  constructor(config: Options & CommonSourceOptions, ctx: SourceContext) {
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
