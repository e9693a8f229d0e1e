/**
 * `ZodiacPool`: state, program cycle, error code and remaining cycle time of Zodiac pool robots
 * (tested by 1.2's author with an Alpha 63 IQ) from the Zodiac / iAquaLink cloud. Signs in once,
 * keeps the tokens in stateDir (mode 0600) and refreshes the id token before it expires.
 */
import { createHash } from "node:crypto"
import { join } from "node:path"
import { type CommonSourceOptions, Source, type SourceContext, ValueSet } from "../../api.ts"
import { saveState } from "../../lib/util/state-file.ts"
import { ZodiacCloud, ZodiacError } from "./cloud.ts"
import { metrics } from "./metrics.ts"
import { options, type ZodiacPoolOptions as Options } from "./options.ts"
import { remainingSeconds, robotOf, serialsOf } from "./robot.ts"
import { loadSession, type Session, sessionOf } from "./token.ts"

/** Refresh the id token when it expires within this many seconds. */
const REFRESH_MARGIN_S = 300
/** After a refused sign-in, do not try again for this long (a wrong password is not retried every tick). */
const REFUSED_HOLD_OFF_MS = 15 * 60_000
/** Statuses that mean "these credentials or tokens are not accepted". */
const REFUSED = new Set([400, 401, 403])

export class ZodiacPoolSource extends Source<Options> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 30

  /** The clock (ms); tests move it. */
  clock: () => number = Date.now
  /** Sign-ins and refreshes so far (tests read them). */
  readonly calls = { logins: 0, refreshes: 0 }

  private readonly cloud: ZodiacCloud
  private readonly stateFile: string
  private session?: Session
  private cacheRead = false
  private refusedUntil = 0
  private refusedMessage = ""
  private readonly unknownCycles = new Set<number>()

  constructor(config: Options & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    ctx.registerSecret(config.password)
    this.cloud = new ZodiacCloud({ baseUrl: config.baseUrl, fetch: (input, init) => this.ctx.fetch(input, init) })
    const key = createHash("sha256").update(config.user).digest("hex").slice(0, 12)
    this.stateFile = join(ctx.stateDir, `zodiac-pool-${key}.json`)
  }

  override async probe(): Promise<ValueSet[]> {
    let signedIn = false
    let session = this.session
    if (!session && !this.cacheRead) {
      this.cacheRead = true
      session = loadSession(this.stateFile, this.config.user)
      if (session) this.remember(session, false)
    }
    if (!session) {
      session = await this.signIn()
      signedIn = true
    } else if (session.expires !== 0 && session.expires - this.clock() / 1000 < REFRESH_MARGIN_S) {
      session = await this.refresh(session)
      signedIn = true
    }
    try {
      return await this.read(session)
    } catch (error) {
      // Tokens the cloud no longer takes (revoked, a sign-in elsewhere): sign in once more.
      if (signedIn || !(error instanceof ZodiacError) || error.status === undefined || !REFUSED.has(error.status)) throw error
      this.ctx.log.info(`the cloud refused the kept token (${error.message}); signing in again`)
      this.session = undefined
      return await this.read(await this.signIn())
    }
  }

  private async read(session: Session): Promise<ValueSet[]> {
    const state = new ValueSet(metrics.state)
    const cycle = new ValueSet(metrics.programCycle)
    const errorCode = new ValueSet(metrics.errorCode)
    const remaining = new ValueSet(metrics.remaining)
    const serials = serialsOf(await this.cloud.devices(session.id, session.idToken, this.clock() / 1000))
    for (const serial of serials) {
      const robot = robotOf(await this.cloud.shadowOf(serial, session.id, session.idToken), serial)
      if (!robot) continue // not a pool cleaner
      state.add(robot.state, [serial], "state")
      cycle.add(robot.prCyc, [serial], "program_cycle")
      errorCode.add(robot.errorCode, [serial], "error_code")
      const seconds = remainingSeconds(robot, this.clock() / 1000)
      if (seconds !== undefined) remaining.add(seconds, [serial], "remaining_time")
      else if (!this.unknownCycles.has(robot.prCyc)) {
        this.unknownCycles.add(robot.prCyc)
        this.ctx.log.warn(`device ${serial}: program cycle ${robot.prCyc} has no known duration; remaining_time left out`)
      }
    }
    return [state, cycle, errorCode, remaining]
  }

  private async signIn(): Promise<Session> {
    if (this.clock() < this.refusedUntil) throw new ZodiacError(this.refusedMessage)
    this.calls.logins++
    try {
      const session = sessionOf(this.config.user, await this.cloud.login(this.config.user, this.config.password))
      this.remember(session, true)
      return session
    } catch (error) {
      if (error instanceof ZodiacError && error.status !== undefined && REFUSED.has(error.status)) {
        this.refusedUntil = this.clock() + REFUSED_HOLD_OFF_MS
        this.refusedMessage = `the cloud refused the sign-in of ${this.config.user} (${error.message}): check user and password (no new sign-in for ${REFUSED_HOLD_OFF_MS / 60_000} min)`
        throw new ZodiacError(this.refusedMessage)
      }
      throw error
    }
  }

  private async refresh(session: Session): Promise<Session> {
    this.calls.refreshes++
    try {
      const refreshed = sessionOf(this.config.user, await this.cloud.refresh(session.email || this.config.user, session.refreshToken))
      this.remember(refreshed, true)
      return refreshed
    } catch (error) {
      // A refresh token the cloud no longer takes: sign in with the password.
      if (error instanceof ZodiacError && error.status !== undefined && REFUSED.has(error.status)) {
        this.ctx.log.info(`token refresh refused (${error.message}); signing in again`)
        this.session = undefined
        return await this.signIn()
      }
      throw error
    }
  }

  private remember(session: Session, save: boolean): void {
    this.ctx.registerSecret(session.idToken)
    this.ctx.registerSecret(session.refreshToken)
    this.session = session
    if (save) saveState(this.stateFile, JSON.stringify(session), (message) => this.ctx.log.warn(message))
  }
}
