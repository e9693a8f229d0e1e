/**
 * The built-in writers, by config `type`. A compiled binary cannot scan folders, so this list is
 * explicit. Each entry holds the plugin's option schema (light: validation, `check` and `schema`
 * need only that) and loads its implementation on first use, so a config evaluates only the
 * plugins it uses (and their npm dependencies).
 */
import type { WriterClass } from "../api.ts"
import { lazyPlugin, type PluginEntry } from "../core/registry.ts"
import { options as dryRunOptions } from "./dry-run/options.ts"
import { options as prometheusOptions } from "./prometheus/options.ts"
import { options as graphiteOptions } from "./graphite/options.ts"
import { options as mqttOptions } from "./mqtt/options.ts"
import { options as otelOptions } from "./otel/options.ts"
import { options as remoteWriteOptions } from "./remote-write/options.ts"
import { options as influxdbOptions } from "./influxdb/options.ts"
import { options as prometheusSslOptions } from "./prometheus-ssl/options.ts"

const dryRunPlugin = lazyPlugin<WriterClass>(
  dryRunOptions,
  () => (require("./dry-run/index.ts") as typeof import("./dry-run/index.ts")).DryRunWriter,
)
const prometheusPlugin = lazyPlugin<WriterClass>(
  prometheusOptions,
  () => (require("./prometheus/index.ts") as typeof import("./prometheus/index.ts")).PrometheusWriter,
)
// 1.2's HTTPS exporter: the Prometheus writer with 1.2's keys (port, key, cert); both load on first use.
const prometheusSslPlugin = lazyPlugin<WriterClass>(prometheusSslOptions, () =>
  (require("./prometheus-ssl/index.ts") as typeof import("./prometheus-ssl/index.ts")).prometheusSslWriter(prometheusPlugin.cls),
)
const graphitePlugin = lazyPlugin<WriterClass>(
  graphiteOptions,
  () => (require("./graphite/index.ts") as typeof import("./graphite/index.ts")).GraphiteWriter,
)
const mqttPlugin = lazyPlugin<WriterClass>(mqttOptions, () => (require("./mqtt/index.ts") as typeof import("./mqtt/index.ts")).MqttWriter)
const otelPlugin = lazyPlugin<WriterClass>(otelOptions, () => (require("./otel/index.ts") as typeof import("./otel/index.ts")).OtelWriter)
const remoteWritePlugin = lazyPlugin<WriterClass>(
  remoteWriteOptions,
  () => (require("./remote-write/index.ts") as typeof import("./remote-write/index.ts")).RemoteWriteWriter,
)
const influxdbPlugin = lazyPlugin<WriterClass>(
  influxdbOptions,
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
