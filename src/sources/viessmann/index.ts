/**
 * `Viessmann`: heat pump / boiler sensor values from the Viessmann cloud API (ViCare). Logs in
 * with the account's user and password (OAuth2 code + PKCE, see lib/viessmann-oauth.ts), caches
 * the token in `viessmann_token.json` in the state folder, and reads the device's `/features`.
 */
import { resolve } from "node:path"
import * as v from "valibot"
import { Source, type CommonSourceOptions, type SourceContext, type ValueSet } from "../../api.ts"
import { jsonErrorFields } from "../../lib/util/json-error-fields.ts"
import { featureMap, pickDevice, viessmannValueSets, type ViessmannDevicePath } from "./features.ts"
import { metrics } from "./metrics.ts"
import { ViessmannOAuth } from "./oauth.ts"

/** Endpoints as PyViCare uses them today (IAM v3, IoT API v2). */
export const VIESSMANN_AUTH_URL = "https://iam.viessmann-climatesolutions.com/idp/v3/authorize"
export const VIESSMANN_TOKEN_URL = "https://iam.viessmann-climatesolutions.com/idp/v3/token"
export const VIESSMANN_API_URL = "https://api.viessmann-climatesolutions.com/iot/v2"
/** The ViCare app's client id the seed's pollect used; register your own in the Viessmann developer portal. */
export const VICARE_APP_CLIENT_ID = "79742319e39245de5f91d15ff4cac2a8"

const options = v.object({
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

type Options = v.InferOutput<typeof options>

/** An API error answer's fields worth showing (`errorType`, `message`, `viErrorId`). */
function apiError(text: string): string {
  const shown = jsonErrorFields(text, (body) => [
    body.errorType ?? body.error,
    body.message,
    body.viErrorId ? `viErrorId ${body.viErrorId}` : undefined,
  ]).join(", ")
  return shown ? `: ${shown}`.slice(0, 240) : ""
}

export class ViessmannSource extends Source<Options> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 30

  private readonly oauth: ViessmannOAuth
  private device?: ViessmannDevicePath
  readonly tokenPath: string

  constructor(config: Options & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    this.tokenPath = resolve(ctx.stateDir, config.tokenFile)
    ctx.registerSecret(config.password)
    this.oauth = new ViessmannOAuth({
      user: config.user,
      password: config.password,
      clientId: config.clientId,
      redirectUri: config.redirectUri,
      scope: config.scope,
      authUrl: config.authUrl,
      tokenUrl: config.tokenUrl,
      tokenFile: this.tokenPath,
      fetch: (input, init) => this.ctx.fetch(input, init),
      onSecret: ctx.registerSecret,
      log: (message) => this.ctx.log.info(message),
      warn: (message) => this.ctx.log.warn(message),
    })
  }

  override async probe(): Promise<ValueSet[]> {
    if (!this.device) {
      this.device = pickDevice(await this.get("/equipment/installations?includeGateways=true", "installations"), {
        installationId: this.config.installationId === undefined ? undefined : String(this.config.installationId),
        gatewaySerial: this.config.gatewaySerial,
        deviceId: this.config.deviceId === undefined ? undefined : String(this.config.deviceId),
      })
      this.ctx.log.debug(
        `reading installation ${this.device.installationId}, gateway ${this.device.gatewaySerial}, device ${this.device.deviceId}`,
      )
    }
    const { installationId, gatewaySerial, deviceId } = this.device
    const path = `/features/installations/${encodeURIComponent(installationId)}/gateways/${encodeURIComponent(gatewaySerial)}/devices/${encodeURIComponent(deviceId)}/features`
    return viessmannValueSets(featureMap(await this.get(path, "features")))
  }

  /** GET on the API with the bearer token; one renewal and retry when the API says 401. */
  private async get(path: string, what: string): Promise<unknown> {
    const url = this.config.apiUrl.replace(/\/+$/, "") + path
    for (let attempt = 0; ; attempt++) {
      const token = await this.oauth.accessToken()
      const response = await this.ctx.fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "application/json" } })
      const text = await response.text()
      if (response.status === 401 && attempt === 0) {
        this.ctx.log.info(`${what}: the API refused the access token (HTTP 401${apiError(text)}); renewing it`)
        await this.oauth.invalidate()
        continue
      }
      if (!response.ok) throw new Error(`Viessmann ${what}: HTTP ${response.status}${apiError(text)}`)
      try {
        return JSON.parse(text)
      } catch {
        throw new Error(`Viessmann ${what}: the answer is not JSON (HTTP ${response.status}, ${text.length} bytes)`)
      }
    }
  }
}
