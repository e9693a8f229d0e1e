import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { exportPKCS8, generateKeyPair } from "jose"
import { graphitePath, promName, type ProbeResult } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { byGraphitePath, makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { downServerUrl } from "../../../test/helpers/fake-server.ts"
import { atFixedTime } from "../../../test/helpers/fixed-clock.ts"
import { promtoolCheck, snakeCaseExposition } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { recordedBucket, startFakeGcs, utf16le } from "./fake-server.ts"
import { GcsClient } from "./gcs.ts"
import { GdcSource } from "./index.ts"
import { columnToName, decodeReportText, parseCrashesByVersion, parseCsv, parseOverview } from "./play-stats.ts"
import { ServiceAccountTokens } from "./service-account.ts"

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
