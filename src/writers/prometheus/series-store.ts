/**
 * The exporter's series, kept as exposition text. Each source's result is rendered once when it
 * lands (names, labels, escaping) and replaces only that source's lines; a scrape then only
 * concatenates cached text, so its cost hardly grows with the number of series.
 *
 * Rules: a metric name (family) belongs to the label-name set and type it first appeared with;
 * a source whose values would change that (or repeat a series another source already serves)
 * loses those values, logged once, and everything else is served. A failed probe keeps the
 * source's last values until the failure has lasted twice the probe's timeout.
 */
import {
  describeSource,
  promLabelName,
  promLabels,
  promName,
  promScaler,
  type Logger,
  type PromNameScheme,
  type SourceResult,
} from "../../api.ts"

interface Family {
  name: string
  type: "gauge" | "counter"
  help: string
  /** Label names, sorted and joined: the family's shape. */
  shape: string
  /** Source id → that source's sample lines of this family, as one string. */
  chunks: Map<string, string>
  /** The family's rendered text; undefined when a chunk changed. */
  text?: string
}

interface SourceState {
  /** Family name → label text (`{a="1"}`) → sample line, of the series this source serves. */
  series: Map<string, Map<string, string>>
  /** Unix ms of the first failed probe since the last success. */
  failingSince?: number
  timeoutSeconds: number
  /** `pollect Http "local" (executors[0].sources[1])`, for the log. */
  what: string
}

/** One family's lines as a source renders them, before they are merged. */
interface Draft {
  type: "gauge" | "counter"
  help: string
  shape: string
  lines: Map<string, string>
}

export class SeriesStore {
  private readonly families = new Map<string, Family>()
  private readonly sources = new Map<string, SourceState>()
  private readonly warned = new Set<string>()
  private body?: string
  private bodyVersion = 0
  /** Names served by someone else (pollect's own metrics): a source cannot take them. */
  reserved = new Set<string>()

  constructor(
    private readonly scheme: PromNameScheme,
    private readonly log: Logger,
    /** Wall clock, ms; tests move it. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Applies one source's result: replaces its series, or ages them if the probe failed. */
  apply(result: SourceResult): void {
    if (result.error !== undefined) {
      const state = this.sources.get(result.id)
      if (!state) return
      state.timeoutSeconds = result.timeoutSeconds
      // result.time is when the failing probe started; the age counts from there.
      state.failingSince ??= Math.min(result.time * 1000, this.now())
      this.expire(result.id, state)
      return
    }
    const drafts = this.render(result)
    const state: SourceState = this.sources.get(result.id) ?? {
      series: new Map(),
      timeoutSeconds: result.timeoutSeconds,
      what: describeSource(result),
    }
    this.sources.set(result.id, state)
    state.failingSince = undefined
    state.timeoutSeconds = result.timeoutSeconds
    for (const name of state.series.keys()) if (!drafts.has(name)) this.drop(result.id, state, name)
    for (const [name, draft] of drafts) this.merge(result.id, state, name, draft)
  }

  /** The exposition text of every family. */
  text(): string {
    for (const [id, state] of this.sources) this.expire(id, state)
    if (this.body !== undefined) return this.body
    const parts: string[] = []
    for (const family of this.families.values()) {
      if (family.text === undefined) {
        let text = `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`
        for (const chunk of family.chunks.values()) text += chunk
        family.text = text
      }
      parts.push(family.text)
    }
    this.bodyVersion++
    return (this.body = parts.join(""))
  }

  /** Names the text() last returned: it changes whenever that text does (a cache key). */
  get version(): number {
    return this.bodyVersion
  }

  /** How many series are served (for logs and benchmarks). */
  get size(): number {
    let n = 0
    for (const state of this.sources.values()) for (const lines of state.series.values()) n += lines.size
    return n
  }

  /** Removes a failing source's values once the failure has lasted twice its timeout. */
  private expire(id: string, state: SourceState): void {
    if (state.failingSince === undefined || !state.series.size) return
    if (this.now() - state.failingSince <= 2 * state.timeoutSeconds * 1000) return
    for (const name of [...state.series.keys()]) this.drop(id, state, name)
    this.log.warn(
      `${state.what}: failing for over twice its timeout (2 × ${state.timeoutSeconds} s): its series are removed from /metrics until it recovers`,
    )
  }

  private render(result: SourceResult): Map<string, Draft> {
    const drafts = new Map<string, Draft>()
    for (const set of result.sets) {
      const type = set.kind === "counter" ? "counter" : "gauge"
      // Names depend on the value name only: compute each once per set, not per value.
      const names = new Map<string | undefined, string>()
      const first = set.values[0]
      if (!first) continue
      // Without set labels every value has the same label text (the static labels): render it once.
      const firstLabels = promLabels(result, set, first, this.scheme)
      const fixedLabels = set.labels.length ? undefined : labelText(firstLabels)
      const labelNames = Object.keys(firstLabels).sort().join(",")
      const scale = promScaler(set, this.scheme)
      const fast = set.labels.length ? fastLabels(result, set.labels, this.scheme) : undefined
      for (const value of set.values) {
        let name = names.get(value.name)
        if (name === undefined) names.set(value.name, (name = promName(result, set, value, this.scheme)))
        let draft = drafts.get(name)
        if (!draft) drafts.set(name, (draft = { type, help: set.help ?? name, shape: labelNames, lines: new Map() }))
        else if (draft.shape !== labelNames || draft.type !== type) {
          this.warnOnce(
            `${result.id}\0${name}\0shape`,
            `${result.id}: values of ${name} with different label names (${draft.shape || "none"} vs ${labelNames || "none"}) or types; serving the first only`,
          )
          continue
        }
        const labels = fixedLabels ?? (fast ? fast(value.labelValues) : labelText(promLabels(result, set, value, this.scheme)))
        if (draft.lines.has(labels)) {
          this.warnOnce(`${result.id}\0${name}\0dup`, `${result.id}: ${name}${labels} appears twice in one probe; serving the first`)
          continue
        }
        draft.lines.set(labels, `${name}${labels} ${formatValue(scale(value.value))}\n`)
      }
    }
    return drafts
  }

  private merge(id: string, state: SourceState, name: string, draft: Draft): void {
    if (this.reserved.has(name)) {
      this.warnOnce(`${id}\0${name}\0reserved`, `${id}: ${name} is one of pollect's own metric names; not served`)
      this.drop(id, state, name)
      return
    }
    let family = this.families.get(name)
    if (family && (family.shape !== draft.shape || family.type !== draft.type)) {
      const onlyMine = [...family.chunks.keys()].every((owner) => owner === id)
      if (!onlyMine) {
        this.warnOnce(
          `${id}\0${name}\0conflict`,
          `${id}: ${name} is already served by another source with labels {${family.shape}} (${family.type}); these values have {${draft.shape}} (${draft.type}) and are not served`,
        )
        this.drop(id, state, name)
        return
      }
      this.drop(id, state, name)
      family = undefined
    }
    if (!family) {
      family = { name, type: draft.type, help: draft.help, shape: draft.shape, chunks: new Map() }
      this.families.set(name, family)
    }
    // The same series from another source: the first keeps it. Only shared families pay for the check.
    const others: [string, Map<string, string>][] = []
    for (const owner of family.chunks.keys()) {
      const lines = owner === id ? undefined : this.sources.get(owner)?.series.get(name)
      if (lines) others.push([owner, lines])
    }
    let chunk = ""
    for (const [key, line] of draft.lines) {
      const taken = others.find(([, lines]) => lines.has(key))
      if (taken) {
        this.warnOnce(
          `${id}\0${name}\0taken`,
          `${id}: ${name}${key} is already served by ${taken[0]}; add a label or a name to tell them apart`,
        )
        draft.lines.delete(key)
        continue
      }
      chunk += line
    }
    if (draft.lines.size) {
      family.chunks.set(id, chunk)
      state.series.set(name, draft.lines)
    } else {
      family.chunks.delete(id)
      state.series.delete(name)
      if (!family.chunks.size) this.families.delete(name)
    }
    family.text = undefined
    this.body = undefined
  }

  /** Removes this source's lines of one family. */
  private drop(id: string, state: SourceState, name: string): void {
    const had = state.series.delete(name)
    const family = this.families.get(name)
    if (!family || !had) return
    family.chunks.delete(id)
    if (!family.chunks.size) this.families.delete(name)
    family.text = undefined
    this.body = undefined
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return
    this.warned.add(key)
    this.log.warn(message)
  }
}

/**
 * The label text of a set's values without building a record per value; undefined when a
 * static label overrides a set label (or two names collide), where promLabels' rules apply.
 */
function fastLabels(result: SourceResult, labels: string[], scheme: PromNameScheme): ((values: string[]) => string) | undefined {
  const names = labels.map((label) => promLabelName(label, scheme))
  const staticNames = Object.keys(result.labels).map((key) => promLabelName(key, scheme))
  if (new Set([...names, ...staticNames]).size !== names.length + staticNames.length) return undefined
  let tail = ""
  for (const [key, value] of Object.entries(result.labels)) tail += `,${promLabelName(key, scheme)}="${escapeLabelValue(value)}"`
  const heads = names.map((name, i) => `${i ? "," : "{"}${name}="`)
  const end = tail + "}"
  return (values) => {
    let text = ""
    for (let i = 0; i < heads.length; i++) text += heads[i]! + escapeLabelValue(values[i] ?? "") + '"'
    return text + end
  }
}

/** `{a="1",b="x\"y"}`, or "" without labels. */
export function labelText(labels: Record<string, string>): string {
  let text = ""
  for (const [key, value] of Object.entries(labels)) text += `${text ? "," : "{"}${key}="${escapeLabelValue(value)}"`
  return text ? text + "}" : ""
}

export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"') : value
}

export function escapeHelp(help: string): string {
  return help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
}

/** A sample value in the text format: `3`, `0.0032`, `NaN`, `+Inf`. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value)
  if (Number.isNaN(value)) return "NaN"
  return value > 0 ? "+Inf" : "-Inf"
}
