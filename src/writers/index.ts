/**
 * The built-in writers, by config `type`. A compiled binary cannot scan folders, so this list is
 * explicit. Each entry holds the plugin's option schema (light: validation, `check` and `schema`
 * need only that) and loads its implementation on first use, so a config evaluates only the
 * plugins it uses (and their npm dependencies).
 */
import type { WriterClass } from "../api.ts"
import { lazyPlugin, type PluginEntry } from "../core/registry.ts"

const dryRunPlugin = lazyPlugin<WriterClass>(
  () => (require("./dry-run/options.ts") as typeof import("./dry-run/options.ts")).options,
  () => (require("./dry-run/index.ts") as typeof import("./dry-run/index.ts")).DryRunWriter,
)
const prometheusPlugin = lazyPlugin<WriterClass>(
  () => (require("./prometheus/options.ts") as typeof import("./prometheus/options.ts")).options,
  () => (require("./prometheus/index.ts") as typeof import("./prometheus/index.ts")).PrometheusWriter,
)
// 1.2's HTTPS exporter: the Prometheus writer with 1.2's keys (port, key, cert); both load on first use.
const prometheusSslPlugin = lazyPlugin<WriterClass>(
  () => (require("./prometheus-ssl/options.ts") as typeof import("./prometheus-ssl/options.ts")).options,
  () => (require("./prometheus-ssl/index.ts") as typeof import("./prometheus-ssl/index.ts")).prometheusSslWriter(prometheusPlugin.cls),
)
const graphitePlugin = lazyPlugin<WriterClass>(
  () => (require("./graphite/options.ts") as typeof import("./graphite/options.ts")).options,
  () => (require("./graphite/index.ts") as typeof import("./graphite/index.ts")).GraphiteWriter,
)
const mqttPlugin = lazyPlugin<WriterClass>(
  () => (require("./mqtt/options.ts") as typeof import("./mqtt/options.ts")).options,
  () => (require("./mqtt/index.ts") as typeof import("./mqtt/index.ts")).MqttWriter,
)
const otelPlugin = lazyPlugin<WriterClass>(
  () => (require("./otel/options.ts") as typeof import("./otel/options.ts")).options,
  () => (require("./otel/index.ts") as typeof import("./otel/index.ts")).OtelWriter,
)
const remoteWritePlugin = lazyPlugin<WriterClass>(
  () => (require("./remote-write/options.ts") as typeof import("./remote-write/options.ts")).options,
  () => (require("./remote-write/index.ts") as typeof import("./remote-write/index.ts")).RemoteWriteWriter,
)
const influxdbPlugin = lazyPlugin<WriterClass>(
  () => (require("./influxdb/options.ts") as typeof import("./influxdb/options.ts")).options,
  () => (require("./influxdb/index.ts") as typeof import("./influxdb/index.ts")).InfluxDBWriter,
)

export const builtinWriters: Record<string, PluginEntry<WriterClass>> = {
  DryRun: dryRunPlugin,
  Prometheus: prometheusPlugin,
  PrometheusSsl: prometheusSslPlugin,
  Graphite: graphitePlugin,
  Mqtt: mqttPlugin,
  Otel: otelPlugin,
  RemoteWrite: remoteWritePlugin,
  InfluxDB: influxdbPlugin,
}
