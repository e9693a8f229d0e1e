/**
 * `PrometheusSsl`: pollect 1.2's HTTPS exporter, with its keys `port`, `key` and `cert`. It is
 * a Prometheus writer with `tls` set inside: the same series, names and self-metrics, served
 * over HTTPS. A plugin may not import another plugin, so the Prometheus writer class is handed
 * in where the built-ins are listed (writers/index.ts: `prometheusSslWriter(PrometheusWriter)`);
 * this folder only maps 1.2's keys onto the Prometheus writer's own options.
 */
import * as v from "valibot"
import { Writer, type SourceResult, type WriterClass, type WriterContext } from "../../api.ts"

const options = v.object({
  port: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535), v.description("TCP port (as in 1.2). `0` picks a free port.")),
    8080,
  ),
  key: v.pipe(
    v.string(),
    v.nonEmpty(),
    v.description("The private key, PEM; relative to the config file's folder (1.2: to the working directory)."),
  ),
  cert: v.pipe(v.string(), v.nonEmpty(), v.description("The certificate (chain), PEM; relative to the config file's folder.")),
})

export type PrometheusSslOptions = v.InferOutput<typeof options>

/** The Prometheus writer's raw options a PrometheusSsl config stands for. */
export function prometheusOptions(config: PrometheusSslOptions): Record<string, unknown> {
  return { port: config.port, tls: { certFile: config.cert, keyFile: config.key } }
}

/**
 * The PrometheusSsl writer class over `Prometheus` (the Prometheus writer): its options are
 * 1.2's keys; it runs a Prometheus writer whose config is `tls` with them, validated by that
 * writer's own schema (so `path: "/metrics"`, `names: "pollect"` are the Prometheus writer's
 * defaults), and hands it every call.
 */
export function prometheusSslWriter(Prometheus: WriterClass): WriterClass {
  return class PrometheusSslWriter extends Writer<PrometheusSslOptions> {
    static override readonly options = options
    override readonly partial = true
    /** The Prometheus writer serving the series. */
    readonly exporter: Writer & { readonly url?: string; readonly port?: number }

    constructor(config: PrometheusSslOptions & { type: string }, ctx: WriterContext) {
      super(config, ctx)
      this.exporter = new Prometheus({ ...v.parse(Prometheus.options, prometheusOptions(config)), type: config.type }, ctx)
    }

    /** `https://127.0.0.1:<port>`, where the metrics are (under /metrics). */
    get url(): string | undefined {
      return this.exporter.url
    }

    override start(): void | Promise<void> {
      return this.exporter.start()
    }

    override write(results: SourceResult[]): void | Promise<void> {
      return this.exporter.write(results)
    }

    override stop(): void | Promise<void> {
      return this.exporter.stop()
    }
  }
}
