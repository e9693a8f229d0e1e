/** The options of Gdc; light on purpose: validation loads it without the implementation, which loads only when a config uses Gdc. */
import { v } from "../../api.ts"

/** The reports pollect can read. */
export const REPORTS = ["crashes", "installs", "ratings"] as const
export type Report = (typeof REPORTS)[number]

export const options = v.object({
  bucketName: v.pipe(
    v.string(),
    v.minLength(1),
    v.description('The bucket ID from "Download reports" in the Play Console (`pubsite_prod_rev_01234567890987654321`)'),
  ),
  apps: v.pipe(
    v.array(
      v.object({
        package: v.pipe(v.string(), v.minLength(1), v.description("The app's package name")),
        name: v.optional(v.pipe(v.string(), v.description("The `app` label of installs/ratings; default: the package"))),
      }),
    ),
    v.minLength(1),
    v.description('The apps to report: `[{ "package": "my.app.package", "name": "My App" }]`'),
  ),
  keyFile: v.pipe(
    v.string(),
    v.minLength(1),
    v.description("Service-account key (JSON), relative to the config file's folder. The account needs Play Console access to the reports"),
  ),
  dbDir: v.optional(
    v.pipe(
      v.string(),
      v.description("Folder for the downloaded CSVs and `gdc-objects.json` (the generations seen), relative to the config file's folder"),
    ),
    "db",
  ),
  storageUrl: v.optional(v.pipe(v.string(), v.url(), v.description("Cloud Storage JSON API base URL")), "https://storage.googleapis.com"),
  tokenUrl: v.optional(
    v.pipe(
      v.string(),
      v.url(),
      v.description(
        "OAuth2 token endpoint (also the JWT's `aud`); default: the key file's `token_uri`, else `https://oauth2.googleapis.com/token`",
      ),
    ),
  ),
  reports: v.optional(v.pipe(v.array(v.picklist(REPORTS)), v.description("Which reports to read")), [...REPORTS]),
})

export type GdcOptions = v.InferOutput<typeof options>
