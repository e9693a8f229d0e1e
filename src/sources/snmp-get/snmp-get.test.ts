import { describe, expect, it } from "bun:test"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { toJsonSchema } from "@valibot/to-json-schema"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { optionWarnings } from "../../lib/options/option-warning.ts"
import { oidsOf } from "./options.ts"
import { resolveConfig } from "../../config/index.ts"
import { parseConfigText } from "../../config/load.ts"
import { graphitePath, promLabels, promName } from "../../core/naming.ts"
import { Registry } from "../../core/registry.ts"
import { ValueSet } from "../../core/value-set.ts"
import { FakeSnmpAgent } from "./fake-agent.ts"
import { agentAddress, checkV3, SnmpGetSource } from "./index.ts"
import { pythonFloatText } from "./value.ts"
import { metrics } from "./metrics.ts"
import type { GoldenCase } from "../../../test/conformance/golden.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { freeUdpPort } from "../../../test/helpers/snmpd.ts"

const fixtures = join(import.meta.dir, "testdata")
const registry = () => new Registry().addSources({ SnmpGet: SnmpGetSource })

/**
 * A golden case: testdata/<case>/replay.json lists the probes, each with the recorded snmpget
 * output the fake agent answers with and the time (ms) the rate clock shows. config.json has
 * no port: the source is pointed at the fake agent's.
 */
async function replay(testCase: GoldenCase) {
  const { probes } = JSON.parse(readFileSync(join(testCase.dir, "replay.json"), "utf8")) as {
    probes: { atMs: number; answers: string }[]
  }
  const agent = await FakeSnmpAgent.start(String(testCase.config.communityString ?? "public"))
  const clock = { now: 0 }
  const source = makeSource<SnmpGetSource>(SnmpGetSource, { ...testCase.config, port: agent.port }, { clock })
  try {
    const results: ValueSet[][] = []
    for (const probe of probes) {
      agent.serve(readFileSync(join(testCase.dir, probe.answers), "utf8"))
      clock.now = probe.atMs
      results.push(await source.probe())
    }
    return results
  } finally {
    source.close()
    await agent.close()
  }
}

/** No agent listens on this loopback port (picked in setup); one short try. */
const silent: Record<string, unknown> = {
  type: "SnmpGet",
  host: "127.0.0.1",
  version: "2c",
  retries: 0,
  timeout: 0.5,
  metrics: [{ name: "uptime", oids: ["1.3.6.1.2.1.1.3.0"] }],
}

sourceConformance({
  type: "SnmpGet",
  cls: SnmpGetSource,
  dir: import.meta.dir,
  golden: replay,
  failing: {
    config: silent,
    setup: async () => {
      silent.port = await freeUdpPort()
    },
    message:
      /^metric "uptime": no SNMP response from 127\.0\.0\.1:\d+ \(1 try of \d+ ms; wrong host, port, community or v3 credentials\?\)$/,
  },
})

describe("SnmpGet golden cases", () => {
  it("a failing metric is logged and left out, the others are reported (testdata/raw)", async () => {
    const agent = await FakeSnmpAgent.start("public")
    agent.serve(readFileSync(join(fixtures, "raw/snmpget-v2c.txt"), "utf8"))
    const config = JSON.parse(readFileSync(join(fixtures, "raw/config.json"), "utf8")) as Record<string, unknown>
    const lines: string[] = []
    const source = makeSource<SnmpGetSource>(SnmpGetSource, { ...config, port: agent.port }, { log: lines })
    try {
      const sets = await source.probe()
      expect(sets.map((set) => [set.values[0]!.name, set.spec])).toEqual([
        ["uptime", metrics.gauge],
        ["octets", metrics.counter],
        ["ifNumber", metrics.gauge],
        ["upPlusUsers", metrics.gauge],
      ])
      const warnings = lines.filter((line) => line.includes("WARN"))
      expect(warnings).toHaveLength(3)
      expect(warnings[0]).toContain(
        '127.0.0.1: metric "description" failed: 1.3.6.1.2.1.1.1.0: value is a string, not a number ("pollect test agent")',
      )
      expect(warnings[1]).toContain('metric "missing" failed: 1.3.6.1.2.1.1.99.0: noSuchObject (the agent does not implement this OID)')
      expect(warnings[2]).toContain('metric "noInstance" failed: 1.3.6.1.2.1.1.3.1: noSuchInstance (no value at this index)')
    } finally {
      source.close()
      await agent.close()
    }
  })
})

/** `name{a="1",b="x"}` → the series names with their labels (sorted), no values. */
function seriesOf(exposition: string): string[] {
  return exposition
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => line.replace(/ [^ ]+$/, ""))
    .sort()
}

describe("SnmpGet as the Python pollect 1.2 configures it", () => {
  const py12 = join(fixtures, "python-1.2")

  it("a range config gives 1.2's series names and labels (testdata/python-1.2, replayed on testdata/range)", async () => {
    const config = JSON.parse(readFileSync(join(py12, "pollect-1.2.json"), "utf8")) as {
      executors: { collection: string; sources: Record<string, unknown>[] }[]
    }
    const {
      host: _host,
      snmpVersion: _v,
      username: _u,
      authPassPhrase: _a,
      privacyPassPhrase: _p,
      ...entry
    } = config.executors[0]!.sources[0]!
    const agent = await FakeSnmpAgent.start("public")
    const clock = { now: 0 }
    // The fake agent speaks v1/v2c only: same metrics, community instead of v3; the port in `host`, as 1.2 takes it.
    const source = makeSource<SnmpGetSource>(SnmpGetSource, { ...entry, host: `127.0.0.1:${agent.port}`, snmpVersion: "2c" }, { clock })
    try {
      agent.serve(readFileSync(join(fixtures, "range/snmpget-1.txt"), "utf8"))
      const first = await source.probe()
      expect(first.map((set) => set.values[0]!.name)).toEqual(["mtu", "mtuByType"]) // a rate gives nothing on the first probe
      agent.serve(readFileSync(join(fixtures, "range/snmpget-2.txt"), "utf8"))
      clock.now = 6010
      const sets = await source.probe()
      const result = resultOf(sets, { collection: "pollect", type: "SnmpGet", name: "router" })
      const ours = sets.flatMap((set) =>
        set.values.map((value) => {
          const labels = Object.entries(promLabels(result, set, value)).map(([k, text]) => `${k}="${text}"`)
          return `${promName(result, set, value, "pollect")}{${labels.join(",")}}`
        }),
      )
      const theirs = seriesOf(readFileSync(join(py12, "metrics.txt"), "utf8")).filter((line) => line.startsWith("pollect_"))
      // 1.2's writer gives up on mtuByType after its first series (a float label); every other series is the same.
      expect(theirs).toEqual(
        ours.filter((line) => !line.startsWith('pollect_SnmpGet_router_mtuByType{if="') || line.includes('if="1"')).sort(),
      )
      expect(ours).toContain('pollect_SnmpGet_router_mtuByType{if="4",type="6.0"}')
    } finally {
      source.close()
      await agent.close()
    }
  })

  it("takes the Python pollect 1.2 README's sample (YAML, v3, a range) as written", async () => {
    const sample = await Bun.file(join(fixtures, "readme-1.2-sample.yml")).text()
    // The sample is one source's mapping: made the only item of an executor's sources.
    const item = sample.replace(/^(?=.)/gm, "        ").replace(/^ {8}/, "      - ")
    const text = `executors:\n  - collection: slowData\n    sources:\n${item}`
    const config = await resolveConfig(parseConfigText(text, "config.yml"), registry(), {
      env: { AUTH_PASS: "auth-pass-1", PRIV_PASS: "priv-pass-1" },
    })
    const source = config.executors[0]!.sources[0]!
    expect(source.config).toMatchObject({
      host: "10.1.100.1",
      snmpVersion: "3",
      username: "test",
      authPassPhrase: "auth-pass-1",
      privacyPassPhrase: "priv-pass-1",
      metrics: [
        { name: "throughput", mode: "rate", oid: "iso.3.6.1.2.1.16.1.1.1.4.1" },
        { name: "interface_link_state", oid: "iso.3.6.1.2.1.2.2.1.5.${if}", range: { from: 1, to: 10, label: "if" } },
      ],
    })
    expect(config.warnings.filter((w) => w.includes("unknown key"))).toEqual([])
    expect(config.warnings.join("\n")).toContain("privacyProtocol: SHA is not a privacy protocol")
  })

  it("`pollect check` passes the 1.2 README's sample", async () => {
    const sample = await Bun.file(join(fixtures, "readme-1.2-sample.yml")).text()
    const item = sample.replace(/^(?=.)/gm, "        ").replace(/^ {8}/, "      - ")
    const file = join(tempDir("pollect-snmp-check-"), "config.yml")
    writeFileSync(file, `executors:\n  - collection: slowData\n    sources:\n${item}`)
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "../../main.ts"), "check", "--config", file], {
      env: { ...process.env, AUTH_PASS: "auth-pass-1", PRIV_PASS: "priv-pass-1" },
      stdout: "pipe",
      stderr: "pipe",
    })
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    expect({ code, out, unknownKeys: err.includes("unknown key") }).toEqual({
      code: 0,
      out: `${file}: OK (1 executor(s), 1 source(s))\n`,
      unknownKeys: false,
    })
  })

  it("leaves the range's ${label} to the source, substitutes the environment around it, and reports an unset variable elsewhere", async () => {
    const entry = (oid: string, extra: Record<string, unknown> = {}) => ({
      executors: [
        { sources: [{ type: "SnmpGet", host: "h", metrics: [{ name: "x", oid, range: { from: 1, to: 2, label: "if" } }], ...extra }] },
      ],
    })
    const env = { BASE: "1.3.6.1.2.1.2.2.1" }
    const ok = await resolveConfig(entry("${BASE}.10.${if}"), registry(), { env })
    expect((ok.executors[0]!.sources[0]!.config as unknown as { metrics: { oid: string }[] }).metrics[0]!.oid).toBe(
      "1.3.6.1.2.1.2.2.1.10.${if}",
    )
    const error = await resolveConfig(entry("${BASE}.10.${if}", { communityString: "${NOT_SET}" }), registry(), { env }).catch(
      (e: Error) => e,
    )
    expect(String(error)).toContain("communityString: environment variable NOT_SET is not set")
    const inOid = await resolveConfig(entry("${NOT_SET}.10.${if}"), registry(), { env }).catch((e: Error) => e)
    expect(String(inOid)).toContain("metrics[0].oid: environment variable NOT_SET is not set")
    expect(String(inOid)).not.toContain("variable if ")
  })

  it("rejects a metric with both or neither of oid and oids, and a backwards range, by path", async () => {
    const text = JSON.stringify({
      executors: [
        {
          sources: [
            {
              type: "SnmpGet",
              host: "h",
              metrics: [
                { name: "both", oid: "1.3", oids: ["1.3"] },
                { name: "neither" },
                { name: "backwards", oid: "1.3.${i}", range: { from: 5, to: 1, label: "i" } },
              ],
            },
          ],
        },
      ],
    })
    const error = String(await resolveConfig(JSON.parse(text), registry()).catch((e: Error) => e))
    expect(error).toContain("metrics[0]: give either `oid` (one OID) or `oids` (summed)")
    expect(error).toContain("metrics[1]: give either `oid`")
    expect(error).toContain("metrics[2].range: `to` is below `from`")
  })

  it("takes a port in host as snmpget does", () => {
    expect(agentAddress("127.0.0.1:1161", 161)).toEqual({ host: "127.0.0.1", port: 1161 })
    expect(agentAddress("udp:router.lan:1162", 161)).toEqual({ host: "router.lan", port: 1162 })
    expect(agentAddress("[::1]:1161", 161)).toEqual({ host: "::1", port: 1161 })
    expect(agentAddress("udp6:[fe80::1]", 161)).toEqual({ host: "fe80::1", port: 161 })
    expect(agentAddress("fe80::1", 161)).toEqual({ host: "fe80::1", port: 161 })
    expect(agentAddress("10.1.100.1", 162)).toEqual({ host: "10.1.100.1", port: 162 })
  })

  it("writes numbers read for labels as Python's str(float) does", () => {
    expect(["24.0", "0.5", "1e+16", "1.5e-05", "0.0001", "1.8446744073709552e+19", "-3.0"]).toEqual(
      [24, 0.5, 1e16, 1.5e-5, 0.0001, 2 ** 64, -3].map(pythonFloatText),
    )
  })
})

describe("SnmpGet config", () => {
  it("takes the original README's sample (with its // comments) as written", async () => {
    const sample = await Bun.file(join(fixtures, "readme-sample.jsonc")).text()
    const text = `{\n  "executors": [{ "collection": "slowData", "tickTime": 120, "sources": [\n${sample}\n  ] }]\n}`
    const config = await resolveConfig(parseConfigText(text, "config.json"), registry())
    const source = config.executors[0]!.sources[0]!
    expect(source.type).toBe("SnmpGet")
    expect(source.config).toMatchObject({
      host: "10.1.100.1",
      port: 161,
      communityString: "public",
      retries: 1,
      metrics: [{ oids: ["iso.3.6.1.2.1.16.1.1.1.4.1"], name: "throughput", mode: "rate" }],
    })
    expect(config.warnings.filter((w) => w.includes("unknown key"))).toEqual([])
  })

  it("takes the seed's pollect.json SnmpGet executor as written", async () => {
    const text = await Bun.file(join(fixtures, "seed-pollect-json-executor.json")).text()
    const config = await resolveConfig(parseConfigText(text, "pollect.json"), registry())
    expect((config.executors[0]!.sources[0]!.config as unknown as { metrics: unknown[] }).metrics).toHaveLength(1)
  })

  it("names values as the original did", () => {
    const set = new ValueSet([], { unit: "per_second" }).add(12.5, [], "throughput")
    const result = resultOf([set], { collection: "slowData", type: "SnmpGet", name: "Procurve" })
    expect(graphitePath(result, set.values[0]!)).toBe("slowData.snmpget.Procurve.throughput")
    expect(promName(result, set, set.values[0]!, "pollect")).toBe("slowData_SnmpGet_Procurve_throughput")
    expect(promName(result, set, set.values[0]!, "snake_case")).toBe("slow_data_snmp_get_procurve_throughput_per_second")
  })

  it("the declared metrics keep those names (rate, raw counters, raw gauges)", () => {
    const named = (spec: (typeof metrics)[keyof typeof metrics], name: string) => {
      const set = new ValueSet(spec).add(1, [], name)
      const result = resultOf([set], { collection: "slowData", type: "SnmpGet", name: "Procurve" })
      return [
        graphitePath(result, set.values[0]!),
        promName(result, set, set.values[0]!, "pollect"),
        promName(result, set, set.values[0]!, "snake_case"),
      ]
    }
    expect(named(metrics.rate, "throughput")).toEqual([
      "slowData.snmpget.Procurve.throughput",
      "slowData_SnmpGet_Procurve_throughput",
      "slow_data_snmp_get_procurve_throughput_per_second",
    ])
    expect(named(metrics.counter, "octets")).toEqual([
      "slowData.snmpget.Procurve.octets",
      "slowData_SnmpGet_Procurve_octets",
      "slow_data_snmp_get_procurve_octets_total",
    ])
    expect(named(metrics.gauge, "temperature")).toEqual([
      "slowData.snmpget.Procurve.temperature",
      "slowData_SnmpGet_Procurve_temperature",
      "slow_data_snmp_get_procurve_temperature",
    ])
  })

  it("reports bad options by path", async () => {
    const text = JSON.stringify({
      executors: [{ sources: [{ type: "SnmpGet", host: "h", version: "4", metrics: [{ oids: "1.3", name: "x" }] }] }],
    })
    const error = await resolveConfig(JSON.parse(text), registry()).catch((e: Error) => e)
    expect(String(error)).toContain("executors[0].sources[0] (SnmpGet): version")
    expect(String(error)).toContain("metrics[0].oids")
  })

  it("accepts versions as numbers and the newer Python pollect's v3 key names", () => {
    const parse = (input: Record<string, unknown>) =>
      v.parse(SnmpGetSource.options, { host: "h", metrics: [{ oids: ["1.3"], name: "x" }], ...input }) as Record<string, unknown>
    expect(parse({ version: 2 }).version).toBe("2c")
    expect(parse({ version: "2C" }).version).toBe("2c")
    expect(parse({ snmpVersion: 3, authProtocol: "sha256", privacyProtocol: "aes" })).toMatchObject({
      snmpVersion: "3",
      authProtocol: "SHA-256",
      privacyProtocol: "AES",
    })
    expect(parse({}).version).toBeUndefined() // the source then uses "1", as the original did
  })
})

describe("SnmpGet options", () => {
  const metric = { oids: ["1.3"], name: "x" }
  const problems = (input: Record<string, unknown>, metrics: Record<string, unknown>[] = [metric]) =>
    (v.safeParse(SnmpGetSource.options, { host: "h", metrics, ...input }).issues ?? []).map((issue) => issue.message)
  const parse = (input: Record<string, unknown>) => v.parse(SnmpGetSource.options, { host: "h", metrics: [metric], ...input })
  const range = (r: Record<string, unknown>) => problems({}, [{ name: "x", oid: "1.3.${i}", range: { label: "i", ...r } }])

  it("defaults: port 161, community public, retries 1, no extra MIB folders", () => {
    expect(parse({})).toMatchObject({ port: 161, communityString: "public", retries: 1, mibDirs: [] })
  })

  it("versions 1, 2c and 3; the security levels by name", () => {
    expect([1, "1", 2, "2c", 3, "3"].map((version) => parse({ version }).version)).toEqual(["1", "1", "2c", "2c", "3", "3"])
    for (const securityLevel of ["noAuthNoPriv", "authNoPriv", "authPriv"] as const)
      expect(parse({ securityLevel }).securityLevel).toBe(securityLevel)
  })

  it("protocol names: case, spaces and the dash of SHA-<n> do not matter; anything else is refused as given", () => {
    expect(parse({ authProtocol: " sha-512 ", privProtocol: " des " })).toMatchObject({ authProtocol: "SHA-512", privProtocol: "DES" })
    for (const given of ["HMAC-SHA256", "SHA256-HMAC"])
      expect(problems({ authProtocol: given })).toEqual([
        `Invalid type: Expected ("MD5" | "SHA" | "SHA-224" | "SHA-256" | "SHA-384" | "SHA-512") but received "${given}"`,
      ])
  })

  it("a range: a label name, one number at least, at most 10000", () => {
    expect(range({ from: 1, to: 1 })).toEqual([])
    expect(range({ from: 0, to: 9999 })).toEqual([])
    expect(range({ from: 6000, to: 6001 })).toEqual([])
    expect(range({ from: 0, to: 10000 })).toEqual(["a range has at most 10000 numbers"])
    for (const label of ["1if", "if-x", "if x", ""])
      expect(range({ from: 1, to: 2, label })).toEqual(["a label name: letters, digits and _, not starting with a digit"])
    expect(range({ from: 1, to: 2, label: "_if2" })).toEqual([])
  })

  it("the range's label cannot be an oidLabels key too", () => {
    expect(problems({}, [{ name: "x", oid: "1.3.${i}", range: { from: 1, to: 2, label: "i" }, oidLabels: { i: "1.4.${i}" } }])).toEqual([
      "the range's label is an `oidLabels` key too",
    ])
  })

  it("warns when no OID of a range's metric has its placeholder", () => {
    const warnings = (m: Record<string, unknown>) => {
      const input = { host: "h", metrics: [{ name: "x", range: { from: 1, to: 2, label: "if" }, ...m }] }
      return optionWarnings(SnmpGetSource.options, v.parse(SnmpGetSource.options, input)).map((w) => w.message)
    }
    expect(warnings({ oid: "1.3.6.1.2.1.2.2.1.10.1" })).toEqual(["the OID has no ${if}: every number of the range reads the same OID"])
    expect(warnings({ oids: ["1.3.6.1.2.1.2.2.1.10.${if}", "1.3.6.1.2.1.2.1.0"] })).toEqual([])
    expect(warnings({ oid: "1.3.6.1.2.1.2.2.1.10.${if}" })).toEqual([])
  })

  it("a range's metric with neither oid nor oids is refused, not a crash; oidsOf gives no OID for it", () => {
    expect(problems({}, [{ name: "x", range: { from: 1, to: 2, label: "if" } }])).toEqual([
      "give either `oid` (one OID) or `oids` (summed), not both, not neither",
    ])
    expect(oidsOf({})).toStrictEqual([])
    expect(oidsOf({ oid: "1.3" })).toEqual(["1.3"])
    expect(oidsOf({ oids: ["1.3", "1.4"] })).toEqual(["1.3", "1.4"])
  })

  it("every option, the metrics' keys included, has a description (the README and `pollect schema` show them)", () => {
    const missing: string[] = []
    const walk = (node: Record<string, unknown>, path: string) => {
      for (const [key, prop] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (!(typeof prop.description === "string" && prop.description.length > 0)) missing.push(`${path}${key}`)
        walk(prop, `${path}${key}.`)
        if (prop.items) walk(prop.items as Record<string, unknown>, `${path}${key}[].`)
      }
    }
    walk(toJsonSchema(SnmpGetSource.options, { errorMode: "ignore", typeMode: "input" }) as Record<string, unknown>, "")
    expect(missing).toEqual([])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "SnmpGet", aliases: [], cls: SnmpGetSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})

describe("SNMPv3 checks", () => {
  const base = { host: "h", port: 161, community: "public", retries: 1, timeoutMs: 1000 }
  it("names what is missing", () => {
    expect(checkV3({ ...base, version: "2c" })).toBeUndefined()
    expect(checkV3({ ...base, version: "3" })).toContain("user")
    expect(checkV3({ ...base, version: "3", user: "u", authKey: "short" })).toContain("authKey")
    expect(checkV3({ ...base, version: "3", user: "u", securityLevel: "authPriv", authKey: "longenough" })).toContain("privKey")
    expect(checkV3({ ...base, version: "3", user: "u", authKey: "longenough", privKey: "longenough" })).toBeUndefined()
  })
})
