/**
 * `Viessmann`: heat pump / boiler sensor values from the Viessmann cloud API (ViCare). Logs in
 * with the account's user and password (OAuth2 code + PKCE, see lib/viessmann-oauth.ts), caches
 * the token in `viessmann_token.json` in the state folder, and reads the device's `/features`.
 */
import { resolve } from "node:path"
import { Source, type CommonSourceOptions, type SourceContext, type ValueSet } from "../../api.ts"
import { jsonErrorFields } from "../../lib/util/json-error-fields.ts"
import { featureMap, pickDevice, viessmannValueSets, type ViessmannDevicePath } from "./features.ts"
import { metrics } from "./metrics.ts"
import { ViessmannOAuth } from "./oauth.ts"
import { options, type ViessmannOptions as Options } from "./options.ts"

export { VIESSMANN_API_URL, VIESSMANN_AUTH_URL, VIESSMANN_TOKEN_URL, VICARE_APP_CLIENT_ID } from "./options.ts"

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
