import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import * as v from "valibot"
import { resolveConfig } from "../../config/index.ts"
import { parseConfigText } from "../../config/load.ts"
import { graphitePath, promName } from "../../core/naming.ts"
import { Registry } from "../../core/registry.ts"
import { ValueSet } from "../../core/value-set.ts"
import { checkV3, SnmpGetSource } from "./index.ts"
import { resultOf } from "../../../test/helpers/context.ts"

const fixtures = join(import.meta.dir, "testdata")
const registry = () => new Registry().addSources({ SnmpGet: SnmpGetSource })

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
