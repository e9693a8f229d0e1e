/** The options of Viessmann; light on purpose: validation loads it without the implementation, which loads only when a config uses Viessmann. */
import { v } from "../../api.ts"

/** Endpoints as PyViCare uses them today (IAM v3, IoT API v2). */
export const VIESSMANN_AUTH_URL = "https://iam.viessmann-climatesolutions.com/idp/v3/authorize"
export const VIESSMANN_TOKEN_URL = "https://iam.viessmann-climatesolutions.com/idp/v3/token"
export const VIESSMANN_API_URL = "https://api.viessmann-climatesolutions.com/iot/v2"
/** The ViCare app's client id the seed's pollect used; register your own in the Viessmann developer portal. */
export const VICARE_APP_CLIENT_ID = "79742319e39245de5f91d15ff4cac2a8"

export const options = v.object({
  user: v.pipe(v.string(), v.minLength(1), v.description("E-mail address of the ViCare account")),
  password: v.pipe(v.string(), v.minLength(1), v.description("Its password (masked in every log line)")),
  clientId: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1),
      v.description(
        "OAuth client id. The default is the ViCare app's id the seed's pollect used; Viessmann now expects a client id registered in its developer portal (redirect URI `vicare://oauth-callback/everest`), as PyViCare does",
      ),
    ),
    VICARE_APP_CLIENT_ID,
  ),
  redirectUri: v.optional(
    v.pipe(v.string(), v.description("Redirect URI registered with the client id")),
    "vicare://oauth-callback/everest",
  ),
  scope: v.optional(v.pipe(v.string(), v.description("OAuth scopes (`offline_access` gives a refresh token)")), "IoT User offline_access"),
  authUrl: v.optional(v.pipe(v.string(), v.url(), v.description("IAM authorize endpoint")), VIESSMANN_AUTH_URL),
  tokenUrl: v.optional(v.pipe(v.string(), v.url(), v.description("IAM token endpoint")), VIESSMANN_TOKEN_URL),
  apiUrl: v.optional(v.pipe(v.string(), v.url(), v.description("API base URL")), VIESSMANN_API_URL),
  tokenFile: v.optional(v.pipe(v.string(), v.description("Token cache, relative to the state folder")), "viessmann_token.json"),
  installationId: v.optional(
    v.pipe(v.union([v.string(), v.number()]), v.description("Which installation to read; default: the account's first")),
  ),
  gatewaySerial: v.optional(v.pipe(v.string(), v.description("Which gateway to read; default: the installation's first"))),
  deviceId: v.optional(
    v.pipe(
      v.union([v.string(), v.number()]),
      v.description("Which device to read; default: the gateway's first that is not the Vitoconnect itself (`0` when none is listed)"),
    ),
  ),
})

/** The validated options of Viessmann. */
export type ViessmannOptions = v.InferOutput<typeof options>
