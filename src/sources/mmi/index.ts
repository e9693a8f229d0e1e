/**
 * `MMI`: Audi connect vehicle data (mileage, ranges, tank/battery/oil level, outside
 * temperature) for one VIN, through the myAudi app's current backend: sign-in at the VW Group
 * identity server (lib/audi-idk-login.ts) and the CARIAD "selectivestatus" API. The token is
 * kept in a state file (0600, written atomically), refreshed when it expires, and a full sign-in
 * happens only when the refresh fails.
 */
import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { saveState } from "../../lib/util/state-file.ts"
import { readConfigFile } from "../../lib/util/config-file.ts"
import { IdkClient, type IdkTokens } from "./idk-login.ts"
import { parseVehicleStatus, STATUS_JOBS } from "./vehicle-status.ts"
import { Source, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { options, type MmiOptions } from "./options.ts"

interface Credentials {
  user: string
  pass: string
  qmauth?: { clientId: string; secretHex: string }
}

/** Renew a minute before expiry so the token does not die mid-probe. */
const RENEW_MARGIN_MS = 60_000

export class MMISource extends Source<MmiOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 60

  #tokens?: IdkTokens
  #credentials?: Credentials
  /** Sign-ins and refreshes so far (tests, logs); never the tokens. */
  logins = 0
  refreshes = 0

  override async probe(): Promise<ValueSet[]> {
    // Empty in 1.2's sample config: the config loads (as in 1.2), the probe says what is missing.
    if (!this.config.vin.trim()) throw new Error("vin is empty: set the VIN of the car in the config")
    const vin = this.config.vin.toUpperCase()
    let response = await this.status(vin, await this.token())
    if (response.status === 401) {
      // Revoked or expired before its time: renew once.
      await response.arrayBuffer()
      response = await this.status(vin, await this.token(true))
    }
    const text = await response.text()
    if (response.status === 401) throw new Error("Audi rejected a fresh token for the vehicle status (401)")
    if (response.status === 403 || response.status === 404)
      throw new Error(`vehicle ${vin} is not in this Audi account (${response.status})`)
    if (!response.ok) throw new Error(`Audi vehicle status answered ${response.status}`)
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch {
      throw new Error("Audi vehicle status answered 200 with something that is not JSON")
    }
    const values = parseVehicleStatus(data)
    const plain = new ValueSet(metrics.distances)
    for (const [name, value] of Object.entries(values.plain)) plain.add(value, [], name)
    const percent = new ValueSet(metrics.levels)
    for (const [name, value] of Object.entries(values.percent)) percent.add(value, [], name)
    const celsius = new ValueSet(metrics.temperature)
    for (const [name, value] of Object.entries(values.celsius)) celsius.add(value, [], name)
    return [plain, percent, celsius].filter((set) => set.values.length)
  }

  private status(vin: string, accessToken: string): Promise<Response> {
    const url = `${this.config.bffUrl.replace(/\/$/, "")}/vehicle/v1/vehicles/${encodeURIComponent(vin)}/selectivestatus?jobs=${STATUS_JOBS.join(",")}`
    return this.ctx.fetch(url, { headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" } })
  }

  /** A usable access token: cached, else refreshed, else a new sign-in. */
  async token(forceRenew = false): Promise<string> {
    this.#tokens ??= this.loadTokens()
    const tokens = this.#tokens
    if (tokens && !forceRenew && Date.now() < tokens.expiresAt - RENEW_MARGIN_MS) return tokens.accessToken
    const credentials = this.credentials()
    const client = new IdkClient(
      { bffUrl: this.config.bffUrl, clientId: this.config.clientId, qmauth: credentials.qmauth },
      (input, init) => this.ctx.fetch(input, init),
    )
    let next: IdkTokens | undefined
    if (tokens?.refreshToken) {
      try {
        next = await client.refresh(tokens.refreshToken)
        this.refreshes++
      } catch (error) {
        this.ctx.log.info(`MMI: token refresh failed (${(error as Error).message}); signing in again`)
      }
    }
    if (!next) {
      next = await client.login(credentials.user, credentials.pass)
      this.logins++
    }
    // A refresh may omit the refresh token: keep the old one.
    next.refreshToken ??= tokens?.refreshToken
    this.#tokens = next
    saveState(this.tokenFile(), JSON.stringify(next), (message) => this.ctx.log.warn(message))
    return next.accessToken
  }

  /** One token file per account, so two MMI sources with different logins do not clash. */
  tokenFile(): string {
    const account = createHash("sha256").update(this.credentials().user.toLowerCase()).digest("hex").slice(0, 12)
    return join(this.ctx.stateDir, `mmi_token_${account}.json`)
  }

  private loadTokens(): IdkTokens | undefined {
    try {
      const saved = JSON.parse(readFileSync(this.tokenFile(), "utf8")) as Partial<IdkTokens>
      if (typeof saved.accessToken === "string" && typeof saved.expiresAt === "number") return saved as IdkTokens
    } catch {
      // no or unreadable token file: sign in
    }
    return undefined
  }

  private credentials(): Credentials {
    if (this.#credentials) return this.#credentials
    const { path, text } = readConfigFile(this.ctx.configDir, this.config.credentials, "credentials")
    let parsed: Partial<Credentials> & { password?: string }
    try {
      parsed = JSON.parse(text) as typeof parsed
    } catch {
      throw new Error(`credentials ${path} is not JSON`)
    }
    const pass = parsed.pass ?? parsed.password
    if (typeof parsed.user !== "string" || typeof pass !== "string") throw new Error(`credentials ${path} needs "user" and "pass"`)
    // Masked in log lines like every other source's password (an error that quotes a form, say).
    for (const secret of [pass, parsed.qmauth?.secretHex]) if (secret) this.ctx.registerSecret(secret)
    this.#credentials = { user: parsed.user, pass, qmauth: parsed.qmauth }
    return this.#credentials
  }
}
