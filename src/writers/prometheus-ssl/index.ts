/**
 * `PrometheusSsl`: pollect 1.2's HTTPS exporter, with its keys `port`, `key` and `cert`. It is
 * a Prometheus writer with `tls` set inside: the same series, names and self-metrics, served
 * over HTTPS. A plugin may not import another plugin, so the Prometheus writer class is handed
 * in where the built-ins are listed (writers/index.ts: `prometheusSslWriter(PrometheusWriter)`);
 * this folder only maps 1.2's keys onto the Prometheus writer's own options.
 */
import { Writer, type SourceResult, v, type WriterClass, type WriterContext } from "../../api.ts"
import { options, type PrometheusSslOptions } from "./options.ts"

export type { PrometheusSslOptions } from "./options.ts"

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
