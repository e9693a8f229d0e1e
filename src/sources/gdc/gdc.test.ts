import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { toJsonSchema } from "@valibot/to-json-schema"
import { decodeJwt, exportPKCS8, generateKeyPair } from "jose"
import { graphitePath, promName, type ProbeResult } from "../../api.ts"
import { toValueSets } from "../../core/value-set.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { recordedBucket, startFakeGcs, utf16le } from "./fake-server.ts"
import { GcsClient } from "./gcs.ts"
import { GdcSource } from "./index.ts"
import {
  columnToName,
  decodeReportText,
  PlayReportError,
  parseCrashesByVersion,
  parseCsv,
  parseOverview,
  parseReport,
} from "./play-stats.ts"
import { parseServiceAccountKey, ServiceAccountTokens } from "./service-account.ts"

const BUCKET = "pubsite_prod_rev_01234567890987654321"
const EMAIL = "pollect@api-project-1234.iam.gserviceaccount.com"
const KID = "3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a"
const PKG = "my.app.package"

/** A service-account key file's text, as the Cloud console downloads it. */
const serviceAccountKey = (pem: string, tokenUri: string) =>
  JSON.stringify({
    type: "service_account",
    project_id: "api-project-1234",
    private_key_id: KID,
    private_key: pem,
    client_email: EMAIL,
    client_id: "1234",
    token_uri: tokenUri,
  })

/** A config folder holding a new key pair's key file as `file`; the public key for the fake. */
async function keyFolder(file: string, tokenUri: () => string) {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true })
  const dir = tempDir("pollect-gdc-")
  const pem = await exportPKCS8(privateKey)
  return { publicKey, dir, write: () => writeFileSync(join(dir, file), serviceAccountKey(pem, tokenUri())) }
}

/** The golden cases' clock: their reports end on 2026-03-01 (or earlier); dates are local, so UTC. */
const GOLDEN_NOW = new Date("2026-03-02T12:00:00Z")

const failing: Record<string, unknown> = { type: "Gdc", bucketName: BUCKET, apps: [{ package: PKG }] }

sourceConformance({
  type: "Gdc",
  cls: GdcSource,
  dir: import.meta.dir,
  golden: (testCase) =>
    atFixedTime(GOLDEN_NOW, async () => {
      let gcs: ReturnType<typeof startFakeGcs> | undefined
      try {
        const key = await keyFolder(testCase.config.keyFile as string, () => gcs!.tokenUrl)
        gcs = startFakeGcs({
          publicKey: key.publicKey,
          clientEmail: EMAIL,
          privateKeyId: KID,
          bucket: testCase.config.bucketName as string,
          objects: recordedBucket(testCase.dir),
        })
        key.write()
        const config = { ...testCase.config, storageUrl: gcs.url }
        return [await makeSource<GdcSource>(GdcSource, config, { configDir: key.dir }).probe()]
      } finally {
        await gcs?.stop()
      }
    }),
  failing: {
    config: failing,
    // Google is down: a closed loopback port for the token endpoint and the storage API.
    setup: async () => {
      const down = { url: await downServerUrl() }
      const key = await keyFolder("key.json", () => `${down.url}/token`)
      key.write()
      Object.assign(failing, { keyFile: join(key.dir, "key.json"), storageUrl: down.url })
    },
    message: /Unable to connect/,
  },
})

let fake: ReturnType<typeof startFakeGcs>
let configDir: string
let privatePem: string

const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`
const daysAgo = (n: number) => {
  const d = new Date()
  d.setDate(d.getDate() - n)
  return iso(d)
}
const month = (offset = 0) => {
  const d = new Date()
  const m = new Date(d.getFullYear(), d.getMonth() + offset, 1)
  return `${m.getFullYear()}${String(m.getMonth() + 1).padStart(2, "0")}`
}

const crashesCsv = (day: string, before: string) =>
  "Date,Package Name,App Version Code,Daily Crashes,Daily ANRs\n" + `${before},${PKG},41,9,9\n${day},${PKG},41,3,1\n${day},${PKG},42,7,0\n`
const INSTALLS_HEADER =
  "Date,Package Name,Daily Device Installs,Daily Device Uninstalls,Daily Device Upgrades,Total User Installs,Daily User Installs,Daily User Uninstalls,Active Device Installs,Install events,Update events,Uninstall events"
const installsCsv = (day: string) =>
  `${INSTALLS_HEADER}\n2020-01-01,${PKG},1,1,1,1,1,1,1,1,1,1\n${day},${PKG},25,4,90,15320,21,3,8123,30,95,5\n`
const ratingsCsv = (day: string) =>
  `Date,Package Name,Daily Average Rating,Total Average Rating\n2020-01-01,${PKG},5,4.1\n${day},${PKG},NA,4.37\n`

function putReports(m = month(), day = daysAgo(1)) {
  fake.put(`stats/crashes/crashes_${PKG}_${m}_app_version.csv`, utf16le(crashesCsv(day, "2020-01-01")))
  fake.put(`stats/installs/installs_${PKG}_${m}_overview.csv`, utf16le(installsCsv(day)))
  fake.put(`stats/ratings/ratings_${PKG}_${m}_overview.csv`, utf16le(ratingsCsv(day)))
}

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true })
  privatePem = await exportPKCS8(privateKey)
  const other = await generateKeyPair("RS256", { extractable: true })
  fake = startFakeGcs({ publicKey, clientEmail: EMAIL, privateKeyId: KID, bucket: BUCKET })
  configDir = tempDir("pollect-gdc-")
  writeFileSync(join(configDir, "api-project-1234.json"), serviceAccountKey(privatePem, fake.tokenUrl))
  writeFileSync(join(configDir, "wrong-key.json"), serviceAccountKey(await exportPKCS8(other.privateKey), fake.tokenUrl))
})
afterAll(() => fake?.stop())

const source = (extra: Record<string, unknown> = {}, dir = tempDir("pollect-gdc-db-")) =>
  makeSource<GdcSource>(
    GdcSource,
    {
      bucketName: BUCKET,
      apps: [{ package: PKG, name: "My App" }],
      keyFile: "api-project-1234.json",
      dbDir: join(dir, "db"),
      storageUrl: fake.url,
      ...extra,
    },
    { configDir },
  )
/** Graphite path → value. */
const values = (probe: ProbeResult) => byGraphitePath(probe, "Gdc")

describe("Play Console CSV parsing (pure)", () => {
  it("decodes UTF-16LE with BOM (as Google writes the reports) and UTF-8", () => {
    expect(decodeReportText(utf16le("Date,Package Name\n"))).toBe("Date,Package Name\n")
    expect(decodeReportText(new TextEncoder().encode("\uFEFFDate,x"))).toBe("Date,x")
  })
  it("parses quoted CSV fields", () => {
    expect(parseCsv('a,"b,c","d ""e"""\r\n1,2,3\n')).toEqual([
      ["a", "b,c", 'd "e"'],
      ["1", "2", "3"],
    ])
  })
  it("takes the last day's rows per app version", () => {
    expect(parseCrashesByVersion(crashesCsv("2026-01-09", "2026-01-08"))).toEqual({
      date: "2026-01-09",
      versions: [
        { versionCode: "41", crashes: 3, anrs: 1 },
        { versionCode: "42", crashes: 7, anrs: 0 },
      ],
    })
  })
  it("turns overview columns into values and skips NA", () => {
    expect(parseOverview(ratingsCsv("2026-01-09"), "ratings")).toEqual({ date: "2026-01-09", values: { totalAverageRating: 4.37 } })
    expect(columnToName("Active Device Installs")).toBe("activeDeviceInstalls")
  })
  it("rejects a file that is not a report", () => {
    expect(() => parseOverview("<html>", "x.csv")).toThrow(/x\.csv is not a Play Console report/)
  })
})

describe("Gdc against the fake GCS + OAuth server", () => {
  it("signs in with the service account, downloads the month's reports, reports the original's and new values", async () => {
    putReports()
    const dir = tempDir("pollect-gdc-db-")
    const src = source({}, dir)
    const sets = await src.probe()
    const got = Object.fromEntries(values(sets))
    expect(got).toMatchObject({
      [`pollect.gdc.crashes_${PKG}.41.crash`]: 3,
      [`pollect.gdc.crashes_${PKG}.41.anr`]: 1,
      [`pollect.gdc.crashes_${PKG}.42.crash`]: 7,
      [`pollect.gdc.crashes_${PKG}.42.anr`]: 0,
      "pollect.gdc.dailyDeviceInstalls.My_App": 25,
      "pollect.gdc.activeDeviceInstalls.My_App": 8123,
      "pollect.gdc.totalUserInstalls.My_App": 15320,
      "pollect.gdc.totalAverageRating.My_App": 4.37,
    })
    expect(got["pollect.gdc.dailyAverageRating.My_App"]).toBeUndefined()
    const [y, m, d] = daysAgo(1).split("-").map(Number) as [number, number, number]
    expect(got["pollect.gdc.latestUpdate"]).toBe(new Date(y, m - 1, d).getTime() / 1000)

    // the fake verified the RS256 signature; the claims are Google's
    expect(fake.state.lastClaims).toMatchObject({
      iss: EMAIL,
      aud: fake.tokenUrl,
      scope: "https://www.googleapis.com/auth/devstorage.read_only",
    })
    expect(fake.state.lastKid).toBe(KID)
    // files kept in dbDir, still UTF-16 as downloaded
    const stored = readFileSync(join(dir, "db", `installs_${PKG}_${month()}_overview.csv`))
    expect([stored[0], stored[1]]).toEqual([0xff, 0xfe])
    expect(readdirSync(join(dir, "db")).filter((f) => f.includes(".tmp"))).toEqual([])
  })

  it("keeps the original's names", async () => {
    putReports()
    const result = resultOf(await source().probe(), { type: "Gdc" })
    const crashes = result.sets[0]!
    expect(graphitePath(result, crashes.values[0]!)).toBe("pollect.gdc.crashes_my.app.package.41.crash")
    expect(promName(result, crashes, crashes.values[0]!, "pollect")).toBe("pollect_Gdc_crashes_my_app_package")
    expect(promName(result, result.sets[1]!, result.sets[1]!.values[0]!, "pollect")).toBe("pollect_Gdc_latestUpdate")
  })

  it("downloads a report again only when its generation changed", async () => {
    putReports()
    const name = `stats/installs/installs_${PKG}_${month()}_overview.csv`
    const before = fake.state.downloads.get(name) ?? 0
    const dir = tempDir("pollect-gdc-db-")
    await source({}, dir).probe()
    const src = source({}, dir) // a restart: the index in dbDir remembers the generation
    await src.probe()
    await src.probe()
    expect(fake.state.downloads.get(name)).toBe(before + 1)
    fake.put(name, utf16le(installsCsv(daysAgo(0)).replace(",25,", ",26,")))
    const sets = await src.probe()
    expect(fake.state.downloads.get(name)).toBe(before + 2)
    expect(Object.fromEntries(values(sets))["pollect.gdc.dailyDeviceInstalls.My_App"]).toBe(26)
  })

  it("uses last month's file early in a month, and reports stale crash data as 0", async () => {
    fake.state.objects.clear()
    putReports(month(-1), daysAgo(10))
    const got = Object.fromEntries(values(await source().probe()))
    expect(got[`pollect.gdc.crashes_${PKG}.42.crash`]).toBe(0)
    expect(got["pollect.gdc.dailyDeviceInstalls.My_App"]).toBe(25)
  })

  it("wrong credentials are a clear error without key material", async () => {
    putReports()
    const error = await source({ keyFile: "wrong-key.json" })
      .probe()
      .then(
        () => null,
        (e: Error) => e,
      )
    expect(error?.message).toBe(`Google token endpoint rejected the service account ${EMAIL} (invalid_grant: Invalid JWT Signature.)`)
    await expect(source({ keyFile: "missing.json" }).probe()).rejects.toThrow(/cannot read keyFile .*missing\.json: ENOENT/)
  })

  it("re-authenticates when the token is short-lived or expired early", async () => {
    putReports()
    const src = source()
    fake.state.tokenLifetime = 1 // a token that really expires (the fake enforces it) after 1 s
    await src.probe()
    await src.probe() // within the second: the same token
    expect(src.tokenGrants).toBe(1)
    await Bun.sleep(1100)
    fake.state.tokenLifetime = 3599
    await src.probe() // expired by our own clock: a new grant, no 401 needed
    await src.probe()
    expect(src.tokenGrants).toBe(2)
    fake.expireTokens() // Google says 401 before our clock expected it: renew once and go on
    const requests = fake.state.tokenRequests
    expect(values(await src.probe()).size).toBeGreaterThan(0)
    expect(fake.state.tokenRequests).toBe(requests + 1)
  })

  it("500 or garbage fails the probe clearly; the next probe recovers", async () => {
    putReports()
    const src = source()
    fake.state.failNext = 1
    await expect(src.probe()).rejects.toThrow(
      /Cloud Storage answered 500 to list stats\/crashes\/.* in gs:\/\/pubsite_prod_rev_\d+: Backend Error/,
    )
    fake.state.garbageNext = 1
    await expect(src.probe()).rejects.toThrow(/listing of gs:\/\/.* that is not JSON/)
    expect(values(await src.probe()).size).toBeGreaterThan(0)
  })

  it("a wrong bucket is a clear 404", async () => {
    await expect(source({ bucketName: "pubsite_prod_rev_0" }).probe()).rejects.toThrow(
      /404 .*gs:\/\/pubsite_prod_rev_0: The specified bucket does not exist/,
    )
  })

  it("follows nextPageToken when listing", async () => {
    putReports()
    fake.state.pageSize = 1
    try {
      const account = { client_email: EMAIL, private_key: privatePem, private_key_id: KID }
      const client = new GcsClient(
        fake.url,
        BUCKET,
        new ServiceAccountTokens(account, "https://www.googleapis.com/auth/devstorage.read_only", fake.tokenUrl),
        fetch,
      )
      const names = (await client.list("stats/")).map((o) => o.name)
      expect(names.length).toBe(fake.state.objects.size)
      expect(names.length).toBeGreaterThan(1)
    } finally {
      fake.state.pageSize = 1000
    }
  })

  itWithTools(["promtool"], "promtool check metrics is clean on the snake_case output", async () => {
    putReports()
    const text = snakeCaseExposition(resultOf(await source().probe(), { type: "Gdc" }))
    expect(text).toContain('pollect_gdc_active_device_installs{app="My App"} 8123')
    expect(text).toContain("pollect_gdc_latest_update_seconds ")
    expect(await promtoolCheck(text)).toEqual({ code: 0, output: "" })
  })
})

describe("Gdc: the README's tables", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Gdc", aliases: [], cls: GdcSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})

describe("Gdc: reports, edge by edge (pure)", () => {
  const bytes = (...b: number[]) => new Uint8Array(b)
  it("decodes UTF-16BE and UTF-16LE with a BOM, UTF-16LE without one, UTF-8 with or without", () => {
    expect(decodeReportText(bytes(0xfe, 0xff, 0, 0x44, 0, 0x61))).toBe("Da")
    expect(decodeReportText(bytes(0xff, 0xfe, 0x44, 0, 0x61, 0))).toBe("Da")
    expect(decodeReportText(bytes(0x44, 0, 0x61, 0))).toBe("Da")
    expect(decodeReportText(bytes(0xef, 0xbb, 0xbf, 0x44, 0x61))).toBe("Da")
    expect(decodeReportText(bytes(0x44, 0x61, 0x74, 0x65))).toBe("Date")
    expect(decodeReportText(bytes(0x44, 0))).toBe("D\u0000")
    expect(decodeReportText(bytes(0, 0x44, 0, 0x61))).toBe("\u0000D\u0000a")
  })

  it("CSV: CR or CRLF line ends, a last line without one, empty fields, blank lines dropped", () => {
    expect(parseCsv("a,b\rc,\r\n\n  \n,d")).toEqual([
      ["a", "b"],
      ["c", ""],
      ["", "d"],
    ])
    expect(parseCsv('"x\ny",z')).toEqual([["x\ny", "z"]])
    expect(parseCsv("a,")).toEqual([["a", ""]])
    expect(parseCsv("")).toEqual([])
  })

  it("a report needs Date first (spaces around allowed); short rows read as empty cells", () => {
    const report = parseReport(" Date , Package Name \n2026-01-01,p", "r.csv")
    expect(report).toEqual({ columns: ["Date", "Package Name"], rows: [{ Date: "2026-01-01", "Package Name": "p" }] })
    expect(parseReport("Date,A,B\n2026-01-01", "r.csv").rows).toEqual([{ Date: "2026-01-01", A: "", B: "" }])
    expect(() => parseReport("", "r.csv")).toThrow(new PlayReportError('r.csv is not a Play Console report (no "Date" column first)'))
    expect(() => parseReport("Package Name,Date\n", "r.csv")).toThrow("is not a Play Console report")
  })

  it("column names: words of letters and digits, camel-cased", () => {
    expect(columnToName("Install events")).toBe("installEvents")
    expect(columnToName("  Daily User-Installs (7d) ")).toBe("dailyUserInstalls7d")
    expect(columnToName("ANRs")).toBe("anrs")
  })

  it("the newest day wins whatever the row order; rows need a YYYY-MM-DD date", () => {
    const csv = "Date,Package Name,App Version Code,Daily Crashes,Daily ANRs\n2026-01-09,p,1,1,1\n2026-01-10,p,2,2,2\n2026-01-08,p,3,3,3\n"
    expect(parseCrashesByVersion(csv, "c.csv")).toEqual({ date: "2026-01-10", versions: [{ versionCode: "2", crashes: 2, anrs: 2 }] })
    expect(() => parseCrashesByVersion("Date,Daily Crashes\n2026-1-10,1\nsoon,2\n", "c.csv")).toThrow(
      new PlayReportError("c.csv has no rows with a YYYY-MM-DD date"),
    )
    expect(() => parseCrashesByVersion("Date,Daily Crashes\nx2026-01-10,1\n2026-01-10x,2\n", "c.csv")).toThrow(
      "no rows with a YYYY-MM-DD date",
    )
  })

  it("counts must be numbers: empty, missing or text is an error naming the column", () => {
    const crashes =
      (crashes: string, anrs = "0") =>
      () =>
        parseCrashesByVersion(`Date,App Version Code,Daily Crashes,Daily ANRs\n2026-01-10,1,${crashes},${anrs}\n`, "c.csv")
    expect(crashes("")).toThrow(new PlayReportError('c.csv: "Daily Crashes" is not a number ("")'))
    expect(crashes("many")).toThrow(new PlayReportError('c.csv: "Daily Crashes" is not a number ("many")'))
    expect(crashes("1", "x")).toThrow('"Daily ANRs" is not a number')
    expect(() => parseCrashesByVersion("Date,Daily Crashes\n2026-01-10,1\n", "c.csv")).toThrow(
      new PlayReportError('c.csv: "Daily ANRs" is not a number (undefined)'),
    )
    expect(() => parseCrashesByVersion("Date,Daily Crashes,Daily ANRs\n2026-01-10,1,2\n", "c.csv")).not.toThrow()
    expect(parseCrashesByVersion("Date,Daily Crashes,Daily ANRs\n2026-01-10,1,2\n", "c.csv").versions[0]!.versionCode).toBe("")
  })

  it("overview: Date and Package Name are no values, nor empty, NA or unreadable cells", () => {
    const csv = "Date,Package Name,A,B,C,D,E\n2026-01-10,123,1.5,,NA,abc,Infinity\n"
    expect(parseOverview(csv, "o.csv")).toEqual({ date: "2026-01-10", values: { a: 1.5 } })
  })
})

describe("Gdc: the service account and the storage client (stub fetch)", () => {
  it("a key file must be JSON of a service account with an e-mail and a key", () => {
    expect(() => parseServiceAccountKey("{", "keyFile k.json")).toThrow(
      new Error("keyFile k.json is not JSON (expected a service-account key file)"),
    )
    const problem = 'keyFile k.json is not a service-account key (needs "type": "service_account", client_email and private_key)'
    for (const key of [
      { type: "authorized_user", client_email: "a", private_key: "k" },
      { type: "service_account", private_key: "k" },
      { type: "service_account", client_email: "a" },
      null,
    ])
      expect(() => parseServiceAccountKey(JSON.stringify(key), "keyFile k.json")).toThrow(new Error(problem))
    expect(parseServiceAccountKey(JSON.stringify({ type: "service_account", client_email: "a", private_key: "k" }), "x")).toMatchObject({
      client_email: "a",
    })
  })

  const account = () => ({ client_email: EMAIL, private_key: privatePem, private_key_id: KID })
  /** Tokens whose token endpoint answers `answer`, recording the requests. */
  function tokens(answer: () => Response, key = account()) {
    const calls: RequestInit[] = []
    const t = new ServiceAccountTokens(key, "scope-x", "https://token.example/token")
    const fetchFn = async (_url: string, init: RequestInit = {}) => {
      calls.push(init)
      return answer()
    }
    return { t, calls, fetchFn }
  }

  it("a grant: a signed JWT posted as a form; kept until a tenth of its life (at most 60 s) before it ends", async () => {
    const { t, calls, fetchFn } = tokens(() => Response.json({ access_token: "tok", expires_in: 3600 }))
    expect(await t.accessToken(fetchFn, 1_000_000)).toBe("tok")
    expect(calls[0]!.method).toBe("POST")
    expect(new Headers(calls[0]!.headers).get("content-type")).toBe("application/x-www-form-urlencoded")
    const form = new URLSearchParams(String(calls[0]!.body))
    expect(form.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer")
    const [header, claims] = form
      .get("assertion")!
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()))
    expect(header).toEqual({ alg: "RS256", typ: "JWT", kid: KID })
    expect(claims).toEqual({ scope: "scope-x", iss: EMAIL, aud: "https://token.example/token", iat: 1000, exp: 4600 })
    await t.accessToken(fetchFn, 1_000_000 + 3_540_000 - 1)
    expect([calls.length, t.grants]).toEqual([1, 1])
    await t.accessToken(fetchFn, 1_000_000 + 3_540_000)
    expect([calls.length, t.grants]).toEqual([2, 2])
    const short = tokens(() => Response.json({ access_token: "tok", expires_in: 100 }))
    await short.t.accessToken(short.fetchFn, 0)
    await short.t.accessToken(short.fetchFn, 89_999)
    await short.t.accessToken(short.fetchFn, 90_000)
    expect(short.calls.length).toBe(2)
    const noKid = tokens(() => Response.json({ access_token: "tok", expires_in: 100 }), {
      client_email: EMAIL,
      private_key: privatePem,
    } as never)
    await noKid.t.accessToken(noKid.fetchFn, 0)
    const assertion = new URLSearchParams(String(noKid.calls[0]!.body)).get("assertion")!
    expect(JSON.parse(Buffer.from(assertion.split(".")[0]!, "base64url").toString())).toEqual({ alg: "RS256", typ: "JWT" })
  })

  it("a refused grant names the service account and Google's reason; an odd answer says so", async () => {
    const refused = (answer: () => Response) => {
      const { t, fetchFn } = tokens(answer)
      return t.accessToken(fetchFn, 0).catch((error: Error) => error.message)
    }
    const prefix = `Google token endpoint rejected the service account ${EMAIL}`
    expect(await refused(() => Response.json({ error: "invalid_grant", error_description: "Bad." }, { status: 400 }))).toBe(
      `${prefix} (invalid_grant: Bad.)`,
    )
    expect(await refused(() => Response.json({ error: "invalid_grant", error_description: 5 }, { status: 400 }))).toBe(
      `${prefix} (invalid_grant)`,
    )
    expect(await refused(() => Response.json({ error: 5 }, { status: 403 }))).toBe(`${prefix} (HTTP 403)`)
    expect(await refused(() => new Response("<html>", { status: 502 }))).toBe(`${prefix} (HTTP 502)`)
    const odd = "Google token endpoint answered 200 without an access_token (not an OAuth2 token response)"
    expect(await refused(() => Response.json({ access_token: "t" }))).toBe(odd)
    expect(await refused(() => Response.json({ expires_in: 5 }))).toBe(odd)
    expect(await refused(() => new Response("not json"))).toBe(odd)
    const { t, fetchFn } = tokens(() => Response.json({}), { client_email: EMAIL, private_key: "not a pem" } as never)
    expect(await t.accessToken(fetchFn, 0).catch((error: Error) => error.message)).toBe(
      `the private_key of service account ${EMAIL} is not an RSA PKCS#8 PEM key`,
    )
  })

  /** A GcsClient on a stub storage API (`answer` by path and query) with tokens that count their grants. */
  function storage(answer: (url: URL, auth: string) => Response, storageUrl = "https://storage.example/") {
    let grants = 0
    const urls: string[] = []
    const fakeTokens = {
      accessToken: async () => `token-${grants === 0 ? ++grants : grants}`,
      invalidate: () => {
        grants++
      },
    } as unknown as ServiceAccountTokens
    const client = new GcsClient(storageUrl, "bkt/x", fakeTokens, async (input, init = {}) => {
      urls.push(input)
      if (urls.length > 20) throw new Error("looping")
      return answer(new URL(input), new Headers(init.headers).get("authorization") ?? "")
    })
    return { client, urls, grants: () => grants }
  }

  it("listing: only named objects with a generation, page after page; bad listings are errors", async () => {
    const pages = storage((url) =>
      url.searchParams.get("pageToken") === "p2"
        ? Response.json({ items: [{ name: "b", generation: "2" }] })
        : Response.json({
            items: [{ name: "a", generation: "1" }, { name: "x" }, { generation: "3" }, { name: 4, generation: "4" }],
            nextPageToken: "p2",
          }),
    )
    expect((await pages.client.list("stats/")).map((o) => o.name)).toEqual(["a", "b"])
    expect(pages.urls[0]).toBe("https://storage.example/storage/v1/b/bkt%2Fx/o?prefix=stats%2F")
    expect(pages.urls[1]).toContain("pageToken=p2")
    expect(await storage(() => Response.json({ nextPageToken: 5 })).client.list("s")).toEqual([])
    expect(await storage(() => new Response("{}")).client.list("s")).toEqual([])
    expect(
      await storage(() => new Response("nope"))
        .client.list("s")
        .catch((e: Error) => e.message),
    ).toBe("Cloud Storage sent a listing of gs://bkt/x/s that is not JSON")
    expect(
      await storage(() => Response.json({ items: {} }))
        .client.list("s")
        .catch((e: Error) => e.message),
    ).toBe("Cloud Storage sent a listing of gs://bkt/x/s without an items array")
  })

  it("a 401 renews the token once; a second one, or another status, fails with Google's message", async () => {
    const renewed = storage((_url, auth) =>
      auth === "Bearer token-1" ? new Response("", { status: 401 }) : new Response(new Uint8Array([1, 2])),
    )
    expect([...(await renewed.client.download({ name: "stats/a b.csv", generation: "7" }))]).toEqual([1, 2])
    expect(renewed.urls[1]).toBe("https://storage.example/storage/v1/b/bkt%2Fx/o/stats%2Fa%20b.csv?alt=media&generation=7")
    const always = storage(() => Response.json({ error: { message: "Denied." } }, { status: 401 }))
    expect(await always.client.list("s").catch((e: Error) => e.message)).toBe("Cloud Storage answered 401 to list s in gs://bkt/x: Denied.")
    expect(always.urls).toHaveLength(2)
    const plain = storage(() => new Response("", { status: 503 }))
    expect(await plain.client.list("s").catch((e: Error) => e.message)).toBe("Cloud Storage answered 503 to list s in gs://bkt/x")
    expect(plain.urls).toHaveLength(1)
  })
})

describe("Gdc: more edges", () => {
  it("any other bytes are UTF-8, whatever a BOM's single bytes look like", () => {
    for (const b of [
      [0x41, 0xfe, 0x42, 0x43],
      [0xff, 0x41, 0x42, 0x43],
      [0xfe, 0x41, 0x42, 0x43],
      [0x41, 0xff, 0x42, 0x43],
      [0x41, 0x42, 0xbf, 0x43],
      [0xef, 0x41, 0xbf, 0x43],
      [0x41, 0xbb, 0xbf, 0x43],
      [0xef, 0xbb, 0x41, 0x43],
      [0xef, 0x41, 0x42, 0x43],
      [0x44, 0x61, 0x74, 0],
      [0x44, 0, 0x61, 0x62],
      [0, 0, 0x61, 0],
    ]) {
      const bytes = new Uint8Array(b)
      expect([b, decodeReportText(bytes)]).toEqual([b, new TextDecoder("utf-8").decode(bytes)])
    }
  })

  it("CSV: a last line of one field; a CR after a LF; cells trimmed; the default name in errors", () => {
    expect(parseCsv("a\nb")).toEqual([["a"], ["b"]])
    expect(parseCsv("a\n\rb")).toEqual([["a"], ["b"]])
    expect(parseReport("Date,A\n 2026-01-01 , x ", "r.csv").rows).toEqual([{ Date: "2026-01-01", A: "x" }])
    expect(() => parseCrashesByVersion("nope")).toThrow('crashes report is not a Play Console report (no "Date" column first)')
  })

  it("storage: a failed download names the object; an error field that is null is no message", async () => {
    const tokens = { accessToken: async () => "t", invalidate: () => {} } as unknown as ServiceAccountTokens
    const answer = (response: () => Response) => new GcsClient("https://s.example", "b", tokens, async () => response())
    expect(
      await answer(() => new Response("", { status: 403 }))
        .download({ name: "a.csv", generation: "1" })
        .catch((e: Error) => e.message),
    ).toBe("Cloud Storage answered 403 to download a.csv in gs://b")
    expect(
      await answer(() => Response.json({ error: null }, { status: 500 }))
        .list("p")
        .catch((e: Error) => e.message),
    ).toBe("Cloud Storage answered 500 to list p in gs://b")
  })

  it("the newest stored month of a report and package; other names are not taken", () => {
    const gdc = source({}, tempDir("pollect-gdc-db-"))
    const stored = [
      "crashes_p_202603_app_version.csv",
      "crashes_p_202612_app_version.csv",
      "crashes_p_202601_app_version.csv",
      "crashes_p_20260_app_version.csv",
      "crashes_p_2026033_app_version.csv",
      "crashes_p_x202699_app_version.csv",
      "crashes_p_202699x_app_version.csv",
      "crashes_q_202699_app_version.csv",
      "crashes_p_202699_overview.csv",
      "installs_p_202699_app_version.csv",
    ]
    expect(gdc.newestFile(stored, "crashes", "p")).toBe(join(gdc.dbDir, "crashes_p_202612_app_version.csv"))
    expect(gdc.newestFile(["installs_p_202601_overview.csv"], "crashes", "p")).toBeUndefined()
    expect(gdc.tokenGrants).toBe(0)
  })

  it("a key file that is not JSON is named", async () => {
    writeFileSync(join(configDir, "not-json.json"), "{")
    await expect(source({ keyFile: "not-json.json" }).probe()).rejects.toThrow(
      new Error(`keyFile ${join(configDir, "not-json.json")} is not JSON (expected a service-account key file)`),
    )
  })

  it("only the reports asked for, from the stored files too; no empty set but the latest update", async () => {
    putReports()
    const dir = tempDir("pollect-gdc-db-")
    await source({}, dir).probe()
    const sets = toValueSets(await source({ reports: ["installs"] }, dir).probe())
    expect(sets.map((set) => set.values[0]!.name)).toEqual(["latestUpdate", "dailyDeviceInstalls"])
    expect(sets[0]!.values[0]!.value).toBe(0)
  })

  it("a listing's object is taken only by its exact name", async () => {
    const dir = tempDir("pollect-gdc-db-")
    const other = `stats/ratings/ratings_other.app_${month()}_overview.csv`
    fake.put(`${other}2`, utf16le(ratingsCsv(daysAgo(1))))
    const lines: string[] = []
    const gdc = makeSource<GdcSource>(
      GdcSource,
      {
        bucketName: BUCKET,
        apps: [{ package: "other.app" }],
        keyFile: "api-project-1234.json",
        dbDir: join(dir, "db"),
        storageUrl: fake.url,
        reports: ["ratings"],
      },
      { configDir, log: lines },
    )
    await gdc.probe()
    expect(lines).toEqual([])
  })

  it("a new generation or another md5 is downloaded again (and logged); the same one is not", async () => {
    const name = `stats/installs/installs_${PKG}_${month()}_overview.csv`
    fake.put(name, utf16le(installsCsv(daysAgo(1))))
    const dir = tempDir("pollect-gdc-db-")
    const lines: string[] = []
    const gdc = makeSource<GdcSource>(
      GdcSource,
      {
        bucketName: BUCKET,
        apps: [{ package: PKG }],
        keyFile: "api-project-1234.json",
        dbDir: join(dir, "db"),
        storageUrl: fake.url,
        reports: ["installs"],
      },
      { configDir, log: lines },
    )
    const downloads = () => fake.state.downloads.get(name) ?? 0
    const before = downloads()
    await gdc.probe()
    await gdc.probe()
    expect(downloads()).toBe(before + 1)
    expect(lines).toEqual([expect.stringContaining(`Gdc: downloading gs://${BUCKET}/${name}`)])
    fake.put(name, utf16le(installsCsv(daysAgo(1)))) // the same bytes, a new generation
    await gdc.probe()
    expect(downloads()).toBe(before + 2)
    fake.state.objects.get(name)!.md5Hash = "changed=="
    await gdc.probe()
    expect(downloads()).toBe(before + 3)
  })

  it("crash data exactly three days old still counts; older is 0", async () => {
    const dir = tempDir("pollect-gdc-db-")
    const db = join(dir, "db")
    mkdirSync(db, { recursive: true })
    writeFileSync(
      join(db, `crashes_${PKG}_202603_app_version.csv`),
      "Date,Package Name,App Version Code,Daily Crashes,Daily ANRs\n2026-03-01,p,41,3,1\n",
    )
    const crashes = (now: string) =>
      atFixedTime(new Date(now), async () => {
        const sets = toValueSets(await source({ reports: ["crashes"] }, dir).probe())
        return sets.flatMap((set) => set.values.filter((x) => x.name?.startsWith("crashes_")).map((x) => x.value))
      })
    expect(await crashes("2026-03-04T00:00:00Z")).toEqual([3, 1])
    expect(await crashes("2026-03-04T00:00:01Z")).toEqual([0, 0])
  })
})

describe("Gdc: the defaults of the token endpoint and the schema", () => {
  it("without tokenUrl and without the key's token_uri, the token comes from Google's endpoint (the JWT's audience too)", async () => {
    const dir = tempDir("pollect-gdc-")
    const key = JSON.parse(serviceAccountKey(privatePem, "unused")) as Record<string, unknown>
    delete key.token_uri
    writeFileSync(join(dir, "key.json"), JSON.stringify(key))
    const src = makeSource<GdcSource>(
      GdcSource,
      { type: "Gdc", bucketName: BUCKET, apps: [{ package: PKG }], keyFile: "key.json" },
      {
        configDir: dir,
      },
    )
    const asked: { url: string; aud: unknown }[] = []
    ;(src as unknown as { ctx: { fetch: unknown } }).ctx.fetch = async (input: string, init: RequestInit = {}) => {
      const assertion = new URLSearchParams(String(init.body)).get("assertion")
      asked.push({ url: String(input), aud: assertion ? decodeJwt(assertion).aud : undefined })
      return Response.json({ error: "invalid_grant" }, { status: 400 })
    }
    await expect(src.probe()).rejects.toThrow(`Google token endpoint rejected the service account ${EMAIL} (invalid_grant)`)
    expect(asked).toEqual([{ url: "https://oauth2.googleapis.com/token", aud: "https://oauth2.googleapis.com/token" }])
  })

  it("an app's package and name are described in the JSON schema (pollect schema)", () => {
    const schema = toJsonSchema(GdcSource.options, { errorMode: "ignore", typeMode: "input" }) as {
      properties: { apps: { items: { properties: Record<string, { description?: string }> } } }
    }
    const app = schema.properties.apps.items.properties
    expect([app.package?.description, app.name?.description]).toEqual([
      "The app's package name",
      "The `app` label of installs/ratings; default: the package",
    ])
  })
})
