/** The options of AppStoreConnect; light on purpose: validation loads it without the implementation, which loads only when a config uses AppStoreConnect. */
import { v } from "../../api.ts"

export const options = v.object({
  keyId: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("Key ID of the API key (App Store Connect → Users and Access → Integrations → Team Keys)"),
  ),
  keyFile: v.pipe(v.string(), v.minLength(1), v.description("The key's `.p8` file (PKCS#8 PEM), relative to the config file's folder")),
  issuerId: v.pipe(v.string(), v.minLength(1), v.description("Issuer ID shown above the team keys")),
  vendorNumber: v.pipe(
    v.union([v.string(), v.number()]),
    // Before the transform: the JSON schema (and so the README's table) stops at a transform.
    v.description("Vendor number (Payments and Financial Reports). A number or a string"),
    v.transform(String),
  ),
  dbDir: v.optional(v.pipe(v.string(), v.description("Folder for the downloaded reports, relative to the config file's folder")), "db"),
  apiUrl: v.optional(
    v.pipe(v.string(), v.url(), v.description("API base URL (tests point it at a local fake)")),
    "https://api.appstoreconnect.apple.com",
  ),
  reportVersion: v.optional(v.pipe(v.string(), v.description("`filter[version]` of the SALES/SUMMARY report")), "1_0"),
})

export type AppStoreConnectOptions = v.InferOutput<typeof options>
