/**
 * What the status page knows: every source's last probe (state, error, duration, values), every
 * executor's last tick, and the last hour of up to `historySeries` series. Fed by the executors'
 * hooks (`onResult`, `onTick`); read by `document()`, which also asks the running writers and
 * the self-metrics. Memory: the last result per source (already made by the probe) and one
 * MinuteHistory per kept series (~330 bytes each).
 *
 * @example
 * const board = new StatusBoard({ historySeries: 2000 })
 * new Executor({ ..., onResult: (r, ms) => board.probed(r, ms), onTick: (t) => board.ticked(executor, t) })
 * board.document({ executors, writers, selfMetrics, now: Date.now() })
 */
import { graphitePath } from "../core/naming.ts"
import { redact } from "../core/log.ts"
import type { Executor, TickReport } from "../core/executor.ts"
import type { Writer } from "../core/plugin.ts"
import type { SelfMetrics } from "../core/self-metrics.ts"
import type { SourceResult } from "../core/source-result.ts"
import { HISTORY_MINUTES, MinuteHistory } from "./history-ring.ts"
import type { SeriesStatus, SourceStatus, StatusDocument, WriterStatusEntry } from "./status-document.ts"

export interface StatusBoardOptions {
  /** Series whose last hour is kept (the rest show without a sparkline). */
  historySeries: number
  version: string
  startedAt: number
}

interface SourceRecord {
  state: "ok" | "failing"
  since: number
  lastError: string | null
  lastProbeAt: number
  lastProbeMs: number
  probes: number
  errors: number
  /** The last successful probe's result (its sets), as the writers got it. */
  last: SourceResult | null
}

interface TickRecord {
  at: number
  ms: number
  ticks: number
}

export interface BoardView {
  executors: readonly Executor[]
  writers: readonly Writer[]
  selfMetrics: SelfMetrics
  now: number
  /** Include each series' last hour (`?history=1`; the HTML page always draws it). */
  history?: boolean
}

export class StatusBoard {
  private readonly sources = new Map<string, SourceRecord>()
  private readonly ticks = new WeakMap<Executor, TickRecord>()
  private readonly histories = new Map<string, MinuteHistory>()
  private configFile: string | null = null
  private configLoadedAt: number

  constructor(private readonly options: StatusBoardOptions) {
    this.configLoadedAt = options.startedAt
  }

  configLoaded(file: string | undefined, at: number): void {
    this.configFile = file ?? null
    this.configLoadedAt = at
  }

  /** A probe landed (the executor's onResult). */
  probed(result: SourceResult, durationMs: number): void {
    const at = result.timeMs ?? result.time * 1000
    let record = this.sources.get(result.id)
    const failed = result.error !== undefined
    if (!record) {
      record = {
        state: failed ? "failing" : "ok",
        since: at,
        lastError: null,
        lastProbeAt: at,
        lastProbeMs: durationMs,
        probes: 0,
        errors: 0,
        last: null,
      }
      this.sources.set(result.id, record)
    }
    const state = failed ? "failing" : "ok"
    if (record.state !== state) {
      record.state = state
      record.since = at
    }
    record.probes++
    record.lastProbeAt = at
    record.lastProbeMs = durationMs
    if (failed) {
      record.errors++
      record.lastError = result.error ?? null
      return
    }
    record.lastError = null
    record.last = result
    for (const set of result.sets)
      for (const value of set.values) {
        const path = graphitePath(result, value)
        let history = this.histories.get(path)
        if (!history) {
          if (this.histories.size >= this.options.historySeries) continue
          history = new MinuteHistory()
          this.histories.set(path, history)
        }
        history.record(at, value.value)
      }
  }

  /** A tick finished (the executor's onTick). */
  ticked(executor: Executor, tick: { startedAtMs: number; durationMs: number } & TickReport): void {
    const record = this.ticks.get(executor)
    this.ticks.set(executor, { at: tick.startedAtMs, ms: tick.durationMs, ticks: (record?.ticks ?? 0) + 1 })
  }

  /** Forgets sources (and their series' history) no longer configured, after a reload. */
  retain(ids: ReadonlySet<string>): void {
    for (const [id, record] of this.sources) {
      if (ids.has(id)) continue
      if (record.last)
        for (const set of record.last.sets) for (const value of set.values) this.histories.delete(graphitePath(record.last, value))
      this.sources.delete(id)
    }
  }

  document(view: BoardView): StatusDocument {
    const { now, selfMetrics } = view
    const snapshot = selfMetrics.snapshot()
    const counter = (name: string, labels: Record<string, string>) => snapshot.counters.get(name)?.get(JSON.stringify(labels))
    const gauge = (name: string, labels: Record<string, string>) => snapshot.gauges.get(name)?.get(JSON.stringify(labels))
    const sources: SourceStatus[] = []
    const executors = view.executors.map((executor, e) => {
      for (const slot of executor.slots) {
        const record = this.sources.get(slot.id)
        sources.push({
          id: slot.id,
          collection: executor.collection,
          type: slot.type,
          name: slot.name ?? null,
          state: record?.state ?? "pending",
          since: record?.since ?? null,
          lastError: record?.lastError ? redact(record.lastError) : null,
          lastProbeAt: record?.lastProbeAt ?? null,
          lastProbeMs: record ? round(record.lastProbeMs) : null,
          probes: record?.probes ?? 0,
          errors: record?.errors ?? 0,
          values: record?.last ? this.series(record.last, now, view.history ?? false) : [],
        })
      }
      const tick = this.ticks.get(executor)
      return {
        id: `executors[${e}]`,
        collection: executor.collection,
        tickSeconds: executor.tickTimeMs / 1000,
        lastTickAt: tick?.at ?? null,
        lastTickMs: tick ? round(tick.ms) : null,
        ticks: tick?.ticks ?? 0,
        ticksSkipped: snapshot.ticksSkipped.get(executor.collection) ?? 0,
        sources: executor.slots.length,
      }
    })
    const writers: WriterStatusEntry[] = view.writers.map((writer) => {
      const type = writer.config.type
      const own = writer.status?.()
      const labels = { writer: type }
      return {
        type,
        state: own?.state ?? "ok",
        detail: own?.detail ? redact(own.detail) : null,
        lastError: own?.lastError ? redact(own.lastError) : null,
        queuePoints: gauge("pollect_queue_points", labels) ?? null,
        queueBytes: gauge("pollect_queue_bytes", labels) ?? null,
        pointsDropped: counter("pollect_points_dropped_total", labels) ?? 0,
        pointsSent: counter("pollect_points_sent_total", labels) ?? null,
      }
    })
    return {
      schema: 1,
      pollect: {
        version: this.options.version,
        startedAt: this.options.startedAt,
        uptimeSeconds: Math.floor((now - this.options.startedAt) / 1000),
        configFile: this.configFile,
        configLoadedAt: this.configLoadedAt,
        reloads: {
          success: counter("pollect_config_reloads_total", { result: "success" }) ?? 0,
          failure: counter("pollect_config_reloads_total", { result: "failure" }) ?? 0,
        },
      },
      now,
      executors,
      sources,
      writers,
      history: { series: this.histories.size, limit: this.options.historySeries, minutes: HISTORY_MINUTES },
    }
  }

  private series(result: SourceResult, now: number, withHistory: boolean): SeriesStatus[] {
    const out: SeriesStatus[] = []
    for (const set of result.sets)
      for (const value of set.values) {
        const path = graphitePath(result, value)
        const labels: Record<string, string> = {}
        set.labels.forEach((label, i) => {
          labels[label] = value.labelValues[i] ?? ""
        })
        const entry: SeriesStatus = {
          path,
          name: value.name ?? "value",
          labels,
          value: value.value,
          unit: set.unit ?? null,
          kind: set.kind ?? null,
        }
        if (withHistory) {
          const history = this.histories.get(path)
          if (history) entry.history = history.series(now).map((v) => (Number.isNaN(v) ? null : v))
        }
        out.push(entry)
      }
    return out
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100
