/** The built-in writers, by config `type`. A compiled binary cannot scan folders, so this list is explicit. */
import type { WriterClass } from "../api.ts"
import { DryRunWriter } from "./dry-run/index.ts"
import { PrometheusWriter } from "./prometheus/index.ts"
import { prometheusSslWriter } from "./prometheus-ssl/index.ts"
import { GraphiteWriter } from "./graphite/index.ts"
import { MqttWriter } from "./mqtt/index.ts"
import { OtelWriter } from "./otel/index.ts"
import { RemoteWriteWriter } from "./remote-write/index.ts"
import { InfluxDBWriter } from "./influxdb/index.ts"

export const builtinWriters: Record<string, WriterClass> = {
  DryRun: DryRunWriter,
  Prometheus: PrometheusWriter,
  // 1.2's HTTPS exporter: the Prometheus writer with 1.2's keys (port, key, cert).
  PrometheusSsl: prometheusSslWriter(PrometheusWriter),
  Graphite: GraphiteWriter,
  Mqtt: MqttWriter,
  Otel: OtelWriter,
  RemoteWrite: RemoteWriteWriter,
  InfluxDB: InfluxDBWriter,
}
