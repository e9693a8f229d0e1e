/** The original README's sample configs of MMI, Gdc and AppStoreConnect still validate. */
import { describe, expect, it } from "bun:test"
import { resolveConfig } from "../src/config/index.ts"
import { builtinRegistry } from "../src/registry.ts"

const samples: Record<string, Record<string, unknown>> = {
  MMI: { type: "MMI", credentials: "credentials.json", vin: "WAUZZZF40NA012345" },
  Gdc: {
    type: "Gdc",
    bucketName: "pubsite_prod_rev_1234",
    apps: [{ package: "my.app.package", name: "My App" }],
    keyFile: "api-project-1234.json",
    dbDir: "db",
  },
  AppStoreConnect: {
    type: "AppStoreConnect",
    keyId: "ASDH123123",
    keyFile: "my_api_key.p8",
    issuerId: "asdasd-123123asd-asd12312-asd",
    vendorNumber: "882223",
    dbDir: "db",
  },
}

describe("README sample configs", () => {
  for (const [type, source] of Object.entries(samples)) {
    it(`${type} validates`, async () => {
      const config = await resolveConfig({ executors: [{ collection: "pollect", tickTime: 1800, sources: [source] }] }, builtinRegistry())
      expect(config.executors[0]!.sources[0]!.type).toBe(type)
    })
  }
  it("a missing required key is reported by path", async () => {
    const error = await resolveConfig(
      { executors: [{ sources: [{ type: "AppStoreConnect", keyId: "x", keyFile: "k.p8", vendorNumber: 1 }] }] },
      builtinRegistry(),
    ).then(
      () => null,
      (e: Error) => e,
    )
    expect(String(error)).toContain("issuerId")
  })
})
