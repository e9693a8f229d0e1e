/** The built-in writers, by config `type`. A compiled binary cannot scan folders, so this list is explicit. */
import type { WriterClass } from "../core/plugin.ts"
import { DryRunWriter } from "./dry-run.ts"
import { PrometheusWriter } from "./prometheus.ts"
import { GraphiteWriter } from "./graphite.ts"

export const builtinWriters: Record<string, WriterClass> = {
  DryRun: DryRunWriter,
  Prometheus: PrometheusWriter,
  Graphite: GraphiteWriter,
}
