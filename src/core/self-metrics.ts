/**
 * pollect's own health: probe durations and errors, skipped ticks, and counters that writers
 * add (points dropped, reconnects). Kept as plain numbers; a writer that exposes them reads
 * `snapshot()`.
 */

export interface ProbeStat {
  collection: string
  source: string
  durationSeconds: number
  errors: number
}

export interface SelfMetricsSnapshot {
  probes: ProbeStat[]
  ticksSkipped: Map<string, number>
  /** Free-form counters: name → (label set as JSON → value). */
  counters: Map<string, Map<string, number>>
  /** Free-form gauges (queue bytes, queued points): name → (label set as JSON → value). */
  gauges: Map<string, Map<string, number>>
}

export class SelfMetrics {
  private readonly probes = new Map<string, ProbeStat>()
  private readonly skipped = new Map<string, number>()
  private readonly counters = new Map<string, Map<string, number>>()
  private readonly gauges = new Map<string, Map<string, number>>()

  observeProbe(collection: string, source: string, durationSeconds: number, ok: boolean): void {
    const key = `${collection}\0${source}`
    let stat = this.probes.get(key)
    if (!stat) this.probes.set(key, (stat = { collection, source, durationSeconds, errors: 0 }))
    stat.durationSeconds = durationSeconds
    if (!ok) stat.errors++
  }

  /** Forgets the probe stats of sources no longer configured (after a reload), so their series go too. */
  retainProbes(keep: (collection: string, source: string) => boolean): void {
    for (const [key, stat] of this.probes) if (!keep(stat.collection, stat.source)) this.probes.delete(key)
  }

  tickSkipped(collection: string): void {
    this.skipped.set(collection, (this.skipped.get(collection) ?? 0) + 1)
  }

  /** Adds `by` to a counter such as `pollect_points_dropped_total{writer="Graphite"}`. */
  count(name: string, labels: Record<string, string> = {}, by = 1): void {
    let series = this.counters.get(name)
    if (!series) this.counters.set(name, (series = new Map()))
    const key = JSON.stringify(labels)
    series.set(key, (series.get(key) ?? 0) + by)
  }

  /** Sets a gauge such as `pollect_queue_bytes{writer="RemoteWrite"}`. */
  set(name: string, labels: Record<string, string>, value: number): void {
    let series = this.gauges.get(name)
    if (!series) this.gauges.set(name, (series = new Map()))
    series.set(JSON.stringify(labels), value)
  }

  ticksSkippedFor(collection: string): number {
    return this.skipped.get(collection) ?? 0
  }

  snapshot(): SelfMetricsSnapshot {
    return { probes: [...this.probes.values()], ticksSkipped: new Map(this.skipped), counters: this.counters, gauges: this.gauges }
  }
}
