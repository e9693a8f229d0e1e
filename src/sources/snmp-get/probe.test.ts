/**
 * SnmpGet's probe logic without snmpd: the source against FakeSnmpAgent (net-snmp's Agent on a
 * loopback UDP port, real SNMP packets), and SnmpSession's deadline handling against a port
 * where nobody answers. The integration test runs the same logic against a real snmpd.
 */
import { afterEach, beforeEach, describe, expect, it } from "bun:test"
import { createSocket, type Socket } from "node:dgram"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { FakeSnmpAgent } from "./fake-agent.ts"
import type { SourceContext } from "../../core/plugin.ts"
import type { SpawnResult } from "../../core/spawn.ts"
import { agentAddress, checkV3, SnmpGetSource } from "./index.ts"
import { SnmpSession, type SnmpTarget } from "./session.ts"
import { counterBits } from "./value.ts"
import { makeSource, tempDir } from "../../../test/helpers/context.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

const IF_IN = "1.3.6.1.2.1.2.2.1.10"

/** `snmpget -On -Oe` lines: ifInOctets.<n> = Counter32 for each [n, value]. */
const counters = (pairs: [number, number][]) => pairs.map(([n, value]) => `.${IF_IN}.${n} = Counter32: ${value}`).join("\n")

describe("SnmpGet probe against a fake agent", () => {
  let agent: FakeSnmpAgent
  beforeEach(async () => {
    agent = await FakeSnmpAgent.start("public")
  })
  afterEach(async () => {
    await agent.close()
  })

  const source = (metrics: Record<string, unknown>[], log?: string[]) =>
    makeSource<SnmpGetSource>(
      SnmpGetSource,
      { type: "SnmpGet", host: "127.0.0.1", port: agent.port, version: "2c", retries: 0, timeout: 2, metrics },
      { log },
    )

  it("every metric failing fails the probe, naming each metric and its OID", async () => {
    agent.serve(`.1.3.6.1.2.1.1.1.0 = STRING: "router"\n.1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID`)
    const s = source([
      { name: "descr", oid: "1.3.6.1.2.1.1.1.0" },
      { name: "missing", oid: "1.3.6.1.2.1.1.99.0" },
    ])
    try {
      const error = (await s.probe().catch((e: Error) => e)) as Error
      expect(error).toBeInstanceOf(Error)
      expect(error.message).toBe(
        'metric "descr": 1.3.6.1.2.1.1.1.0: value is a string, not a number ("router"); ' +
          'metric "missing": 1.3.6.1.2.1.1.99.0: noSuchObject (the agent does not implement this OID)',
      )
    } finally {
      s.close()
    }
  })

  it("one metric of two failing: the probe gives the other", async () => {
    agent.serve(
      `.1.3.6.1.2.1.1.3.0 = Timeticks: (4200) 0:00:42.00\n.1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID`,
    )
    const s = source([
      { name: "uptime", oid: "1.3.6.1.2.1.1.3.0" },
      { name: "missing", oid: "1.3.6.1.2.1.1.99.0" },
    ])
    try {
      const sets = await s.probe()
      expect(sets.flatMap((set) => set.values.map((value) => [value.name, value.value]))).toEqual([["uptime", 4200]])
    } finally {
      s.close()
    }
  })

  it("reads a range of 70 numbers (more than one GET holds) in chunks, every value in place", async () => {
    const pairs = Array.from({ length: 70 }, (_, i) => [i + 1, 1000 + i] as [number, number])
    agent.serve(counters(pairs))
    const s = source([{ name: "in", oid: `${IF_IN}.\${if}`, range: { from: 1, to: 70, label: "if" } }])
    try {
      const [set] = await s.probe()
      expect(set!.values.map((value) => [value.labelValues[0], value.value])).toEqual(pairs.map(([n, value]) => [String(n), value]))
    } finally {
      s.close()
    }
  })

  it("a range's numbers without a value are left out and logged once; their return is logged once", async () => {
    const lines: string[] = []
    const s = source([{ name: "in", oid: `${IF_IN}.\${if}`, range: { from: 1, to: 3, label: "if" } }], lines)
    const missing = `.${IF_IN}.3 = No Such Instance currently exists at this OID`
    try {
      agent.serve(
        `${counters([
          [1, 10],
          [2, 20],
        ])}\n${missing}`,
      )
      for (let i = 0; i < 2; i++) {
        const [set] = await s.probe()
        expect(set!.values.map((value) => value.labelValues[0])).toEqual(["1", "2"])
      }
      const warnings = lines.filter((line) => line.includes("WARN"))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(`127.0.0.1: metric "in" failed: if 3 left out: ${IF_IN}.3: noSuchInstance (no value at this index)`)
      agent.serve(
        counters([
          [1, 11],
          [2, 21],
          [3, 31],
        ]),
      )
      const [set] = await s.probe()
      expect(set!.values.map((value) => [value.labelValues[0], value.value])).toEqual([
        ["1", 11],
        ["2", 21],
        ["3", 31],
      ])
      expect(lines.filter((line) => line.includes('metric "in" recovered'))).toHaveLength(1)
    } finally {
      s.close()
    }
  })

  it("a metric summing a Counter32 and a Counter64 is a counter; one with an INTEGER among them a gauge", async () => {
    agent.serve(`.${IF_IN}.1 = Counter32: 5\n.1.3.6.1.2.1.31.1.1.1.6.1 = Counter64: 9007199254740993\n.1.3.6.1.2.1.2.1.0 = INTEGER: 2`)
    const s = source([
      { name: "octets", oids: [`${IF_IN}.1`, "1.3.6.1.2.1.31.1.1.1.6.1"] },
      { name: "mixed", oids: [`${IF_IN}.1`, "1.3.6.1.2.1.2.1.0"] },
    ])
    try {
      const sets = await s.probe()
      expect(sets.map((set) => [set.values[0]!.name, set.kind, set.values[0]!.value])).toEqual([
        ["octets", "counter", Number(9007199254740993n + 5n)],
        ["mixed", "gauge", 7],
      ])
    } finally {
      s.close()
    }
  })
})

describe("counter width", () => {
  it("Counter64 wraps at 64 bits; Counter32 and every other type at 32", () => {
    expect(counterBits("Counter64")).toBe(64)
    for (const type of ["Counter32", "Counter", "TimeTicks", "Gauge32", "Integer"]) expect(counterBits(type)).toBe(32)
  })
})

describe("SNMPv3 pass phrases", () => {
  const base = { type: "SnmpGet", host: "h", version: "3", user: "u", metrics: [{ oid: "1.3", name: "x" }] }
  const issues = (input: Record<string, unknown>) =>
    (v.safeParse(SnmpGetSource.options, { ...base, ...input }).issues ?? []).map((issue) => [
      issue.path?.map((p) => p.key).join("."),
      issue.message,
    ])

  it("a 7-character key is a config error by path (never showing the phrase); 8 characters are accepted", () => {
    for (const key of ["authKey", "authPassPhrase", "privKey", "privacyPassPhrase"]) {
      const found = issues({ [key]: "1234567" })
      expect(found).toEqual([[key, "an SNMPv3 pass phrase has at least 8 characters (snmpget and snmpd refuse shorter ones)"]])
      expect(JSON.stringify(found)).not.toContain("1234567")
      expect(issues({ [key]: "12345678" })).toEqual([])
    }
  })

  it("checkV3 draws the line at 8 characters too (a key the level needs but the config lacks)", () => {
    const t = { host: "h", port: 161, community: "public", retries: 1, timeoutMs: 1000, version: "3" as const, user: "u" }
    expect(checkV3({ ...t, securityLevel: "authNoPriv", authKey: "1234567" })).toBe(
      "securityLevel authNoPriv needs `authKey` of at least 8 characters",
    )
    expect(checkV3({ ...t, securityLevel: "authNoPriv", authKey: "12345678" })).toBeUndefined()
    expect(checkV3({ ...t, securityLevel: "authPriv", authKey: "12345678", privKey: "1234567" })).toBe(
      "securityLevel authPriv needs `privKey` of at least 8 characters",
    )
    expect(checkV3({ ...t, securityLevel: "authPriv", authKey: "12345678", privKey: "12345678" })).toBeUndefined()
  })

  it("a level that needs a key the config lacks fails the probe with that message, before anything is sent", async () => {
    const s = makeSource<SnmpGetSource>(SnmpGetSource, { ...base, securityLevel: "authPriv", authKey: "12345678" })
    try {
      await expect(s.probe()).rejects.toThrow("securityLevel authPriv needs `privKey` of at least 8 characters")
    } finally {
      s.close()
    }
  })
})

describe("SnmpSession at the probe deadline", () => {
  let silent: Socket
  let port: number
  beforeEach(async () => {
    // Bound but never answering: requests go out and vanish.
    silent = createSocket("udp4")
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", resolve))
    port = silent.address().port
  })
  afterEach(() => silent.close())

  const target = (): SnmpTarget => ({ host: "127.0.0.1", port, version: "2c", community: "s3cret-community", retries: 0, timeoutMs: 5000 })

  it("an already aborted deadline sends nothing", async () => {
    let received = 0
    silent.on("message", () => received++)
    const session = new SnmpSession(target())
    try {
      await expect(session.get(["1.3.6.1.2.1.1.3.0"], AbortSignal.abort())).rejects.toThrow(
        `SNMP GET to 127.0.0.1:${port} aborted at the probe deadline`,
      )
      await Bun.sleep(50)
      expect(received).toBe(0)
    } finally {
      session.close()
    }
  })

  it("the deadline ends a request the agent never answers, long before the SNMP timeout, without the community", async () => {
    const session = new SnmpSession(target())
    const started = performance.now()
    try {
      const error = (await session.get(["1.3.6.1.2.1.1.3.0"], AbortSignal.timeout(100)).catch((e: Error) => e)) as Error
      expect(error.message).toBe(`no SNMP response from 127.0.0.1:${port} before the probe deadline`)
      expect(performance.now() - started).toBeLessThan(2000)
      expect(error.message).not.toContain("s3cret")
    } finally {
      session.close()
    }
  })

  it("the SNMP timeout (retries + 1 tries) gives a clear message without the community", async () => {
    const session = new SnmpSession({ ...target(), retries: 1, timeoutMs: 100 })
    try {
      const error = (await session.get(["1.3.6.1.2.1.1.3.0"], new AbortController().signal).catch((e: Error) => e)) as Error
      expect(error.message).toBe(
        `no SNMP response from 127.0.0.1:${port} (2 tries of 100 ms; wrong host, port, community or v3 credentials?)`,
      )
    } finally {
      session.close()
    }
  })
})

/**
 * The snmpget binary as the source runs it for symbolic OIDs, stood in for by ctx.spawn: each
 * run's argv and options are kept, and it prints, per symbolic OID it is given, the line a real
 * `snmpget -On -Oe` printed for it (`answers`), in request order. The real binary against the
 * fake agent is the last test here.
 */
function fakeSnmpget(source: SnmpGetSource, answers: (oid: string) => string | undefined, result: Partial<SpawnResult> = {}) {
  const runs: { argv: string[]; options: unknown }[] = []
  const ctx = (source as unknown as { ctx: SourceContext }).ctx
  ctx.spawn = async (argv, options) => {
    runs.push({ argv, options })
    const lines = argv.filter((arg) => arg.includes("::")).map(answers)
    return { exitCode: 0, stderr: "", stdout: lines.filter((line) => line !== undefined).join("\n") + "\n", ...result }
  }
  return runs
}

/** The recorded line of IF-MIB::ifInOctets.<n> (what snmpget -On -Oe prints for it), value 1000 + n. */
const ifInOctets = (oid: string) => {
  const n = /^IF-MIB::ifInOctets\.(\d+)$/.exec(oid)?.[1]
  return n === undefined ? undefined : `.${IF_IN}.${n} = Counter32: ${1000 + Number(n)}`
}

const values = (sets: { values: { name?: string; labelValues: string[]; value: number }[] }[]) =>
  sets.flatMap((set) => set.values.map((value) => [value.name, ...value.labelValues, value.value]))

describe("SnmpGet: symbolic OIDs through snmpget", () => {
  const v3 = { type: "SnmpGet", host: "10.0.0.1", version: "3", user: "u", metrics: [{ name: "in", oid: "IF-MIB::ifInOctets.1" }] }
  const argvOf = async (config: Record<string, unknown>) => {
    const source = makeSource<SnmpGetSource>(SnmpGetSource, config)
    const runs = fakeSnmpget(source, ifInOctets)
    try {
      expect(values(await source.probe())).toEqual([["in", 1001]])
      return runs.map((run) => run.argv)
    } finally {
      source.close()
    }
  }

  it("a metric summing a symbolic and a numeric OID reads one through snmpget, the other through the library", async () => {
    const agent = await FakeSnmpAgent.start("public")
    agent.serve(".1.3.6.1.2.1.2.1.0 = INTEGER: 2")
    const source = makeSource<SnmpGetSource>(SnmpGetSource, {
      type: "SnmpGet",
      host: "127.0.0.1",
      port: agent.port,
      version: "2c",
      metrics: [{ name: "sum", oids: ["IF-MIB::ifInOctets.40", "1.3.6.1.2.1.2.1.0"] }],
    })
    const runs = fakeSnmpget(source, ifInOctets)
    try {
      expect(values(await source.probe())).toEqual([["sum", 1042]])
      // The default timeout (10 s) over retries + 1 tries, a tenth kept back: 4.5 s a try, 5 s for snmpget.
      expect(runs).toEqual([
        {
          argv: [
            "snmpget",
            "-On",
            "-Oe",
            "-Cf",
            "-r",
            "1",
            "-t",
            "5",
            "-v",
            "2c",
            "-c",
            "public",
            `udp:127.0.0.1:${agent.port}`,
            "IF-MIB::ifInOctets.40",
          ],
          options: { packageName: "snmp", timeoutMs: 2 * 4500 + 2000 },
        },
      ])
    } finally {
      source.close()
      await agent.close()
    }
  })

  it("v1 without a version (as 1.2); the timeout and retries set the per-try timeout; extra MIB folders; IPv6", async () => {
    expect(await argvOf({ type: "SnmpGet", host: "10.0.0.1", timeout: 3, retries: 0, metrics: v3.metrics })).toEqual([
      ["snmpget", "-On", "-Oe", "-Cf", "-r", "0", "-t", "3", "-v", "1", "-c", "public", "udp:10.0.0.1:161", "IF-MIB::ifInOctets.1"],
    ])
    const config = {
      type: "SnmpGet",
      host: "[::1]:1161",
      communityString: "c0mmunity",
      timeout: 20,
      retries: 3,
      mibDirs: ["/opt/mibs", "/etc/mibs"],
    }
    expect(await argvOf({ ...config, metrics: v3.metrics })).toEqual([
      [
        "snmpget",
        "-On",
        "-Oe",
        "-Cf",
        "-r",
        "3",
        "-t",
        "5",
        "-M",
        "+/opt/mibs:/etc/mibs",
        "-v",
        "1",
        "-c",
        "c0mmunity",
        "udp6:[::1]:1161",
        "IF-MIB::ifInOctets.1",
      ],
    ])
  })

  it("v3: the security level as the keys allow, the default protocols SHA and AES, the 1.2 key names", async () => {
    const auth = (argv: string[][]) => argv[0]!.slice(argv[0]!.indexOf("-v"), -2)
    expect(auth(await argvOf(v3))).toEqual(["-v", "3", "-l", "noAuthNoPriv", "-u", "u"])
    expect(auth(await argvOf({ ...v3, authKey: "auth-pass-1" }))).toEqual([
      "-v",
      "3",
      "-l",
      "authNoPriv",
      "-u",
      "u",
      "-a",
      "SHA",
      "-A",
      "auth-pass-1",
    ])
    expect(auth(await argvOf({ ...v3, authKey: "auth-pass-1", privKey: "priv-pass-1" }))).toEqual([
      ...["-v", "3", "-l", "authPriv", "-u", "u", "-a", "SHA", "-A", "auth-pass-1", "-x", "AES", "-X", "priv-pass-1"],
    ])
    expect(
      auth(
        await argvOf({
          ...v3,
          user: undefined,
          username: "u1",
          authProtocol: "sha256",
          authPassPhrase: "auth-pass-2",
          privacyProtocol: "DES",
          privacyPassPhrase: "priv-pass-2",
        }),
      ),
    ).toEqual(["-v", "3", "-l", "authPriv", "-u", "u1", "-a", "SHA-256", "-A", "auth-pass-2", "-x", "DES", "-X", "priv-pass-2"])
    expect(
      auth(await argvOf({ ...v3, securityLevel: "authNoPriv", authKey: "auth-pass-1", privKey: "priv-pass-1", privProtocol: "DES" })),
    ).toEqual([...["-v", "3", "-l", "authNoPriv", "-u", "u", "-a", "SHA", "-A", "auth-pass-1"]])
  })

  it("more than 60 symbolic OIDs: one snmpget run per 60, every value in place", async () => {
    for (const count of [60, 61, 120]) {
      const source = makeSource<SnmpGetSource>(SnmpGetSource, {
        type: "SnmpGet",
        host: "10.0.0.1",
        metrics: [{ name: "in", oid: "IF-MIB::ifInOctets.${if}", range: { from: 1, to: count, label: "if" } }],
      })
      const runs = fakeSnmpget(source, ifInOctets)
      try {
        const [set] = await source.probe()
        expect(set!.values.map((value) => [value.labelValues[0], value.value])).toEqual(
          Array.from({ length: count }, (_, i) => [String(i + 1), 1001 + i]),
        )
        expect(runs.map((run) => run.argv.filter((arg) => arg.includes("::")).length)).toEqual(count > 60 ? [60, count - 60] : [60])
      } finally {
        source.close()
      }
    }
  })

  it("snmpget failing, or printing fewer values than asked, fails the metric with its reason", async () => {
    const metrics = [{ name: "in", oids: ["IF-MIB::ifInOctets.1", "IF-MIB::ifInOctets.2"] }]
    const source = makeSource<SnmpGetSource>(SnmpGetSource, { type: "SnmpGet", host: "127.0.0.1", metrics })
    try {
      const stderr = await Bun.file(join(import.meta.dir, "testdata/timeout.stderr")).text()
      fakeSnmpget(source, ifInOctets, { exitCode: 1, stdout: "", stderr })
      await expect(source.probe()).rejects.toThrow(/^metric "in": snmpget: Timeout: No Response from 127\.0\.0\.1:1\.$/)
      fakeSnmpget(source, (oid) => (oid.endsWith(".1") ? ifInOctets(oid) : undefined))
      await expect(source.probe()).rejects.toThrow(/^metric "in": snmpget printed 1 values for 2 OIDs$/)
    } finally {
      source.close()
    }
  })

  itWithTools(["snmpget"], "the real snmpget against the fake agent, a stub MIB naming the OIDs", async () => {
    const mibs = tempDir("pollect-mibs-")
    writeFileSync(
      join(mibs, "IF-MIB.txt"),
      [
        "IF-MIB DEFINITIONS ::= BEGIN",
        "ifEntry OBJECT IDENTIFIER ::= { iso 3 6 1 2 1 2 2 1 }",
        "ifInOctets OBJECT IDENTIFIER ::= { ifEntry 10 }",
        "END",
        "",
      ].join("\n"),
    )
    const agent = await FakeSnmpAgent.start("public")
    agent.serve(
      counters([
        [1, 4391325],
        [2, 7],
      ]),
    )
    const source = makeSource<SnmpGetSource>(SnmpGetSource, {
      type: "SnmpGet",
      host: "127.0.0.1",
      port: agent.port,
      version: "2c",
      retries: 0,
      timeout: 5,
      mibDirs: [mibs],
      metrics: [{ name: "in", oids: ["IF-MIB::ifInOctets.1", "IF-MIB::ifInOctets.2"] }],
    })
    try {
      const [set] = await source.probe()
      expect([set!.kind, set!.values[0]!.value]).toEqual(["counter", 4391332])
    } finally {
      source.close()
      await agent.close()
    }
  })
})

describe("SnmpGet: more of the probe", () => {
  let agent: FakeSnmpAgent
  beforeEach(async () => {
    agent = await FakeSnmpAgent.start("public")
  })
  afterEach(async () => {
    await agent.close()
  })
  const source = (metrics: Record<string, unknown>[], log?: string[], extra: Record<string, unknown> = {}) =>
    makeSource<SnmpGetSource>(
      SnmpGetSource,
      { type: "SnmpGet", host: "127.0.0.1", port: agent.port, version: "2c", retries: 0, timeout: 2, metrics, ...extra },
      { log },
    )

  it("a label read at an OID without a value is empty", async () => {
    agent.serve(`.${IF_IN}.1 = Counter32: 5\n.1.3.6.1.2.1.2.2.1.2.1 = No Such Instance currently exists at this OID`)
    const s = source([
      { name: "in", oid: `${IF_IN}.\${if}`, range: { from: 1, to: 1, label: "if" }, oidLabels: { descr: "1.3.6.1.2.1.2.2.1.2.${if}" } },
    ])
    try {
      expect(values(await s.probe())).toEqual([["in", "1", "", 5]])
    } finally {
      s.close()
    }
  })

  it("an answer with fewer values than OIDs fails the metric: no value in the response", async () => {
    const s = source([{ name: "in", oids: [`${IF_IN}.1`] }])
    ;(s as unknown as { session: { get: () => Promise<unknown[]> } }).session.get = async () => []
    try {
      await expect(s.probe()).rejects.toThrow(`metric "in": ${IF_IN}.1: no value in the response`)
    } finally {
      s.close()
    }
  })

  it("the numbers of a range left out are logged as the first 10 and the count; each metric's own", async () => {
    const lines: string[] = []
    agent.serve(`${counters([[1, 1]])}\n.1.3.6.1.2.1.2.1.0 = INTEGER: 2`)
    const s = source(
      [
        { name: "in", oid: `${IF_IN}.\${if}`, range: { from: 1, to: 13, label: "if" } },
        { name: "same", oid: "1.3.6.1.2.1.2.1.0", range: { from: 1, to: 2, label: "n" } },
      ],
      lines,
    )
    try {
      await s.probe()
      const warnings = lines.filter((line) => line.includes("WARN") || line.includes("recovered"))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain(
        `127.0.0.1: metric "in" failed: if 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ... (12) left out: ${IF_IN}.2: noSuchInstance (no value at this index)`,
      )
    } finally {
      s.close()
    }
  })

  it("a range whose numbers read a counter and an INTEGER is a gauge; integers and a float add up", async () => {
    agent.serve(`${counters([[1, 5]])}\n.${IF_IN}.2 = INTEGER: 7\n.1.3.6.1.2.1.1.1.0 = STRING: "1.5"`)
    const s = source([
      { name: "in", oid: `${IF_IN}.\${if}`, range: { from: 1, to: 2, label: "if" } },
      { name: "sum", oids: [`${IF_IN}.1`, "1.3.6.1.2.1.1.1.0", `${IF_IN}.2`] },
    ])
    try {
      const sets = await s.probe()
      expect(sets.map((set) => set.kind)).toEqual(["gauge", "gauge"])
      expect(values(sets)).toEqual([
        ["in", "1", 5],
        ["in", "2", 7],
        ["sum", 13.5],
      ])
    } finally {
      s.close()
    }
  })

  it("the community and the v3 keys are masked in the log", () => {
    const lines: string[] = []
    // Secrets no other test registers (the log masks every secret registered in the process).
    for (const extra of [
      { communityString: "k7-comm-string" },
      { version: "3", user: "u", authKey: "k7-auth-phrase", privKey: "k7-priv-phrase" },
    ]) {
      const s = source([{ name: "in", oid: "1.3" }], lines, extra)
      ;(s as unknown as { ctx: SourceContext }).ctx.log.warn("secrets: k7-comm-string k7-auth-phrase k7-priv-phrase")
      s.close()
    }
    expect(lines.map((line) => line.replace(/^.*secrets: /, ""))).toEqual(["*** k7-auth-phrase k7-priv-phrase", "*** *** ***"])
  })

  it("close() closes the SNMP session", async () => {
    agent.serve(`${counters([[1, 5]])}`)
    const s = source([{ name: "in", oid: `${IF_IN}.1` }])
    await s.probe()
    const session = (s as unknown as { session: { session?: unknown } }).session
    expect(session.session).toBeDefined()
    s.close()
    expect(session.session).toBeUndefined()
  })
})

describe("SnmpGet: addresses and v3 checks", () => {
  it("the host is trimmed; udp: and udp6: only as a prefix", () => {
    expect(agentAddress(" 10.0.0.1:1161 ", 161)).toEqual({ host: "10.0.0.1", port: 1161 })
    expect(agentAddress("backupudp:1162", 161)).toEqual({ host: "backupudp", port: 1162 })
  })

  it("noAuthNoPriv needs only the user; authNoPriv without authKey is named", () => {
    const t = { host: "h", port: 161, community: "public", retries: 1, timeoutMs: 1000, version: "3" as const, user: "u" }
    expect(checkV3(t)).toBeUndefined()
    expect(checkV3({ ...t, securityLevel: "noAuthNoPriv", authKey: "x" })).toBeUndefined()
    expect(checkV3({ ...t, securityLevel: "authNoPriv" })).toBe("securityLevel authNoPriv needs `authKey` of at least 8 characters")
  })
})
