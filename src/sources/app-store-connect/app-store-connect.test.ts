import { afterAll, beforeAll, describe, expect, it, setSystemTime } from "bun:test"
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair } from "jose"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { graphitePath, promName, type ProbeResult } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl, serveFake } from "../../../test/helpers/fake-server.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { salesTsv, startFakeAsc } from "./fake-server.ts"
import { AppStoreConnectSource, decodeReport, reportDateFor } from "./index.ts"
import { isDownload, parseSalesReport, SalesReportError } from "./sales-report.ts"

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

/** A gzip body of `text` (or of raw bytes). */
const gzip = (data: string | Uint8Array<ArrayBuffer>) =>
  new Uint8Array(Bun.gzipSync(typeof data === "string" ? new TextEncoder().encode(data) : data)) as Uint8Array<ArrayBuffer>

describe("sales report parsing: edge cases", () => {
  it("every first-time download product type of Apple's reference counts as a download, others do not", () => {
    for (const type of ["1", "1F", "1T", "F1", "1E", "1EP", "1EU", "1-B", "F1-B"]) expect([type, isDownload(type)]).toEqual([type, true])
    for (const type of ["7F", "3F", "IA1", "IAY", "", "1 F"]) expect([type, isDownload(type)]).toEqual([type, false])
  })

  it("an empty text or a header without rows is an empty report, whatever its columns", () => {
    expect(parseSalesReport("")).toEqual(new Map())
    expect(parseSalesReport("\n\n")).toEqual(new Map())
    expect(parseSalesReport("Provider\tTitle\n")).toEqual(new Map())
  })

  it("blank lines (spaces or tabs only) are skipped; header cells, SKUs and types are trimmed; SKU may be the first column", () => {
    const text = " SKU \t Units\t Product Type Identifier \r\n com.a \t5\t 1F \n \t \n\ncom.a\t2\tIA1\r\n   \n"
    expect(parseSalesReport(text)).toEqual(new Map([["com.a", { units: 7, downloads: 5 }]]))
  })

  it("a row shorter than the header: no SKU is an error naming the row, no type counts nothing", () => {
    expect(parseSalesReport("SKU\tUnits\tProduct Type Identifier\ncom.a\t3\n")).toEqual(new Map([["com.a", { units: 0, downloads: 0 }]]))
    const short = "Units\tProduct Type Identifier\tSKU\n1\t1F\tcom.a\n2\t1F\n"
    expect(() => parseSalesReport(short)).toThrow(SalesReportError)
    expect(() => parseSalesReport(short)).toThrow("sales report row 3 has no SKU or a non-numeric Units value")
  })

  it("a non-numeric Units value is an error naming the row", () => {
    const text = "SKU\tUnits\tProduct Type Identifier\ncom.a\t1\t1F\ncom.a\tmany\t1F\n"
    expect(() => parseSalesReport(text)).toThrow(new SalesReportError("sales report row 3 has no SKU or a non-numeric Units value"))
  })

  it("a missing column lists the first 12 columns found", () => {
    const header = Array.from({ length: 14 }, (_, i) => `C${i}`).join("\t")
    expect(() => parseSalesReport(`${header}\tSKU\n1\n`)).toThrow(
      'sales report has no column "Product Type Identifier" (columns: C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11)',
    )
  })

  it("the report date is zero-padded", () => {
    expect(reportDateFor(new Date(2026, 2, 2, 10))).toBe("2026-03-01")
    expect(reportDateFor(new Date(2026, 9, 11, 0, 30))).toBe("2026-10-10")
  })
})

describe("decodeReport: what Apple must send", () => {
  it("needs both gzip magic bytes", () => {
    const good = gzip("Provider\tSKU\n")
    expect(() => decodeReport(new Uint8Array([0x1f, 0x00, ...good.slice(2)]))).toThrow(/not gzip data/)
    expect(() => decodeReport(new Uint8Array([0x00, 0x8b, ...good.slice(2)]))).toThrow(/not gzip data/)
  })

  it("damaged gzip or text that is not UTF-8 is a damaged report", () => {
    expect(() => decodeReport(new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]))).toThrow(
      "App Store Connect sent a damaged gzip sales report",
    )
    const latin1 = new Uint8Array([...new TextEncoder().encode("Provider\tSKU\tTitle\nAPPLE\tx\t"), 0xe9, 0x0a])
    expect(() => decodeReport(gzip(latin1))).toThrow("App Store Connect sent a damaged gzip sales report")
  })

  it("the first line must start with Provider or hold a SKU column", () => {
    expect(decodeReport(gzip("Provider\tTitle\n"))).toBe("Provider\tTitle\n")
    expect(decodeReport(gzip("Vendor\tSKU\tUnits\nx\ty\t1\n"))).toBe("Vendor\tSKU\tUnits\nx\ty\t1\n")
    for (const text of ["<html>maintenance</html>", "Vendor\tUnits\nx\tSKU\t1\n", "", "SKU\tUnits\n"])
      expect(() => decodeReport(gzip(text))).toThrow("App Store Connect sent a sales report without the expected header row")
  })
})

describe("AppStoreConnect: tokens, keys and Apple's errors", () => {
  it("the JWT is Apple's: ES256 with kid and typ JWT, 20 minutes long, reused for 15 minutes", async () => {
    const src = source()
    const t0 = new Date("2026-05-01T10:00:00Z")
    try {
      setSystemTime(t0)
      const first = await src.token()
      expect(decodeProtectedHeader(first)).toEqual({ alg: "ES256", kid: KEY_ID, typ: "JWT" })
      const claims = decodeJwt(first)
      expect(claims).toEqual({ iss: ISSUER, aud: "appstoreconnect-v1", iat: t0.getTime() / 1000, exp: t0.getTime() / 1000 + 1200 })
      setSystemTime(new Date(t0.getTime() + 14 * 60_000 + 59_000))
      expect(await src.token()).toBe(first)
      setSystemTime(new Date(t0.getTime() + 15 * 60_000))
      const second = await src.token()
      expect(second).not.toBe(first)
      expect(decodeJwt(second).iat).toBe(t0.getTime() / 1000 + 900)
      setSystemTime(new Date(t0.getTime() + 20 * 60_000))
      expect(await src.token()).toBe(second)
    } finally {
      setSystemTime()
    }
  })

  it("the key is read once: a keyFile removed after the first token does not matter; whitespace around the PEM is fine", async () => {
    const dir = tempDir("pollect-asc-key-")
    const { privateKey } = await generateKeyPair("ES256", { extractable: true })
    writeFileSync(join(dir, "k.p8"), `\n  ${await exportPKCS8(privateKey)}  \n\n`)
    const src = makeSource<AppStoreConnectSource>(
      AppStoreConnectSource,
      { keyId: KEY_ID, keyFile: "k.p8", issuerId: ISSUER, vendorNumber: VENDOR, apiUrl: fake.url },
      { configDir: dir },
    )
    const t0 = new Date("2026-05-01T10:00:00Z")
    try {
      setSystemTime(t0)
      await src.token()
      rmSync(join(dir, "k.p8"))
      setSystemTime(new Date(t0.getTime() + 16 * 60_000))
      expect(decodeProtectedHeader(await src.token()).kid).toBe(KEY_ID)
    } finally {
      setSystemTime()
    }
  })

  it("defaults: reports in <configDir>/db, report version 1_0; a trailing slash of apiUrl is fine; a day without a report is logged", async () => {
    fake.state.reports.set(yesterday(), "not-yet")
    const log: string[] = []
    const noReport = makeSource<AppStoreConnectSource>(
      AppStoreConnectSource,
      { keyId: KEY_ID, keyFile: "AuthKey.p8", issuerId: ISSUER, vendorNumber: VENDOR, apiUrl: `${fake.url}/` },
      { configDir, log },
    )
    expect(await noReport.probe()).toBeNull()
    expect(log.some((line) => line.endsWith(`AppStoreConnect: no sales report for ${yesterday()} yet`))).toBe(true)
    expect(fake.state.lastQuery?.get("filter[version]")).toBe("1_0")
    expect(noReport.reportPath("2026-01-02")).toBe(join(configDir, "db", `report_${VENDOR}_2026-01-02.tsv`))
  })

  it("an apiUrl with a path (a gateway in front of Apple) keeps it, with or without a trailing slash", async () => {
    const gateway = serveFake((_request, url) =>
      url.pathname === "/asc/v1/salesReports"
        ? Response.json({ errors: [{ status: "404", detail: "There were no sales for the date specified." }] }, { status: 404 })
        : new Response("wrong path", { status: 500 }),
    )
    try {
      expect(await source({ apiUrl: `${gateway.url}/asc/` }).probe()).toBeNull()
      expect(await source({ apiUrl: `${gateway.url}/asc` }).probe()).toBeNull()
      expect(gateway.requests.map((r) => r.path)).toEqual(["/asc/v1/salesReports", "/asc/v1/salesReports"])
    } finally {
      await gateway.stop()
    }
  })

  it("a 404 that is not about the report (a wrong path) fails the probe with Apple's detail", async () => {
    fake.state.reports.set(yesterday(), "not-yet")
    await expect(source({ apiUrl: `${fake.url}/wrong` }).probe()).rejects.toThrow(
      `App Store Connect answered 404 for the ${yesterday()} sales report: The path provided does not match a defined resource type.`,
    )
  })

  it("a 403 names Apple's detail", async () => {
    await expect(source({ vendorNumber: "1" }).probe()).rejects.toThrow(
      "App Store Connect refused the sales report (403): the API key needs the Sales or Finance role (You are not permitted to download reports for this vendor number.)",
    )
  })

  it("answers without Apple's JSON error body (a proxy's HTML, nothing) fail with the status alone; only a 404 is 'no report yet'", async () => {
    const replies: Record<string, [number, string]> = {
      "/401": [401, "<html>Unauthorized</html>"],
      "/403": [403, ""],
      "/502": [502, "<html>Bad Gateway</html>"],
      "/400": [400, JSON.stringify({ errors: [{ status: "400", code: "X", detail: "Report is not available yet." }] })],
    }
    const proxy = serveFake((_request, url) => {
      const [status, body] = replies[url.pathname.replace("/v1/salesReports", "")]!
      return new Response(body, { status })
    })
    try {
      const error = (prefix: string) =>
        source({ apiUrl: `${proxy.url}${prefix}` })
          .probe()
          .then(
            () => "no error",
            (e: Error) => e.message,
          )
      expect(await error("/401")).toBe("App Store Connect rejected the API key (401): check keyId, issuerId and keyFile")
      expect(await error("/403")).toBe("App Store Connect refused the sales report (403): the API key needs the Sales or Finance role")
      expect(await error("/502")).toBe(`App Store Connect answered 502 for the ${yesterday()} sales report`)
      expect(await error("/400")).toBe(`App Store Connect answered 400 for the ${yesterday()} sales report: Report is not available yet.`)
    } finally {
      await proxy.stop()
    }
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    const doc = { kind: "sources" as const, type: "AppStoreConnect", aliases: [], cls: AppStoreConnectSource, dir: import.meta.dir, readme }
    expect(regenerated(doc, text)).toBe(text)
  })
})
