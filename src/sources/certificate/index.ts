/**
 * `Certificate`: days until a TLS server's certificate expires, as pollect 1.2's
 * `cert_expire_days`, from a TLS handshake of our own (`node:tls`, SNI = the host name), where
 * 1.2 ran `openssl s_client` and parsed its output with pyOpenSSL. Beside it: the earliest
 * expiry in the chain, the certificate's validity timestamps, and whether the chain verifies.
 *
 * One target (`url`, or 1.2's `host`/`port`) gives 1.2's unlabelled series and a failed
 * handshake fails the probe. A list of URLs gives the label `url`, handshakes `concurrency` at a
 * time, and a failed one is `ok` 0 for its URL (logged once), the others still reported.
 */
import { readFileSync } from "node:fs"
import { isAbsolute, join } from "node:path"
import { createSecureContext, getCACertificates, rootCertificates, type SecureContext } from "node:tls"
import { type CommonSourceOptions, errorMessage, FailureLatch, mapConcurrent, Source, type SourceContext, ValueSet } from "../../api.ts"
import { type PeerChain, peerChain } from "./handshake.ts"
import { metrics } from "./metrics.ts"
import { hostTarget, type Target, urlTarget } from "./target.ts"
import { options, type CertificateOptions } from "./options.ts"

const DAY_MS = 86_400_000

/** Whole days from `now` to `at`, towards zero (1.2's `int()`): 2.9 days left is 2, expired 1.5 days ago is -1. */
export function wholeDays(at: number, now: number): number {
  return Math.trunc((at - now) / DAY_MS) + 0
}

export class CertificateSource extends Source<CertificateOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 10

  private readonly targets: Target[]
  private readonly listed: boolean
  private secureContext: SecureContext | undefined
  private readonly latch: FailureLatch

  constructor(config: CertificateOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    const { url, host, port, servername } = this.config
    this.listed = Array.isArray(url)
    const targets = url === undefined ? [hostTarget(host!, port)] : ([] as string[]).concat(url).map(urlTarget)
    this.targets = servername ? targets.map((t) => ({ ...t, servername })) : targets
    this.latch = new FailureLatch(this.ctx.log, {
      failed: (what, message) => `${what}: ${message}`,
      recovered: (what) => `${what}: handshake works again`,
    })
  }

  /** The trusted roots, made once: the system's (Bun's bundled Mozilla list where the system has none) and `caFile`. */
  private context(): SecureContext {
    if (this.secureContext) return this.secureContext
    const system = getCACertificates("system")
    const ca = system.length > 0 ? [...system] : [...rootCertificates]
    const { caFile } = this.config
    if (caFile) {
      const path = isAbsolute(caFile) ? caFile : join(this.ctx.configDir, caFile)
      try {
        ca.push(readFileSync(path, "utf8"))
      } catch (error) {
        throw new Error(`caFile: cannot read ${path}: ${errorMessage(error)}`)
      }
    }
    try {
      this.secureContext = createSecureContext({ ca })
    } catch (error) {
      throw new Error(`caFile: ${caFile} holds no usable PEM certificate: ${errorMessage(error)}`)
    }
    return this.secureContext
  }

  /** Each handshake's deadline: the probe's timeout, a little before the executor gives up on the probe. */
  private handshakeTimeoutMs(): number {
    const budget = this.ctx.timeoutMs ?? (this.config.timeout ?? CertificateSource.defaultTimeout) * 1000
    return Math.max(100, budget - Math.min(200, budget / 10))
  }

  override async probe(): Promise<ValueSet[]> {
    const secureContext = this.context()
    const timeoutMs = this.handshakeTimeoutMs()
    const { signal } = this.ctx
    const outcomes = await mapConcurrent(this.targets, this.config.concurrency, async (target) => {
      try {
        return await peerChain(target, { secureContext, timeoutMs, signal })
      } catch (error) {
        if (signal.aborted) throw error
        return new Error(`${target.host}:${target.port}: ${errorMessage(error)}`)
      }
    })
    const now = Date.now()
    if (!this.listed) {
      const outcome = outcomes[0]!
      if (outcome instanceof Error) throw outcome
      this.logVerification(this.targets[0]!, outcome)
      return this.sets(outcome, now, [], false)
    }
    const sets = [
      new ValueSet(metrics.expireByUrl),
      new ValueSet(metrics.chainExpireByUrl),
      new ValueSet(metrics.validityByUrl),
      new ValueSet(metrics.verifiedByUrl),
      new ValueSet(metrics.okByUrl),
    ]
    outcomes.forEach((outcome, i) => {
      const target = this.targets[i]!
      const ok = !(outcome instanceof Error)
      sets[4]!.add(ok, [target.label], "ok")
      if (outcome instanceof Error) {
        this.latch.fail(target.label, target.label, outcome.message)
        return
      }
      this.latch.ok(target.label, target.label)
      this.logVerification(target, outcome)
      this.sets(outcome, now, [target.label], true).forEach((set, j) => sets[j]!.values.push(...set.values))
    })
    return sets
  }

  /** A chain that does not verify is worth one line (when its reason changes), not one per probe. */
  private logVerification(target: Target, outcome: PeerChain): void {
    const key = `verify ${target.label}`
    if (outcome.verifyError) this.latch.fail(key, target.label, `certificate not verified: ${outcome.verifyError}`)
    else this.latch.ok(key, target.label)
  }

  private sets(outcome: PeerChain, now: number, labels: string[], listed: boolean): ValueSet[] {
    const leaf = outcome.chain[0]!
    const earliest = Math.min(...outcome.chain.map((cert) => cert.notAfter))
    const expire = new ValueSet(listed ? metrics.expireByUrl : metrics.expire).add(
      wholeDays(leaf.notAfter, now),
      labels,
      "cert_expire_days",
    )
    const chain = new ValueSet(listed ? metrics.chainExpireByUrl : metrics.chainExpire).add(
      wholeDays(earliest, now),
      labels,
      "chain_expire_days",
    )
    const validity = new ValueSet(listed ? metrics.validityByUrl : metrics.validity)
    validity.add(leaf.notBefore / 1000, labels, "not_before_timestamp")
    validity.add(leaf.notAfter / 1000, labels, "not_after_timestamp")
    const verified = new ValueSet(listed ? metrics.verifiedByUrl : metrics.verified).add(outcome.verified, labels, "verified")
    return [expire, chain, validity, verified]
  }
}
