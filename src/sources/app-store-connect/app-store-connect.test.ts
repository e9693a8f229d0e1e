import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { exportPKCS8, generateKeyPair } from "jose"
import { graphitePath, promName, type ProbeResult } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { salesTsv, startFakeAsc } from "./fake-server.ts"
import { AppStoreConnectSource, decodeReport, reportDateFor } from "./index.ts"
import { parseSalesReport } from "./sales-report.ts"

const KEY_ID = "ABC123DEFG"
const ISSUER = "57246542-96fe-1a63-e053-0824d011072a"
const VENDOR = "88222333"

/** The golden cases' clock: they replay the report of 2026-03-01 ("yesterday", local time, so UTC). */
const GOLDEN_NOW = new Date("2026-03-02T12:00:00Z")

/** A config folder holding a new ES256 key as `file`; the public key for the fake. */
async function keyFolder(file: string) {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true })
  const dir = tempDir("pollect-asc-")
  writeFileSync(join(dir, file), await exportPKCS8(privateKey))
  return { publicKey, dir }
}

const failing: Record<string, unknown> = { type: "AppStoreConnect", keyId: KEY_ID, issuerId: ISSUER, vendorNumber: VENDOR }

sourceConformance({
  type: "AppStoreConnect",
  cls: AppStoreConnectSource,
  dir: import.meta.dir,
  golden: (testCase) =>
    atFixedTime(GOLDEN_NOW, async () => {
      let api: ReturnType<typeof startFakeAsc> | undefined
      try {
        const key = await keyFolder(testCase.config.keyFile as string)
        // A case without report.tsv is a day Apple has no report for yet.
        const report = join(testCase.dir, "report.tsv")
        api = startFakeAsc({
          publicKey: key.publicKey,
          keyId: testCase.config.keyId as string,
          issuerId: testCase.config.issuerId as string,
          vendorNumber: String(testCase.config.vendorNumber),
          reports: { [reportDateFor(GOLDEN_NOW)]: existsSync(report) ? readFileSync(report, "utf8") : "not-yet" },
        })
        const config = { ...testCase.config, apiUrl: api.url }
        return [await makeSource<AppStoreConnectSource>(AppStoreConnectSource, config, { configDir: key.dir }).probe()]
      } finally {
        await api?.stop()
      }
    }),
  failing: {
    config: failing,
    // The API is down: a closed loopback port.
    setup: async () => {
      const down = { url: await downServerUrl() }
      const key = await keyFolder("AuthKey.p8")
      Object.assign(failing, { keyFile: join(key.dir, "AuthKey.p8"), dbDir: join(key.dir, "db"), apiUrl: down.url })
    },
    message: /Unable to connect/,
  },
})

let fake: ReturnType<typeof startFakeAsc>
let configDir: string
let otherKeyPem: string

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true })
  const other = await generateKeyPair("ES256", { extractable: true })
  otherKeyPem = await exportPKCS8(other.privateKey)
  configDir = tempDir("pollect-asc-")
  writeFileSync(join(configDir, "AuthKey.p8"), await exportPKCS8(privateKey))
  writeFileSync(join(configDir, "wrong.p8"), otherKeyPem)
  fake = startFakeAsc({ publicKey, keyId: KEY_ID, issuerId: ISSUER, vendorNumber: VENDOR })
})
afterAll(() => fake?.stop())

const yesterday = () => reportDateFor(new Date())
const source = (extra: Record<string, unknown> = {}, dir = tempDir("pollect-asc-db-")) =>
  makeSource<AppStoreConnectSource>(
    AppStoreConnectSource,
    {
      keyId: KEY_ID,
      keyFile: "AuthKey.p8",
      issuerId: ISSUER,
      vendorNumber: Number(VENDOR),
      dbDir: join(dir, "db"),
      apiUrl: fake.url,
      ...extra,
    },
    { configDir },
  )
/** SKU (Graphite level) → value of the values named `name`: `pollect.appstoreconnect.<name>[.<sku>]`. */
const byName = (probe: ProbeResult, name: string) => {
  const prefix = `pollect.appstoreconnect.${name}`
  return Object.fromEntries(
    [...byGraphitePath(probe, "AppStoreConnect")]
      .filter(([path]) => path === prefix || path.startsWith(`${prefix}.`))
      .map(([path, value]) => [path.slice(prefix.length + 1), value]),
  )
}

const REPORT = salesTsv([
  { sku: "com.example.app", type: "1F", units: 12 },
  { sku: "com.example.app", type: "1F", units: 3 },
  { sku: "com.example.app", type: "7F", units: 40 },
  { sku: "com.example.app", type: "3F", units: 5 },
  { sku: "com.example.app", type: "1T", units: 2 },
  { sku: "com.example.pro", type: "IA1", units: 4 },
  { sku: "com.example.mac", type: "F1", units: 6 },
])

describe("sales report parsing (pure)", () => {
  it("counts units as the original (1F + IA1) and downloads of all download types", () => {
    const parsed = parseSalesReport(REPORT)
    expect(parsed.get("com.example.app")).toEqual({ units: 15, downloads: 17 })
    expect(parsed.get("com.example.pro")).toEqual({ units: 4, downloads: 0 })
    expect(parsed.get("com.example.mac")).toEqual({ units: 0, downloads: 6 })
  })
  it("names a missing column", () => {
    expect(() => parseSalesReport("Provider\tSKU\tUnits\nAPPLE\tx\t1\n")).toThrow(/no column "Product Type Identifier"/)
  })
  it("rejects bodies that are not gzip", () => {
    expect(() => decodeReport(new TextEncoder().encode("<html>"))).toThrow(/not gzip/)
  })
  it("asks for yesterday in local time", () => {
    expect(reportDateFor(new Date(2026, 0, 1, 10))).toBe("2025-12-31")
  })
})

describe("AppStoreConnect against the fake API", () => {
  it("downloads yesterday's report with a valid ES256 token and caches it", async () => {
    fake.state.reports.set(yesterday(), REPORT)
    const dir = tempDir("pollect-asc-db-")
    const src = source({}, dir)
    const before = fake.state.downloads
    const sets = (await src.probe())!
    expect(fake.state.downloads).toBe(before + 1)
    expect(byName(sets, "units")).toEqual({ com_example_app: 15, com_example_pro: 4, com_example_mac: 0 })
    expect(byName(sets, "downloads")).toEqual({ com_example_app: 17, com_example_pro: 0, com_example_mac: 6 })
    const [y, m, d] = yesterday().split("-").map(Number) as [number, number, number]
    expect(byName(sets, "latestUpdate")[""]).toBe(new Date(y, m - 1, d).getTime() / 1000)

    // the fake verified signature, kid, issuer and audience; the claims are Apple's
    const claims = fake.state.lastClaims!
    expect(claims.aud).toBe("appstoreconnect-v1")
    expect(claims.iss).toBe(ISSUER)
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(1200)
    expect(fake.state.lastQuery?.get("filter[vendorNumber]")).toBe(VENDOR)
    expect(fake.state.lastQuery?.get("filter[reportDate]")).toBe(yesterday())

    expect(existsSync(join(dir, "db", `report_${VENDOR}_${yesterday()}.tsv`))).toBe(true)
    // second probe: served from dbDir, no new download; also a fresh source instance (restart)
    const again = (await src.probe())!
    expect(byName(again, "units")).toEqual(byName(sets, "units"))
    await source({}, dir).probe()
    expect(fake.state.downloads).toBe(before + 1)
    expect(readdirSync(join(dir, "db")).filter((f) => f.endsWith(".tmp"))).toEqual([])
  })

  it("keeps the original's names (Graphite and Prometheus)", async () => {
    fake.state.reports.set(yesterday(), REPORT)
    const sets = (await source().probe())!
    const result = resultOf(sets, { type: "AppStoreConnect" })
    const units = result.sets[0]!
    expect(graphitePath(result, units.values[0]!)).toBe("pollect.appstoreconnect.units.com_example_app")
    expect(promName(result, units, units.values[0]!, "pollect")).toBe("pollect_AppStoreConnect_units")
    const meta = result.sets[2]!
    expect(promName(result, meta, meta.values[0]!, "pollect")).toBe("pollect_AppStoreConnect_latestUpdate")
    expect(promName(result, meta, meta.values[0]!, "snake_case")).toBe("pollect_app_store_connect_latest_update_seconds")
  })

  it("a wrong key is a clear 401 error without key material", async () => {
    fake.state.reports.set(yesterday(), REPORT)
    const error = await source({ keyFile: "wrong.p8" })
      .probe()
      .then(
        () => null,
        (e: Error) => e,
      )
    expect(error?.message).toMatch(/rejected the API key \(401 NOT_AUTHORIZED\)/)
    expect(error?.message).not.toContain("PRIVATE KEY")
    expect(error?.message).not.toContain(otherKeyPem.split("\n")[1]!.slice(0, 20))
  })

  it("an unreadable or malformed keyFile names the file, not its content", async () => {
    await expect(source({ keyFile: "missing.p8" }).probe()).rejects.toThrow(/cannot read keyFile .*missing\.p8: ENOENT/)
    writeFileSync(join(configDir, "bad.p8"), "-----BEGIN PRIVATE KEY-----\nnotakey\n-----END PRIVATE KEY-----\n")
    const error = await source({ keyFile: "bad.p8" })
      .probe()
      .then(
        () => null,
        (e: Error) => e,
      )
    expect(error?.message).toMatch(/is not an App Store Connect API key/)
    expect(error?.message).not.toContain("notakey")
  })

  it("a day without a report (404) is no error and is asked again on the next probe", async () => {
    fake.state.reports.set(yesterday(), "not-yet")
    const dir = tempDir("pollect-asc-db-")
    const src = source({}, dir)
    const requests = fake.state.requests
    expect(await src.probe()).toBeNull()
    fake.state.reports.set(yesterday(), "no-sales")
    expect(await src.probe()).toBeNull()
    expect(fake.state.requests).toBe(requests + 2)
    expect(existsSync(join(dir, "db", `report_${VENDOR}_${yesterday()}.tsv`))).toBe(false)
    // the report lands: the next probe has it
    fake.state.reports.set(yesterday(), REPORT)
    expect(byName((await src.probe())!, "units").com_example_app).toBe(15)
  })

  it("a 500 or garbage fails that probe clearly; the next probe recovers", async () => {
    fake.state.reports.set(yesterday(), REPORT)
    const src = source()
    fake.state.failNext = 1
    await expect(src.probe()).rejects.toThrow(/answered 500 .*unexpected error occurred on the server side/)
    fake.state.garbageNext = 1
    await expect(src.probe()).rejects.toThrow(/not gzip data/)
    expect(byName((await src.probe())!, "units").com_example_app).toBe(15)
  })

  it("a vendor number the key may not read is a clear 403", async () => {
    await expect(source({ vendorNumber: "1" }).probe()).rejects.toThrow(/403.*Sales or Finance role/)
  })

  itWithTools(["promtool"], "promtool check metrics is clean on the snake_case output", async () => {
    fake.state.reports.set(yesterday(), REPORT)
    const result = resultOf((await source({}).probe())!, { type: "AppStoreConnect", labels: { team: "main" } })
    const text = snakeCaseExposition(result)
    expect(text).toContain('pollect_app_store_connect_downloads{sku="com.example.app",team="main"} 17')
    const verdict = await promtoolCheck(text)
    expect(verdict).toEqual({ code: 0, output: "" })
  })
})
