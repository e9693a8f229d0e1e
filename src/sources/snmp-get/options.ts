/** The options of SnmpGet; light on purpose: validation loads it without the implementation, which loads only when a config uses SnmpGet. */
import { optionWarning, v } from "../../api.ts"

const AUTH_PROTOCOLS = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"] as const
export const PRIV_PROTOCOLS = ["DES", "AES"] as const
/** What the Python pollect 1.2's README offers for `privacyProtocol`; snmpget refuses them (`-x SHA`), so 1.2 could not use them. */
const AUTH_AS_PRIV = ["SHA", "MD5"] as const
/** A range longer than this is a typo (`to: 100000`), not a device. */
const MAX_RANGE = 10000

/** `${label}`: where a range's number goes in an OID. */
export const placeholder = (label: string) => "${" + label + "}"

/** A metric's OIDs: `oids`, or its one `oid`. */
export function oidsOf(m: { oid?: string; oids?: string[] }): string[] {
  return m.oids ?? (m.oid === undefined ? [] : [m.oid])
}

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

/** RFC 3414's password-to-key needs 8 characters or more: snmpget and snmpd refuse shorter pass phrases. */
export const MIN_PASS_PHRASE = 8
/** A v3 pass phrase; a shorter one is a config error (by path, the phrase itself never shown). */
const passPhrase = (description: string) =>
  v.pipe(
    v.string(),
    v.minLength(
      MIN_PASS_PHRASE,
      `an SNMPv3 pass phrase has at least ${MIN_PASS_PHRASE} characters (snmpget and snmpd refuse shorter ones)`,
    ),
    v.description(description),
  )

const range = v.pipe(
  v.object({
    from: v.pipe(v.number(), v.integer(), v.description("The first number (inclusive)")),
    to: v.pipe(v.number(), v.integer(), v.description("The last number (inclusive)")),
    label: v.pipe(
      v.string(),
      v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a label name: letters, digits and _, not starting with a digit"),
      v.description("The label whose value is the number, and the placeholder `${label}` in the OIDs"),
    ),
  }),
  v.check((r) => r.to >= r.from, "`to` is below `from`"),
  v.check((r) => r.to - r.from < MAX_RANGE, `a range has at most ${MAX_RANGE} numbers`),
)

const metricEntries = v.object({
  oid: v.optional(
    v.pipe(
      v.string(),
      v.nonEmpty(),
      v.description("One OID (the Python pollect 1.2's key); numeric (`1.3.6.1...`, `iso.3.6.1...`) or symbolic (`IF-MIB::ifInOctets.1`)"),
    ),
  ),
  oids: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.nonEmpty())),
      v.minLength(1),
      v.description(
        "OIDs whose values are summed: numeric (`1.3.6.1...`, `.1.3.6.1...`, `iso.3.6.1...`) or symbolic (`IF-MIB::ifHCInOctets.1`, read with `snmpget`)",
      ),
    ),
  ),
  name: v.pipe(v.string(), v.nonEmpty(), v.description("The metric's name: the last part of its Graphite path and Prometheus name")),
  mode: v.optional(
    v.pipe(v.picklist(["raw", "rate"]), v.description("`raw`: the sum as read; `rate`: the sum of the OIDs' changes per second")),
    "raw",
  ),
  range: v.optional(
    v.pipe(
      range,
      v.description(
        '`{ from, to, label }`: one value per number from `from` to `to`, read at the OID with `${label}` replaced by the number, labelled `label="<number>"`',
      ),
    ),
  ),
  oidLabels: v.optional(
    v.pipe(
      v.record(v.string(), v.pipe(v.string(), v.nonEmpty())),
      v.description(
        "`{ label: OID }`: labels whose values are read at these OIDs (`${label}` of the range replaced); after the range's label",
      ),
    ),
    {},
  ),
})

const metric = v.pipe(
  metricEntries,
  v.check((m) => (m.oid === undefined) !== (m.oids === undefined), "give either `oid` (one OID) or `oids` (summed), not both, not neither"),
  v.check((m) => !m.range || !Object.hasOwn(m.oidLabels, m.range.label), "the range's label is an `oidLabels` key too"),
  optionWarning((m: v.InferOutput<typeof metricEntries>) =>
    m.range && !oidsOf(m).some((oid) => oid.includes(placeholder(m.range!.label)))
      ? `the OID has no ${placeholder(m.range.label)}: every number of the range reads the same OID`
      : undefined,
  ),
)

const V3 = "SNMPv3: "
export const options = v.object({
  host: v.pipe(
    v.string(),
    v.nonEmpty(),
    v.description(
      "The agent's host name or address; may carry a port, as snmpget takes it (`127.0.0.1:1161`, `udp:host:1161`, `[::1]:1161`)",
    ),
  ),
  port: v.optional(
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("The agent's UDP port, unless `host` has one")),
    161,
  ),
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
  authKey: v.optional(passPhrase(`${V3}authentication pass phrase, 8 characters or more; never logged`)),
  authPassPhrase: v.optional(passPhrase("The newer Python pollect's name for `authKey`")),
  privProtocol: v.optional(privProtocol(`${V3}privacy protocol, \`AES\` (128) or \`DES\`; default \`AES\``)),
  privacyProtocol: v.optional(
    v.pipe(
      v.string(),
      v.description("The newer Python pollect's name for `privProtocol`"),
      v.transform(protocolName),
      v.picklist([...PRIV_PROTOCOLS, ...AUTH_AS_PRIV]),
      optionWarning((p: string) =>
        (AUTH_AS_PRIV as readonly string[]).includes(p)
          ? `${p} is not a privacy protocol (the Python pollect 1.2's README offers it, but snmpget refuses it): AES is used`
          : undefined,
      ),
    ),
  ),
  privKey: v.optional(passPhrase(`${V3}privacy pass phrase, 8 characters or more; never logged`)),
  privacyPassPhrase: v.optional(passPhrase("The newer Python pollect's name for `privKey`")),
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

export type SnmpGetOptions = v.InferOutput<typeof options>
export type SnmpGetMetric = v.InferOutput<typeof metric>
