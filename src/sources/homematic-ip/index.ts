/**
 * `HomematicIp`: temperatures, humidity and radiator valves from the HomematicIP cloud. Asks the
 * lookup host which REST server serves the access point, then POSTs `hmip/home/getCurrentState`
 * with the AUTHTOKEN (from hmip_generate_auth_token) and the derived CLIENTAUTH header.
 */
import { Source, type CommonSourceOptions, type SourceContext, type ValueSet } from "../../api.ts"
import { clientAuthToken, clientCharacteristics, homematicValueSets, normalizeAccessPoint, restUrlFromLookup } from "./client.ts"
import { jsonErrorFields } from "../../lib/util/json-error-fields.ts"
import { metrics } from "./metrics.ts"
import { options, type HomematicIpOptions } from "./options.ts"

/** `errorCode` of an HmIP error answer, if it has one. */
function errorCode(text: string): string {
  const [code] = jsonErrorFields(text, (body) => [body.errorCode])
  return code ? `: ${code.slice(0, 80)}` : ""
}

export class HomematicIpSource extends Source<HomematicIpOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 20

  private readonly accessPoint: string
  private readonly clientAuth: string
  /** The request body both calls send (uname() inside): the same for the source's lifetime. */
  private readonly characteristics: string
  private restUrl?: string

  constructor(config: HomematicIpOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    this.accessPoint = normalizeAccessPoint(config.accessPoint)
    this.clientAuth = clientAuthToken(this.accessPoint)
    this.characteristics = JSON.stringify(clientCharacteristics(this.accessPoint))
    ctx.registerSecret(config.authToken)
    ctx.registerSecret(this.clientAuth)
    this.restUrl = config.restUrl?.replace(/\/+$/, "")
  }

  override async probe(): Promise<ValueSet[]> {
    // Empty in 1.2's sample config: the config loads (as in 1.2), the probe says what is missing.
    const missing = [!this.config.authToken && "authToken", !this.accessPoint && "accessPoint"].filter(Boolean)
    if (missing.length)
      throw new Error(
        `${missing.join(" and ")} empty: set ${missing.length > 1 ? "them" : "it"} in the config (see the HomematicIp README)`,
      )
    try {
      return homematicValueSets(await this.currentState(await this.rest()))
    } catch (error) {
      // The cloud may move the access point: look the server up again next time.
      if (!this.config.restUrl) this.restUrl = undefined
      throw error
    }
  }

  private async rest(): Promise<string> {
    if (this.restUrl) return this.restUrl
    const response = await this.ctx.fetch(this.config.lookupUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: this.characteristics,
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`HomematicIP lookup: HTTP ${response.status}${errorCode(text)}`)
    let answer: unknown
    try {
      answer = JSON.parse(text)
    } catch {
      throw new Error(`HomematicIP lookup: the answer is not JSON (HTTP ${response.status})`)
    }
    this.restUrl = restUrlFromLookup(answer)
    this.ctx.log.debug(`access point served by ${this.restUrl}`)
    return this.restUrl
  }

  private async currentState(restUrl: string): Promise<unknown> {
    const response = await this.ctx.fetch(`${restUrl}/hmip/home/getCurrentState`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        VERSION: "12",
        AUTHTOKEN: this.config.authToken,
        CLIENTAUTH: this.clientAuth,
        "ACCESSPOINT-ID": this.accessPoint,
      },
      body: this.characteristics,
    })
    const text = await response.text()
    if (response.status === 403 || response.status === 401) {
      throw new Error(`HomematicIP refused the request (HTTP ${response.status}${errorCode(text)}): check authToken and accessPoint`)
    }
    if (response.status === 429) throw new Error("HomematicIP getCurrentState: throttled by the cloud (HTTP 429); probe less often")
    if (!response.ok) throw new Error(`HomematicIP getCurrentState: HTTP ${response.status}${errorCode(text)}`)
    try {
      return JSON.parse(text)
    } catch {
      throw new Error(`HomematicIP getCurrentState: the answer is not JSON (HTTP ${response.status}, ${text.length} bytes)`)
    }
  }
}
