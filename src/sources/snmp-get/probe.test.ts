/**
 * SnmpGet's probe logic without snmpd: the source against FakeSnmpAgent (net-snmp's Agent on a
 * loopback UDP port, real SNMP packets), and SnmpSession's deadline handling against a port
 * where nobody answers. The integration test runs the same logic against a real snmpd.
 */
import { afterEach, beforeEach, describe, expect, it } from "bun:test"
import { createSocket, type Socket } from "node:dgram"
import * as v from "valibot"
import { FakeSnmpAgent } from "./fake-agent.ts"
import { checkV3, SnmpGetSource } from "./index.ts"
import { SnmpSession, type SnmpTarget } from "./session.ts"
import { counterBits } from "./value.ts"
import { makeSource } from "../../../test/helpers/context.ts"

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
