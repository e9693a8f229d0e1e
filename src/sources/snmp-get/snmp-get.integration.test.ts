/**
 * SnmpGet against a real snmpd (Net-SNMP) on a loopback port: values equal those of the real
 * snmpget, over v2c and v3 (SHA/AES), raw and rate, numeric and symbolic OIDs, and the errors
 * a user meets (noSuchObject, v1 noSuchName, no agent on the port, wrong community).
 */
import { afterAll, beforeAll, describe, expect } from "bun:test"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { createLogger } from "../../core/log.ts"
import type { ValueSet } from "../../core/value-set.ts"
import { SnmpGetSource } from "./index.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { freeUdpPort, SNMP_FIXED, SNMP_TEST, Snmpd, snmpgetNumber } from "../../../test/helpers/snmpd.ts"
import { itWithTools, missingTools } from "../../../test/helpers/tools.ts"

const TOOLS = ["snmpd", "snmpget"]
const snmpd = new Snmpd()
const v2c = ["-v2c", "-c", SNMP_TEST.community]
const v3 = ["-v3", "-l", "authPriv", "-u", SNMP_TEST.user, "-a", "SHA", "-A", SNMP_TEST.authKey, "-x", "AES", "-X", SNMP_TEST.privKey]

/** Stable numeric values from the agent itself (MIB-II / HOST-RESOURCES) beside the overrides. */
const IF_NUMBER = "1.3.6.1.2.1.2.1.0"
const LO_MTU = "1.3.6.1.2.1.2.2.1.4.1"
const HR_MEMORY_SIZE = "1.3.6.1.2.1.25.2.2.0"
/** ifHCInOctets of interface 1 (lo): a real Counter64 that SNMP traffic itself moves. */
const LO_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6.1"
const MISSING = "1.3.6.1.2.1.1.99.0"
const SYS_UPTIME = "1.3.6.1.2.1.1.3.0"

/** Graphite path → value of one probe; the sources here have no name: `pollect.snmpget.<metric>`. */
const graphite = (sets: ValueSet[]) => Object.fromEntries(byGraphitePath(sets, "SnmpGet"))
const path = (metric: string) => `pollect.snmpget.${metric}`
/** Metric name → value, keyed by Graphite path. */
const paths = (byName: Record<string, number>) => Object.fromEntries(Object.entries(byName).map(([name, value]) => [path(name), value]))

function source(config: Record<string, unknown>): SnmpGetSource {
  return makeSource<SnmpGetSource>(SnmpGetSource, { type: "SnmpGet", host: "127.0.0.1", port: snmpd.port, timeout: 5, ...config })
}

const stableMetrics = [
  { name: "answer", oids: [`iso.${SNMP_FIXED.answer.oid.slice(2)}`] },
  { name: "nearWrap", oids: [`.${SNMP_FIXED.nearWrap.oid}`] },
  { name: "gauge", oids: [SNMP_FIXED.gauge.oid] },
  { name: "ifNumber", oids: [IF_NUMBER] },
  { name: "loMtu", oids: [LO_MTU] },
  { name: "memory", oids: [HR_MEMORY_SIZE] },
  { name: "sum", oids: [SNMP_FIXED.answer.oid, IF_NUMBER, LO_MTU] },
]

async function expected(auth: string[]): Promise<Record<string, number>> {
  const out = await snmpd.snmpget(auth, [
    SNMP_FIXED.answer.oid,
    SNMP_FIXED.nearWrap.oid,
    SNMP_FIXED.gauge.oid,
    IF_NUMBER,
    LO_MTU,
    HR_MEMORY_SIZE,
  ])
  const n = (oid: string) => Number(snmpgetNumber(out, oid))
  return {
    answer: n(SNMP_FIXED.answer.oid),
    nearWrap: n(SNMP_FIXED.nearWrap.oid),
    gauge: n(SNMP_FIXED.gauge.oid),
    ifNumber: n(IF_NUMBER),
    loMtu: n(LO_MTU),
    memory: n(HR_MEMORY_SIZE),
    sum: n(SNMP_FIXED.answer.oid) + n(IF_NUMBER) + n(LO_MTU),
  }
}

describe("SnmpGet against snmpd", () => {
  const sources: SnmpGetSource[] = []
  const track = (s: SnmpGetSource) => (sources.push(s), s)

  beforeAll(async () => {
    if (missingTools(TOOLS).length === 0) await snmpd.start()
  })
  afterAll(async () => {
    for (const s of sources) s.close()
    await snmpd.stop()
  })

  itWithTools(TOOLS, "v2c: values equal snmpget's", async () => {
    const s = track(source({ version: "2c", communityString: SNMP_TEST.community, metrics: stableMetrics }))
    const want = await expected(v2c)
    expect(want.answer).toBe(SNMP_FIXED.answer.value)
    expect(graphite(await s.probe())).toEqual(paths(want))
  })

  itWithTools(TOOLS, "v3 authPriv SHA/AES: values equal snmpget's", async () => {
    const s = track(
      source({
        version: "3",
        user: SNMP_TEST.user,
        authProtocol: "SHA",
        authKey: SNMP_TEST.authKey,
        privProtocol: "AES",
        privKey: SNMP_TEST.privKey,
        metrics: stableMetrics,
      }),
    )
    expect(graphite(await s.probe())).toEqual(paths(await expected(v3)))
  })

  itWithTools(TOOLS, "v1 (the original's default version) reads the same values", async () => {
    const s = track(source({ communityString: SNMP_TEST.community, metrics: stableMetrics.filter((m) => m.name !== "gauge") }))
    const { gauge: _, ...want } = await expected(v2c)
    expect(graphite(await s.probe())).toEqual(paths(want))
  })

  itWithTools(TOOLS, "a Counter64 read raw lies between two snmpget reads", async () => {
    const s = track(source({ version: "2c", communityString: SNMP_TEST.community, metrics: [{ name: "octets", oids: [LO_HC_IN_OCTETS] }] }))
    const before = snmpgetNumber(await snmpd.snmpget(v2c, [LO_HC_IN_OCTETS]), LO_HC_IN_OCTETS)
    const sets = await s.probe()
    const after = snmpgetNumber(await snmpd.snmpget(v2c, [LO_HC_IN_OCTETS]), LO_HC_IN_OCTETS)
    const value = graphite(sets)[path("octets")]!
    expect(value).toBeGreaterThanOrEqual(Number(before))
    expect(value).toBeLessThanOrEqual(Number(after))
    expect(sets[0]!.kind).toBe("counter")
  })

  itWithTools(TOOLS, "rate mode: nothing on the first probe, then per-second rates", async () => {
    const metrics = [
      // sysUpTime counts hundredths of a second on the agent's clock: its rate is ~100 whatever the load.
      { name: "uptimeTicks", oids: [SYS_UPTIME], mode: "rate" },
      { name: "throughput", oids: [LO_HC_IN_OCTETS], mode: "rate" },
      { name: "answer", oids: [SNMP_FIXED.answer.oid] },
    ]
    const s = track(source({ version: "2c", communityString: SNMP_TEST.community, metrics }))
    const before = snmpgetNumber(await snmpd.snmpget(v2c, [LO_HC_IN_OCTETS]), LO_HC_IN_OCTETS)
    expect(graphite(await s.probe())).toEqual({ [path("answer")]: 42 })
    const gapStart = performance.now()
    await Bun.sleep(1000)
    const gapMs = performance.now() - gapStart
    const second = await s.probe()
    const after = snmpgetNumber(await snmpd.snmpget(v2c, [LO_HC_IN_OCTETS]), LO_HC_IN_OCTETS)
    const values = graphite(second)
    expect(values[path("uptimeTicks")]).toBeGreaterThan(50)
    expect(values[path("uptimeTicks")]).toBeLessThan(150)
    // snmpd caches interface counters for a few seconds, so lo's octets may not have moved yet.
    expect(values[path("throughput")]).toBeGreaterThanOrEqual(0)
    expect(values[path("throughput")]).toBeLessThanOrEqual((Number(after - before) * 1000) / gapMs)
    expect(second.find((set) => set.values[0]!.name === "throughput")!.unit).toBe("per_second")
  })

  itWithTools(TOOLS, "symbolic OIDs go through snmpget, which resolves the MIB", async () => {
    const mibs = tempDir("pollect-mibs-")
    writeFileSync(
      join(mibs, "POLLECT-TEST-MIB.txt"),
      [
        "POLLECT-TEST-MIB DEFINITIONS ::= BEGIN",
        "pollectTest OBJECT IDENTIFIER ::= { iso 3 6 1 4 1 8072 9999 }",
        "pollectCounter OBJECT IDENTIFIER ::= { pollectTest 2 }",
        "pollectAnswer OBJECT IDENTIFIER ::= { pollectTest 3 }",
        "END",
        "",
      ].join("\n"),
    )
    const metrics = [
      { name: "answer", oids: ["POLLECT-TEST-MIB::pollectAnswer.0"] },
      { name: "mixed", oids: ["POLLECT-TEST-MIB::pollectCounter.0", IF_NUMBER] },
      { name: "unknown", oids: ["POLLECT-TEST-MIB::noSuchName.0"] },
    ]
    for (const auth of [
      { version: "2c", communityString: SNMP_TEST.community },
      { version: "3", user: SNMP_TEST.user, authKey: SNMP_TEST.authKey, privKey: SNMP_TEST.privKey },
    ]) {
      const lines: string[] = []
      const s = makeSource<SnmpGetSource>(SnmpGetSource, {
        type: "SnmpGet",
        host: "127.0.0.1",
        port: snmpd.port,
        timeout: 5,
        mibDirs: [mibs],
        metrics,
        ...auth,
      })
      ;(s.ctx as { log: unknown }).log = createLogger({ write: (line) => lines.push(line) })
      track(s)
      const want = await expected(v2c)
      expect(graphite(await s.probe())).toEqual(paths({ answer: 42, mixed: SNMP_FIXED.nearWrap.value + want.ifNumber! }))
      expect(lines.join("\n")).toContain('metric "unknown" failed: snmpget: POLLECT-TEST-MIB::noSuchName.0: Unknown Object Identifier')
      expect(lines.join("\n")).not.toContain(SNMP_TEST.community)
      expect(lines.join("\n")).not.toContain(SNMP_TEST.privKey)
    }
  })

  itWithTools(TOOLS, "noSuchObject fails its metric only; the others are emitted; all failing fails the probe", async () => {
    const s = track(
      source({
        version: "2c",
        communityString: SNMP_TEST.community,
        metrics: [
          { name: "missing", oids: [MISSING] },
          { name: "answer", oids: [SNMP_FIXED.answer.oid] },
        ],
      }),
    )
    expect(graphite(await s.probe())).toEqual({ [path("answer")]: 42 })
    const all = track(
      source({
        version: "2c",
        communityString: SNMP_TEST.community,
        metrics: [
          { name: "missing", oids: [MISSING] },
          { name: "instance", oids: ["1.3.6.1.2.1.1.3.1"] },
        ],
      }),
    )
    const error = (await all.probe().catch((e: Error) => e)) as Error
    expect(error.message).toBe(
      `metric "missing": ${MISSING}: noSuchObject (the agent does not implement this OID); metric "instance": 1.3.6.1.2.1.1.3.1: noSuchInstance (no value at this index)`,
    )
    const v1 = track(source({ communityString: SNMP_TEST.community, metrics: [{ name: "missing", oids: [MISSING] }] }))
    expect(((await v1.probe().catch((e: Error) => e)) as Error).message).toBe(
      `metric "missing": noSuchName (the agent has no value at this OID): ${MISSING}`,
    )
  })

  itWithTools(TOOLS, "no agent on the port: a clear timeout, without the community", async () => {
    const port = await freeUdpPort()
    const s = track(
      makeSource<SnmpGetSource>(SnmpGetSource, {
        type: "SnmpGet",
        host: "127.0.0.1",
        port,
        version: "2c",
        communityString: SNMP_TEST.community,
        timeout: 1,
        retries: 0,
        metrics: [{ name: "x", oids: [IF_NUMBER] }],
      }),
    )
    const error = (await s.probe().catch((e: Error) => e)) as Error
    expect(error.message).toMatch(new RegExp(`^metric "x": no SNMP response from 127\\.0\\.0\\.1:${port} \\(1 try of 900 ms`))
    // A wrong community is silently dropped by the agent: the same error, and never the secret.
    const wrong = track(
      source({ version: "2c", communityString: "not-the-community", timeout: 1, retries: 0, metrics: [{ name: "x", oids: [IF_NUMBER] }] }),
    )
    const wrongError = (await wrong.probe().catch((e: Error) => e)) as Error
    expect(wrongError.message).toContain("no SNMP response")
    expect(wrongError.message).not.toContain("not-the-community")
  })

  itWithTools(TOOLS, "1.2's range: IF-MIB::ifInOctets.${if} over 1..N gives one series per interface, labelled", async () => {
    // Debian ships no IF-MIB (non-free snmp-mibs-downloader): a stub that names the column is enough for snmpget.
    const mibs = tempDir("pollect-if-mib-")
    writeFileSync(
      join(mibs, "IF-MIB.txt"),
      [
        "IF-MIB DEFINITIONS ::= BEGIN",
        "ifEntry OBJECT IDENTIFIER ::= { iso 3 6 1 2 1 2 2 1 }",
        "ifDescr OBJECT IDENTIFIER ::= { ifEntry 2 }",
        "ifInOctets OBJECT IDENTIFIER ::= { ifEntry 10 }",
        "END",
        "",
      ].join("\n"),
    )
    const count = Number(snmpgetNumber(await snmpd.snmpget(v2c, [IF_NUMBER]), IF_NUMBER))
    expect(count).toBeGreaterThanOrEqual(1)
    const indexes = Array.from({ length: count }, (_, i) => i + 1)
    const s = track(
      makeSource<SnmpGetSource>(SnmpGetSource, {
        type: "SnmpGet",
        // 1.2 has no port key: the port rides in host.
        host: `127.0.0.1:${snmpd.port}`,
        port: 9, // ignored: host has a port
        timeout: 5,
        snmpVersion: 2,
        communityString: SNMP_TEST.community,
        mibDirs: [mibs],
        metrics: [
          {
            name: "ifInOctets",
            oid: "IF-MIB::ifInOctets.${if}",
            range: { from: 1, to: count, label: "if" },
            oidLabels: { ifDescr: "IF-MIB::ifDescr.${if}" },
          },
          { name: "inRate", oid: "1.3.6.1.2.1.2.2.1.10.${if}", mode: "rate", range: { from: 1, to: count, label: "if" } },
        ],
      }),
    )
    const before = await snmpd.snmpget(
      v2c,
      indexes.map((i) => `1.3.6.1.2.1.2.2.1.10.${i}`),
    )
    const first = await s.probe()
    const after = await snmpd.snmpget(
      v2c,
      indexes.map((i) => `1.3.6.1.2.1.2.2.1.10.${i}`),
    )
    expect(first.map((set) => set.values[0]!.name)).toEqual(["ifInOctets"]) // the rate has no baseline yet
    const [set] = first
    expect(set!.labels).toEqual(["if", "ifDescr"])
    expect(set!.values.map((value) => value.labelValues[0])).toEqual(indexes.map(String))
    expect(set!.values[0]!.labelValues[1]).toBe("lo")
    for (const [i, value] of set!.values.entries()) {
      const oid = `1.3.6.1.2.1.2.2.1.10.${i + 1}`
      expect(value.value).toBeGreaterThanOrEqual(Number(snmpgetNumber(before, oid)))
      expect(value.value).toBeLessThanOrEqual(Number(snmpgetNumber(after, oid)))
    }
    await Bun.sleep(50)
    const rates = (await s.probe()).find((x) => x.values[0]!.name === "inRate")!
    expect(rates.labels).toEqual(["if"])
    expect(rates.values.map((value) => value.labelValues)).toEqual(indexes.map((i) => [String(i)]))
    for (const value of rates.values) {
      // octets per second of snmpd's own interfaces (lo and the test box's): finite, not
      // negative, below 10 GB/s
      expect(Number.isFinite(value.value)).toBe(true)
      expect(value.value).toBeGreaterThanOrEqual(0)
      expect(value.value).toBeLessThan(1e10)
    }
  })

  itWithTools(TOOLS, "v3 with 1.2's key names (snmpVersion, username, authPassPhrase, privacyPassPhrase, ...)", async () => {
    const s = track(
      makeSource<SnmpGetSource>(SnmpGetSource, {
        type: "SnmpGet",
        host: `127.0.0.1:${snmpd.port}`,
        timeout: 5,
        snmpVersion: 3,
        username: SNMP_TEST.user,
        authPassPhrase: SNMP_TEST.authKey,
        authProtocol: "SHA",
        privacyPassPhrase: SNMP_TEST.privKey,
        privacyProtocol: "AES",
        metrics: [
          { name: "answer", oid: `iso.${SNMP_FIXED.answer.oid.slice(2)}` },
          { name: "mtu", oid: "1.3.6.1.2.1.2.2.1.4.${if}", range: { from: 1, to: 1, label: "if" } },
        ],
      }),
    )
    const sets = await s.probe()
    expect(graphite(sets)).toEqual({
      [path("answer")]: 42,
      [path("mtu.1")]: Number(snmpgetNumber(await snmpd.snmpget(v3, [LO_MTU]), LO_MTU)),
    })
  })

  itWithTools([...TOOLS, "promtool"], "promtool check metrics passes on its snake_case output", async () => {
    const s = track(
      source({
        version: "2c",
        communityString: SNMP_TEST.community,
        metrics: [
          ...stableMetrics,
          { name: "throughput", oids: [LO_HC_IN_OCTETS], mode: "rate" },
          { name: "octets", oids: [LO_HC_IN_OCTETS] },
        ],
      }),
    )
    await s.probe()
    await Bun.sleep(50)
    const result = resultOf(await s.probe(), { collection: "slowData", type: "SnmpGet", name: "Procurve" })
    const text = snakeCaseExposition(result)
    expect(text).toContain("slow_data_snmp_get_procurve_throughput_per_second ")
    expect(text).toContain("slow_data_snmp_get_procurve_octets_total ")
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})
