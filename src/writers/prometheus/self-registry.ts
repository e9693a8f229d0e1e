/**
 * pollect's own metrics as a prom-client Registry: probe durations and errors, skipped ticks,
 * build info and the writers' free counters, read from SelfMetrics at scrape time; and, when
 * asked, the standard `process_*` metrics from our own collector (not prom-client's defaults,
 * which are wrong under Bun). The metric objects are made once; scrapes only refill them.
 */
import { Counter, Gauge, Registry } from "./prom-client-parts.ts"
import { promSafe, type ProbeStat, type SelfMetrics, type SelfMetricsSnapshot } from "../../api.ts"
import { readProcessStats } from "./process-stats.ts"

export const PROM_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE

export interface SelfRegistry {
  readonly registry: Registry
  /** Metric names served here; sources cannot take them. */
  readonly names: Set<string>
  /** The exposition text, read at call time. */
  metrics(): Promise<string>
}

export function createSelfRegistry(selfMetrics: SelfMetrics, version: string, options: { processMetrics: boolean }): SelfRegistry {
  const registry = new Registry()
  const registers = [registry]
  // Taken once per scrape (in metrics()), read by every collect() below.
  let snapshot = selfMetrics.snapshot()
  const probeLabels = (probe: ProbeStat) => ({ collection: probe.collection, source: probe.source })

  new Gauge({
    name: "pollect_probe_duration_seconds",
    help: "Duration of the last probe of a source",
    labelNames: ["collection", "source"],
    registers,
    collect() {
      this.reset()
      for (const probe of snapshot.probes) this.set(probeLabels(probe), probe.durationSeconds)
    },
  })
  new Counter({
    name: "pollect_probe_errors_total",
    help: "Failed or timed-out probes of a source",
    labelNames: ["collection", "source"],
    registers,
    collect() {
      this.reset()
      for (const probe of snapshot.probes) this.inc(probeLabels(probe), probe.errors)
    },
  })
  new Counter({
    name: "pollect_ticks_skipped_total",
    help: "Ticks skipped because the previous tick of the collection was still running",
    labelNames: ["collection"],
    registers,
    collect() {
      this.reset()
      for (const [collection, n] of snapshot.ticksSkipped) this.inc({ collection }, n)
    },
  })
  new Gauge({ name: "pollect_build_info", help: "pollect's version; the value is always 1", labelNames: ["version"], registers }).set(
    { version },
    1,
  )

  const refreshProcess = options.processMetrics ? registerProcessMetrics(registry) : undefined
  const free = new Map<string, { keys: string; metric: Counter<string> | Gauge<string> }>()
  const names = new Set(registry.getMetricsAsArray().map((metric) => metric.name))
  return {
    registry,
    names,
    metrics() {
      snapshot = selfMetrics.snapshot()
      refreshFree(registry, snapshot, free, names)
      refreshProcess?.()
      return registry.metrics()
    },
  }
}

/**
 * Free counters (points dropped, reconnects, ...) and gauges (queue bytes, ...): one metric per
 * name, made when first seen, refilled per scrape.
 */
function refreshFree(
  registry: Registry,
  snapshot: SelfMetricsSnapshot,
  free: Map<string, { keys: string; metric: Counter<string> | Gauge<string> }>,
  fixed: Set<string>,
): void {
  const kinds = [
    ["counter", snapshot.counters],
    ["gauge", snapshot.gauges],
  ] as const
  for (const [kind, metrics] of kinds)
    for (const [rawName, series] of metrics) {
      const name = kind === "gauge" ? promSafe(rawName) : promSafe(rawName.endsWith("_total") ? rawName : rawName + "_total")
      if (fixed.has(name) && !free.has(name)) continue
      const parsed = [...series].map(([json, value]) => [JSON.parse(json) as Record<string, string>, value] as const)
      const keys = [...new Set(parsed.flatMap(([labels]) => Object.keys(labels).map(promSafe)))].sort()
      let entry = free.get(name)
      if (!entry || entry.keys !== keys.join(",")) {
        if (entry) registry.removeSingleMetric(name)
        const help = `pollect's ${name.replace(/^pollect_|_total$/g, "").replace(/_/g, " ")} ${kind}`
        const metric =
          kind === "gauge"
            ? new Gauge({ name, help, labelNames: keys, registers: [registry] })
            : new Counter({ name, help, labelNames: keys, registers: [registry] })
        entry = { keys: keys.join(","), metric }
        free.set(name, entry)
        fixed.add(name)
      }
      entry.metric.reset()
      for (const [labels, value] of parsed) {
        const safe: Record<string, string> = {}
        for (const [key, text] of Object.entries(labels)) safe[promSafe(key)] = String(text)
        if (entry.metric instanceof Gauge) entry.metric.set(safe, value)
        else entry.metric.inc(safe, Math.max(0, value))
      }
    }
}

function registerProcessMetrics(registry: Registry): () => void {
  const registers = [registry]
  // One read of /proc per scrape (refresh() before the registry reads), shared by the metrics below.
  let stats = readProcessStats()
  const fresh = () => stats
  const counter = (name: string, help: string, read: () => number | undefined) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        const value = read()
        this.reset()
        if (value !== undefined) this.inc(value)
      },
    })
  // A figure this OS does not give is left out rather than served as 0.
  const gauge = (name: string, help: string, read: () => number | undefined) =>
    read() !== undefined &&
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const value = read()
        if (value !== undefined) this.set(value)
      },
    })
  counter("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", () => fresh().cpuUserSeconds)
  counter("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", () => fresh().cpuSystemSeconds)
  counter(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    () => fresh().cpuUserSeconds + fresh().cpuSystemSeconds,
  )
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => fresh().startTimeSeconds)
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => fresh().residentMemoryBytes)
  gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", () => fresh().virtualMemoryBytes)
  gauge("process_open_fds", "Number of open file descriptors.", () => fresh().openFds)
  gauge("process_max_fds", "Maximum number of open file descriptors.", () => fresh().maxFds)
  return () => {
    stats = readProcessStats()
  }
}
