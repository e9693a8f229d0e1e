/**
 * `SnmpGet`: reads OIDs from an SNMP agent; each metric sums its OIDs, raw or as a per-second
 * rate. Numeric OIDs go through the `net-snmp` library (no snmpget binary needed); symbolic ones
 * (`IF-MIB::ifHCInOctets.1`) through the `snmpget` binary, which resolves MIBs. A metric that
 * fails (noSuchObject, a string, ...) is logged and left out; the probe fails only when all do.
 *
 * The Python pollect 1.2's keys work too: `oid` (one OID) beside `oids`, `range` (one value per
 * number, put into the OID at `${label}` and given as the label's value), `oidLabels` (labels
 * whose values are read at OIDs), and a port in `host` (`127.0.0.1:1161`).
 */
import { FailureLatch, Source, ValueSet, type CommonSourceOptions, type SourceContext } from "../../api.ts"
import { securityLevelOf, SnmpSession, type AuthProtocol, type PrivProtocol, type SnmpTarget } from "./session.ts"
import { counterBits, isCounterType, isNumericOid, normaliseOid, pythonFloatText, toNumber, type SnmpReading } from "./value.ts"
import { parseSnmpgetOutput, snmpgetError } from "./snmpget-output.ts"
import { metrics } from "./metrics.ts"
import { MIN_PASS_PHRASE, oidsOf, options, placeholder, PRIV_PROTOCOLS, type SnmpGetMetric, type SnmpGetOptions } from "./options.ts"

/** snmpget sends its OIDs in one request: as many per run as the library puts in one GET. */
const MAX_OIDS_PER_SNMPGET = 60

/** One value of a metric: its label values from the range, its OIDs and the OIDs of its `oidLabels`. */
interface Row {
  labels: string[]
  oids: string[]
  labelOids: string[]
}

/** A metric expanded: its label names and one row per number of its range (one row without a range). */
interface Plan {
  metric: SnmpGetMetric
  labelNames: string[]
  rows: Row[]
}

type MetricOutcome = { readings: Map<string, SnmpReading> } | { error: string }

/** The rows a metric reads: one per number of its range, `${label}` replaced in every OID. */
export function planOf(m: SnmpGetMetric): Plan {
  const oids = oidsOf(m)
  const labelKeys = Object.keys(m.oidLabels)
  const labelOids = Object.values(m.oidLabels)
  if (!m.range) return { metric: m, labelNames: labelKeys, rows: [{ labels: [], oids, labelOids }] }
  const { from, to, label } = m.range
  const rows: Row[] = []
  for (let n = from; n <= to; n++) {
    const put = (oid: string) => oid.replaceAll(placeholder(label), String(n))
    rows.push({ labels: [String(n)], oids: oids.map(put), labelOids: labelOids.map(put) })
  }
  return { metric: m, labelNames: [label, ...labelKeys], rows }
}

/** `127.0.0.1:1161`, `udp:host:1161`, `udp6:[::1]:1161`, `[::1]` → host and port; a bare IPv6 address keeps `port`. */
export function agentAddress(host: string, port: number): { host: string; port: number } {
  const text = host.trim().replace(/^udp6?:/i, "")
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(text)
  if (!match) return { host: text, port }
  return { host: match[1] ?? match[2]!, port: match[3] === undefined ? port : Number(match[3]) }
}

/** A label's value read at an OID, as the Python pollect 1.2 gives it: a string as is, a number as Python's float, nothing as "". */
function labelText(reading: SnmpReading | undefined): string {
  if (reading?.text !== undefined) return reading.text
  if (!reading?.ok) return ""
  return pythonFloatText(toNumber(reading.value))
}

export class SnmpGetSource extends Source<SnmpGetOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  private readonly target: SnmpTarget
  private readonly configError?: string
  private readonly session: SnmpSession
  private readonly plans: Plan[]
  /** Logs a metric's failure once (again when its message changes) and its recovery once; made at the first probe, with the logger then in ctx. */
  private latchMade?: FailureLatch

  constructor(config: SnmpGetOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    const c = this.config
    const timeoutSeconds = c.timeout ?? SnmpGetSource.defaultTimeout
    const address = agentAddress(c.host, c.port)
    const privacy = (PRIV_PROTOCOLS as readonly string[]).includes(c.privacyProtocol ?? "") ? c.privacyProtocol : undefined
    this.target = {
      ...address,
      version: c.version ?? c.snmpVersion ?? "1",
      community: c.communityString,
      user: c.user ?? c.username,
      securityLevel: c.securityLevel,
      authProtocol: c.authProtocol as AuthProtocol | undefined,
      authKey: c.authKey ?? c.authPassPhrase,
      privProtocol: (c.privProtocol ?? privacy) as PrivProtocol | undefined,
      privKey: c.privKey ?? c.privacyPassPhrase,
      retries: c.retries,
      // Leave a tenth of the probe's time so the SNMP error, not the executor's timeout, is reported.
      timeoutMs: Math.max(100, Math.floor((timeoutSeconds * 900) / (c.retries + 1))),
    }
    for (const secret of [this.target.community, this.target.authKey, this.target.privKey]) if (secret) ctx.registerSecret(secret)
    this.configError = checkV3(this.target)
    this.session = new SnmpSession(this.target)
    this.plans = c.metrics.map(planOf)
  }

  override async probe(): Promise<ValueSet[]> {
    if (this.configError) throw new Error(this.configError)
    const plans = this.plans
    const outcomes = await Promise.all(plans.map((plan) => this.read(plan)))
    const sets: ValueSet[] = []
    const failures: string[] = []
    plans.forEach((plan, i) => {
      const m = plan.metric
      const outcome = outcomes[i]!
      const rows = "error" in outcome ? { ok: [], failed: [] } : rowsOf(plan, outcome.readings)
      const error = "error" in outcome ? outcome.error : rows.ok.length ? undefined : rows.failed[0]!.error
      if (error !== undefined) {
        failures.push(`metric "${m.name}": ${error}`)
        this.latch.fail(m.name, this.what(m.name), error)
        return
      }
      this.latch.ok(m.name, this.what(m.name))
      // A range's numbers without a value (an interface that does not exist) are left out, logged once.
      const partial = `${m.name}\u0000rows`
      if (rows.failed.length) {
        const numbers = rows.failed.map((row) => row.labels[0]).slice(0, 10)
        const more = rows.failed.length > numbers.length ? `, ... (${rows.failed.length})` : ""
        this.latch.fail(partial, this.what(m.name), `${plan.labelNames[0]} ${numbers.join(", ")}${more} left out: ${rows.failed[0]!.error}`)
      } else this.latch.ok(partial, this.what(m.name))
      const set = valueSetOfRows(m, plan.labelNames, rows.ok, (key, reading) =>
        this.ctx.rate.rate(`${m.name}\u0000${key}`, reading.value, { bits: counterBits(reading.type) }),
      )
      if (set) sets.push(set)
    })
    if (failures.length === plans.length) throw new Error(failures.join("; "))
    return sets
  }

  override close(): void {
    this.session.close()
  }

  /** The readings of every OID one metric reads (values and labels, all rows), or the request's problem. */
  private async read(plan: Plan): Promise<MetricOutcome> {
    const all = [...new Set(plan.rows.flatMap((row) => [...row.oids, ...row.labelOids]))]
    const numeric = all.filter(isNumericOid)
    const symbolic = all.filter((oid) => !isNumericOid(oid))
    try {
      const [byLibrary, byBinary] = await Promise.all([
        numeric.length ? this.session.get(numeric.map(normaliseOid), this.ctx.signal) : [],
        symbolic.length ? this.snmpgetAll(symbolic) : [],
      ])
      const readings = new Map<string, SnmpReading>()
      numeric.forEach((oid, i) => readings.set(oid, byLibrary[i] ?? { ok: false, error: "no value in the response" }))
      symbolic.forEach((oid, i) => readings.set(oid, byBinary[i] ?? { ok: false, error: "no value in the response" }))
      return { readings }
    } catch (error) {
      return { error: (error as Error).message }
    }
  }

  /** snmpget for many OIDs: one run per request-sized chunk, one after the other. */
  private async snmpgetAll(oids: string[]): Promise<SnmpReading[]> {
    const readings: SnmpReading[] = []
    for (let i = 0; i < oids.length; i += MAX_OIDS_PER_SNMPGET)
      readings.push(...(await this.snmpget(oids.slice(i, i + MAX_OIDS_PER_SNMPGET))))
    return readings
  }

  /** Symbolic OIDs: snmpget resolves them against the MIBs installed on this host. */
  private async snmpget(oids: string[]): Promise<SnmpReading[]> {
    const t = this.target
    const argv = ["snmpget", "-On", "-Oe", "-Cf", "-r", String(t.retries), "-t", String(Math.max(1, Math.round(t.timeoutMs / 1000)))]
    if (this.config.mibDirs.length) argv.push("-M", "+" + this.config.mibDirs.join(":"))
    argv.push(...snmpgetAuthArgs(t))
    argv.push(t.host.includes(":") ? `udp6:[${t.host}]:${t.port}` : `udp:${t.host}:${t.port}`, ...oids)
    const result = await this.ctx.spawn(argv, { packageName: "snmp", timeoutMs: (t.retries + 1) * t.timeoutMs + 2000 })
    if (result.exitCode !== 0) throw new Error(`snmpget: ${snmpgetError(result.stderr, result.exitCode)}`)
    const lines = parseSnmpgetOutput(result.stdout)
    if (lines.length !== oids.length) throw new Error(`snmpget printed ${lines.length} values for ${oids.length} OIDs`)
    return lines.map((line) => line.reading)
  }

  private get latch(): FailureLatch {
    this.latchMade ??= new FailureLatch(this.ctx.log)
    return this.latchMade
  }

  /** How a metric is named in the log: `10.1.100.1: metric "throughput"`. */
  private what(name: string): string {
    return `${this.config.host}: metric "${name}"`
  }
}

type OkReading = Extract<SnmpReading, { ok: true }>

/** A row read: its readings (all of them good) and its label values. */
export interface ReadRow {
  labels: string[]
  oids: string[]
  readings: OkReading[]
}

/** Splits a metric's rows into those read (label values filled in) and those with an OID without a value. */
function rowsOf(plan: Plan, readings: Map<string, SnmpReading>): { ok: ReadRow[]; failed: { labels: string[]; error: string }[] } {
  const ok: ReadRow[] = []
  const failed: { labels: string[]; error: string }[] = []
  for (const row of plan.rows) {
    const values = row.oids.map((oid) => readings.get(oid) ?? { ok: false as const, error: "no value in the response" })
    const bad = values.findIndex((reading) => !reading.ok)
    if (bad >= 0) {
      failed.push({ labels: row.labels, error: `${row.oids[bad]}: ${(values[bad] as { error: string }).error}` })
      continue
    }
    const labels = [...row.labels, ...row.labelOids.map((oid) => labelText(readings.get(oid)))]
    ok.push({ labels, oids: row.oids, readings: values as OkReading[] })
  }
  return { ok, failed }
}

type RateOf = (key: string, reading: { type: string; value: bigint | number }) => number | undefined

/** One metric's value: the sum of its OIDs (raw) or the sum of their per-second rates; undefined while a rate has no baseline. */
export function valueSetOf(
  m: Pick<SnmpGetMetric, "name" | "mode"> & { oid?: string; oids?: string[] },
  readings: SnmpReading[],
  rate: RateOf,
): ValueSet | undefined {
  const ok = readings.filter((r): r is OkReading => r.ok)
  return valueSetOfRows(m, [], [{ labels: [], oids: oidsOf(m), readings: ok }], rate)
}

/**
 * A metric's values, one per row (one per number of its range): the sum of the row's OIDs (raw),
 * or the sum of their per-second rates; a row whose rate has no baseline yet is left out, so
 * the first probe of a `rate` metric gives nothing (undefined).
 */
export function valueSetOfRows(
  m: Pick<SnmpGetMetric, "name" | "mode">,
  labelNames: string[],
  rows: ReadRow[],
  rate: RateOf,
): ValueSet | undefined {
  const labelled = labelNames.length > 0
  const opts = labelled ? { labels: labelNames } : {}
  if (m.mode === "rate") {
    const set = new ValueSet(labelled ? metrics.labelledRate : metrics.rate, opts)
    for (const row of rows) {
      let sum = 0
      let complete = true
      // Every OID gets its rate (and so its baseline) even when another one has none yet.
      row.readings.forEach((reading, i) => {
        // The position is part of the key: an OID listed twice keeps two baselines.
        const key = labelled ? `${row.labels.join("\u0000")}\u0000${i}:${row.oids[i]!}` : `${i}:${row.oids[i]!}`
        const perSecond = rate(key, reading)
        if (perSecond === undefined) complete = false
        else sum += perSecond
      })
      if (complete) set.add(sum, row.labels, m.name)
    }
    return set.values.length ? set : undefined
  }
  const allCounters = rows.every((row) => row.readings.every((reading) => isCounterType(reading.type)))
  const spec = labelled ? (allCounters ? metrics.labelledCounter : metrics.labelledGauge) : allCounters ? metrics.counter : metrics.gauge
  const set = new ValueSet(spec, opts)
  for (const { readings, labels } of rows) {
    const sum = readings.every((reading) => typeof reading.value === "bigint")
      ? toNumber(readings.reduce((total, reading) => total + (reading.value as bigint), 0n))
      : readings.reduce((total, reading) => total + toNumber(reading.value), 0)
    set.add(sum, labels, m.name)
  }
  return set.values.length ? set : undefined
}

function snmpgetAuthArgs(t: SnmpTarget): string[] {
  if (t.version !== "3") return ["-v", t.version, "-c", t.community]
  const level = securityLevelOf(t)
  const args = ["-v", "3", "-l", level, "-u", t.user ?? ""]
  if (level !== "noAuthNoPriv") args.push("-a", t.authProtocol ?? "SHA", "-A", t.authKey ?? "")
  if (level === "authPriv") args.push("-x", t.privProtocol ?? "AES", "-X", t.privKey ?? "")
  return args
}

/** What SNMPv3 needs before a request can be sent; undefined when nothing is missing. */
export function checkV3(t: SnmpTarget): string | undefined {
  if (t.version !== "3") return undefined
  if (!t.user) return "SNMPv3 needs `user`"
  const level = securityLevelOf(t)
  if (level !== "noAuthNoPriv" && (t.authKey ?? "").length < MIN_PASS_PHRASE)
    return `securityLevel ${level} needs \`authKey\` of at least 8 characters`
  if (level === "authPriv" && (t.privKey ?? "").length < MIN_PASS_PHRASE)
    return "securityLevel authPriv needs `privKey` of at least 8 characters"
  return undefined
}
