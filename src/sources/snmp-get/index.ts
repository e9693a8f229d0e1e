/**
 * `SnmpGet`: reads OIDs from an SNMP agent; each metric sums its OIDs, raw or as a per-second
 * rate. Numeric OIDs go through the `net-snmp` library (no snmpget binary needed); symbolic ones
 * (`IF-MIB::ifHCInOctets.1`) through the `snmpget` binary, which resolves MIBs. A metric that
 * fails (noSuchObject, a string, ...) is logged and left out; the probe fails only when all do.
 */
import * as v from "valibot"
import { FailureLatch, Source, ValueSet, type CommonSourceOptions, type SourceContext } from "../../api.ts"
import { securityLevelOf, SnmpSession, type AuthProtocol, type PrivProtocol, type SnmpTarget } from "./session.ts"
import { counterBits, isCounterType, isNumericOid, normaliseOid, toNumber, type SnmpReading } from "./value.ts"
import { parseSnmpgetOutput, snmpgetError } from "./snmpget-output.ts"
import { metrics } from "./metrics.ts"

const AUTH_PROTOCOLS = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"] as const
const PRIV_PROTOCOLS = ["DES", "AES"] as const

/** `sha256`, `SHA256`, `sha-256` → `SHA-256`. */
const protocolName = (text: string) =>
  text
    .trim()
    .toUpperCase()
    .replace(/^(SHA)-?(\d+)$/, "$1-$2")

const version = (description: string) =>
  v.pipe(
    v.union([v.string(), v.number()]),
    // Before the transform: the docs and `pollect schema` describe the input.
    v.description(description),
    v.transform((input) => (String(input) === "2" ? "2c" : String(input).toLowerCase())),
    v.picklist(["1", "2c", "3"]),
  )

const authProtocol = (description: string) =>
  v.pipe(v.string(), v.description(description), v.transform(protocolName), v.picklist(AUTH_PROTOCOLS))
const privProtocol = (description: string) =>
  v.pipe(v.string(), v.description(description), v.transform(protocolName), v.picklist(PRIV_PROTOCOLS))

const metric = v.object({
  oids: v.pipe(
    v.array(v.pipe(v.string(), v.nonEmpty())),
    v.minLength(1),
    v.description(
      "OIDs whose values are summed: numeric (`1.3.6.1...`, `.1.3.6.1...`, `iso.3.6.1...`) or symbolic (`IF-MIB::ifHCInOctets.1`, read with `snmpget`)",
    ),
  ),
  name: v.pipe(v.string(), v.nonEmpty(), v.description("The metric's name: the last part of its Graphite path and Prometheus name")),
  mode: v.optional(
    v.pipe(v.picklist(["raw", "rate"]), v.description("`raw`: the sum as read; `rate`: the sum of the OIDs' changes per second")),
    "raw",
  ),
})

const V3 = "SNMPv3: "
const options = v.object({
  host: v.pipe(v.string(), v.nonEmpty(), v.description("The agent's host name or address")),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("The agent's UDP port")), 161),
  communityString: v.optional(v.pipe(v.string(), v.description("Community for v1 and v2c; never logged")), "public"),
  version: v.optional(
    version(
      'SNMP version: `"1"` (the original\'s default, when neither this nor `snmpVersion` is set), `"2c"` or `"3"`; numbers `1`, `2`, `3` work too',
    ),
  ),
  snmpVersion: v.optional(version("The newer Python pollect's name for `version`")),
  user: v.optional(v.pipe(v.string(), v.description(`${V3}the user name`))),
  username: v.optional(v.pipe(v.string(), v.description("The newer Python pollect's name for `user`"))),
  securityLevel: v.optional(
    v.pipe(
      v.picklist(["noAuthNoPriv", "authNoPriv", "authPriv"]),
      v.description(`${V3}without it, \`authPriv\` when \`privKey\` is set, \`authNoPriv\` when \`authKey\` is set, else \`noAuthNoPriv\``),
    ),
  ),
  authProtocol: v.optional(
    authProtocol(
      `${V3}authentication protocol, \`MD5\`, \`SHA\`, \`SHA-224\`, \`SHA-256\`, \`SHA-384\` or \`SHA-512\` (\`sha256\` is accepted); default \`SHA\``,
    ),
  ),
  authKey: v.optional(v.pipe(v.string(), v.description(`${V3}authentication pass phrase, 8 characters or more; never logged`))),
  authPassPhrase: v.optional(v.pipe(v.string(), v.description("The newer Python pollect's name for `authKey`"))),
  privProtocol: v.optional(privProtocol(`${V3}privacy protocol, \`AES\` (128) or \`DES\`; default \`AES\``)),
  privacyProtocol: v.optional(privProtocol("The newer Python pollect's name for `privProtocol`")),
  privKey: v.optional(v.pipe(v.string(), v.description(`${V3}privacy pass phrase, 8 characters or more; never logged`))),
  privacyPassPhrase: v.optional(v.pipe(v.string(), v.description("The newer Python pollect's name for `privKey`"))),
  retries: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10), v.description("Re-sends before a request counts as unanswered")),
    1,
  ),
  mibDirs: v.optional(
    v.pipe(v.array(v.string()), v.description("Extra MIB folders for symbolic OIDs (passed to `snmpget` as `-M +dir:dir`)")),
    [],
  ),
  metrics: v.pipe(
    v.array(metric),
    v.minLength(1),
    v.description(
      'The values to read, `{ "oids": [...], "name": "...", "mode": "raw" | "rate" }` each: the OIDs are summed (numeric, or symbolic such as `IF-MIB::ifHCInOctets.1`), `name` names the value, `mode` is `raw` (default: as read) or `rate` (change per second)',
    ),
  ),
})

type Options = v.InferOutput<typeof options>
type Metric = v.InferOutput<typeof metric>

type MetricOutcome = { readings: SnmpReading[] } | { error: string }

export class SnmpGetSource extends Source<Options> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  private readonly target: SnmpTarget
  private readonly configError?: string
  private readonly session: SnmpSession
  /** Logs a metric's failure once (again when its message changes) and its recovery once; made at the first probe, with the logger then in ctx. */
  private latchMade?: FailureLatch

  constructor(config: Options & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    const c = this.config
    const timeoutSeconds = c.timeout ?? SnmpGetSource.defaultTimeout
    this.target = {
      host: c.host,
      port: c.port,
      version: c.version ?? c.snmpVersion ?? "1",
      community: c.communityString,
      user: c.user ?? c.username,
      securityLevel: c.securityLevel,
      authProtocol: c.authProtocol as AuthProtocol | undefined,
      authKey: c.authKey ?? c.authPassPhrase,
      privProtocol: (c.privProtocol ?? c.privacyProtocol) as PrivProtocol | undefined,
      privKey: c.privKey ?? c.privacyPassPhrase,
      retries: c.retries,
      // Leave a tenth of the probe's time so the SNMP error, not the executor's timeout, is reported.
      timeoutMs: Math.max(100, Math.floor((timeoutSeconds * 900) / (c.retries + 1))),
    }
    for (const secret of [this.target.community, this.target.authKey, this.target.privKey]) if (secret) ctx.registerSecret(secret)
    this.configError = checkV3(this.target)
    this.session = new SnmpSession(this.target)
  }

  override async probe(): Promise<ValueSet[]> {
    if (this.configError) throw new Error(this.configError)
    const metrics = this.config.metrics
    const outcomes = await Promise.all(metrics.map((m) => this.read(m)))
    const sets: ValueSet[] = []
    const failures: string[] = []
    metrics.forEach((m, i) => {
      const outcome = outcomes[i]!
      if ("error" in outcome) {
        failures.push(`metric "${m.name}": ${outcome.error}`)
        this.latch.fail(m.name, this.what(m.name), outcome.error)
        return
      }
      this.latch.ok(m.name, this.what(m.name))
      const set = valueSetOf(m, outcome.readings, (oid, reading) =>
        this.ctx.rate.rate(`${m.name}\u0000${oid}`, reading.value, { bits: counterBits(reading.type) }),
      )
      if (set) sets.push(set)
    })
    if (failures.length === metrics.length) throw new Error(failures.join("; "))
    return sets
  }

  override close(): void {
    this.session.close()
  }

  /** All readings of one metric, in the order of its OIDs, or the first problem. */
  private async read(m: Metric): Promise<MetricOutcome> {
    const numeric = m.oids.filter(isNumericOid)
    const symbolic = m.oids.filter((oid) => !isNumericOid(oid))
    try {
      const [byLibrary, byBinary] = await Promise.all([
        numeric.length ? this.session.get(numeric.map(normaliseOid), this.ctx.signal) : [],
        symbolic.length ? this.snmpget(symbolic) : [],
      ])
      const readings = new Map<string, SnmpReading>()
      numeric.forEach((oid, i) => readings.set(oid, byLibrary[i] ?? { ok: false, error: "no value in the response" }))
      symbolic.forEach((oid, i) => readings.set(oid, byBinary[i] ?? { ok: false, error: "no value in the response" }))
      const ordered = m.oids.map((oid) => readings.get(oid)!)
      const bad = ordered.findIndex((reading) => !reading.ok)
      if (bad >= 0) return { error: `${m.oids[bad]}: ${(ordered[bad] as { error: string }).error}` }
      return { readings: ordered }
    } catch (error) {
      return { error: (error as Error).message }
    }
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

/** One metric's value: the sum of its OIDs (raw) or the sum of their per-second rates; undefined while a rate has no baseline. */
export function valueSetOf(
  m: Metric,
  readings: SnmpReading[],
  rate: (oid: string, reading: { type: string; value: bigint | number }) => number | undefined,
): ValueSet | undefined {
  const ok = readings.filter((r): r is Extract<SnmpReading, { ok: true }> => r.ok)
  if (m.mode === "rate") {
    let sum = 0
    let complete = true
    // Every OID gets its rate (and so its baseline) even when another one has none yet.
    ok.forEach((reading, i) => {
      // The position is part of the key: an OID listed twice keeps two baselines.
      const perSecond = rate(`${i}:${m.oids[i]!}`, reading)
      if (perSecond === undefined) complete = false
      else sum += perSecond
    })
    if (!complete) return undefined
    return new ValueSet(metrics.rate).add(sum, [], m.name)
  }
  const allCounters = ok.every((reading) => isCounterType(reading.type))
  const sum = ok.every((reading) => typeof reading.value === "bigint")
    ? toNumber(ok.reduce((total, reading) => total + (reading.value as bigint), 0n))
    : ok.reduce((total, reading) => total + toNumber(reading.value), 0)
  return new ValueSet(allCounters ? metrics.counter : metrics.gauge).add(sum, [], m.name)
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
  if (level !== "noAuthNoPriv" && (t.authKey ?? "").length < 8) return `securityLevel ${level} needs \`authKey\` of at least 8 characters`
  if (level === "authPriv" && (t.privKey ?? "").length < 8) return "securityLevel authPriv needs `privKey` of at least 8 characters"
  return undefined
}
