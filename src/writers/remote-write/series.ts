/**
 * From source results to remote_write samples: the names and labels the Prometheus writer
 * exposes for the same config (promName, promLabels, promScaler of the API), and the series each
 * source reported last, so one that stops reporting (a value gone, the source failing or removed)
 * gets Prometheus' staleness marker once, at the time of the result that lacks it.
 *
 * A series' encoded labels are made once and kept while the source reports it: a tick costs a
 * map lookup per value. Memory is bounded by the series the sources report, as the exporter's.
 */
import { promLabelName, promLabels, promName, promScaler, type PromNameScheme, type SourceResult } from "../../api.ts"
import { encodeLabels } from "./write-request.ts"

/** Receives the samples of one result, in order. */
export interface SampleSink {
  sample(labels: Uint8Array, value: number, timeMs: number): void
  stale(labels: Uint8Array, timeMs: number): void
}

/** One series a source reports. */
interface Entry {
  /** Its encoded labels; null when another source already sends this series (this one's values are skipped). */
  labels: Uint8Array | null
  /** Name and every label: the identity across sources. */
  key: string
  /** The generation (result) that last reported it. */
  seen: number
  /** Its group and label values when last seen: the positional fast path compares them. */
  group: Map<string, Entry>
  values: readonly string[]
}

interface SourceState {
  /** The static labels the entries were made with: other ones (a reload) start afresh. */
  fingerprint: string
  /** `name\0label names` → label values joined → entry. Keys built per value stay short. */
  groups: Map<string, Map<string, Entry>>
  /** The entries in the order the last result reported them: sources mostly repeat their order. */
  order: Entry[]
}

export class SeriesTracker {
  private readonly sources = new Map<string, SourceState>()
  /** Series key → the source that reports it: the first keeps it (two would collide in the store). */
  private readonly owners = new Map<string, string>()
  private readonly warned = new Set<string>()
  private readonly extra: [string, string][]
  private generation = 0

  /**
   * @param scheme the names, as the Prometheus writer's `names`.
   * @param extraLabels labels added to every series that lacks them (Prometheus' external_labels).
   * @param warn logs a problem of one source once.
   */
  constructor(
    private readonly scheme: PromNameScheme,
    extraLabels: Record<string, string>,
    private readonly warn: (message: string) => void,
  ) {
    this.extra = Object.entries(extraLabels).filter(([, value]) => value !== "")
  }

  /** Series sent (for tests and benchmarks). */
  get size(): number {
    return this.owners.size
  }

  /** Feeds one result's samples (and staleness markers of what it no longer reports) to `sink`; returns how many. */
  apply(result: SourceResult, timeMs: number, sink: SampleSink): number {
    const generation = ++this.generation
    const fingerprint = JSON.stringify(result.labels)
    let state = this.sources.get(result.id)
    if (state && state.fingerprint !== fingerprint) {
      // Other static labels: every series is another one now.
      this.staleUnseen(state, generation, timeMs, sink)
      state = undefined
    }
    let n = 0
    const previous = state?.order ?? []
    const order: Entry[] = []
    if (result.error === undefined) {
      for (const set of result.sets) {
        if (!set.values.length) continue
        state ??= { fingerprint, groups: new Map(), order: [] }
        const scale = promScaler(set, this.scheme)
        const signature = set.labels.join("\u0000")
        // One label (the common case): its value is the key, no join.
        const single = set.labels.length === 1
        /** value name → [metric name, its group]. */
        const named = new Map<string | undefined, [string, Map<string, Entry>]>()
        let fast: ((values: readonly string[]) => [string, string][]) | undefined | null = null
        let lastName: string | undefined | null = null
        let hit: [string, Map<string, Entry>] | undefined
        for (const value of set.values) {
          // Runs of one value name are the rule: look the name up only when it changes.
          if (value.name !== lastName) {
            lastName = value.name
            hit = named.get(value.name)
          }
          if (!hit) {
            const name = promName(result, set, value, this.scheme)
            const groupKey = `${name}\u0000${signature}`
            let group = state.groups.get(groupKey)
            if (!group) state.groups.set(groupKey, (group = new Map()))
            named.set(value.name, (hit = [name, group]))
          }
          const [name, group] = hit
          const values = value.labelValues
          // Where the last result had a value at this place with the same name and labels: no lookup at all.
          let entry: Entry | undefined = previous[order.length]
          if (!entry || entry.group !== group || !sameValues(entry.values, values)) {
            entry = group.get(single ? values[0]! : values.join("\u0000"))
          }
          if (entry?.seen === generation) {
            this.warnOnce(
              `${result.id}\0dup\0${name}`,
              `${result.id}: ${name}${keyLabels(entry.key)} appears twice in one probe; sending the first`,
            )
            continue
          }
          if (!entry) {
            if (fast === null) fast = fastLabels(result, set.labels, this.scheme)
            const pairs = fast ? fast(values) : Object.entries(promLabels(result, set, value, this.scheme))
            const key = seriesKey(name, pairs)
            const owner = this.owners.get(key)
            let labels: Uint8Array | null = null
            if (owner === undefined) {
              labels = encodeLabels(this.sorted(name, pairs))
              this.owners.set(key, result.id)
            }
            entry = { labels, key, seen: generation, group, values }
            group.set(single ? values[0]! : values.join("\u0000"), entry)
          }
          entry.seen = generation
          entry.values = values
          order.push(entry)
          if (!entry.labels) {
            // Someone else's series; it may have become free since.
            if (this.owners.has(entry.key)) {
              this.warnOnce(
                `${result.id}\0taken\0${name}`,
                `${result.id}: ${name}${keyLabels(entry.key)} is already sent for ${this.owners.get(entry.key)}; add a label or a name to tell them apart`,
              )
              continue
            }
            this.owners.set(entry.key, result.id)
            const pairs =
              (fast ?? (fast = fastLabels(result, set.labels, this.scheme)))?.(values) ??
              Object.entries(promLabels(result, set, value, this.scheme))
            entry.labels = encodeLabels(this.sorted(name, pairs))
          }
          sink.sample(entry.labels, scale(value.value), timeMs)
          n++
        }
      }
    }
    if (state) {
      n += this.staleUnseen(state, generation, timeMs, sink)
      state.order = order
    }
    if (state?.groups.size) this.sources.set(result.id, state)
    else this.sources.delete(result.id)
    return n
  }

  /** Marks stale (and forgets) the series of `state` not seen in `generation`; returns how many. */
  private staleUnseen(state: SourceState, generation: number, timeMs: number, sink: SampleSink): number {
    let n = 0
    for (const [groupKey, group] of state.groups) {
      for (const [valuesKey, entry] of group) {
        if (entry.seen === generation) continue
        group.delete(valuesKey)
        if (!entry.labels) continue
        this.owners.delete(entry.key)
        sink.stale(entry.labels, timeMs)
        n++
      }
      if (!group.size) state.groups.delete(groupKey)
    }
    return n
  }

  /**
   * `__name__` (set last, so a label of that name never wins), the value's labels, the extra
   * labels it lacks; empty values left out (Prometheus: empty is absent); sorted by name (names
   * are unique in a Map, so no two compare equal).
   */
  private sorted(name: string, pairs: readonly (readonly [string, string])[]): [string, string][] {
    const labels = new Map<string, string>()
    for (const [key, value] of pairs) if (value !== "") labels.set(key, value)
    for (const [key, value] of this.extra) if (!labels.has(key)) labels.set(key, value)
    labels.set("__name__", name)
    return [...labels].sort(([a], [b]) => (a < b ? -1 : 1))
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key) || this.warned.size >= 1000) return
    this.warned.add(key)
    this.warn(message)
  }
}

/** Label values of one group: as many as the group's label names (ValueSet makes sure). */
function sameValues(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** The identity of a series: its name and label pairs (in promLabels' order, which is stable per source). */
function seriesKey(name: string, pairs: readonly (readonly [string, string])[]): string {
  let key = name
  for (const [label, value] of pairs) if (value !== "") key += `\u0000${label}\u0001${value}`
  return key
}

/** `{a="1",b="2"}` of a series key, for a log line. */
function keyLabels(key: string): string {
  const parts = key.split("\u0000").slice(1)
  return parts.length ? `{${parts.map((part) => part.replace("\u0001", '="') + '"').join(",")}}` : ""
}

/**
 * The label pairs of a set's values without a record per value; undefined when a static label
 * overrides a set label (or two names collide), where promLabels' rules apply.
 */
function fastLabels(
  result: SourceResult,
  labels: readonly string[],
  scheme: PromNameScheme,
): ((values: readonly string[]) => [string, string][]) | undefined {
  const names = labels.map((label) => promLabelName(label, scheme))
  const statics = Object.entries(result.labels).map(([key, value]) => [promLabelName(key, scheme), value] as [string, string])
  if (new Set([...names, ...statics.map(([key]) => key)]).size !== names.length + statics.length) return undefined
  return (values) => {
    const pairs: [string, string][] = names.map((name, i) => [name, values[i]!])
    for (const pair of statics) pairs.push(pair)
    return pairs
  }
}
