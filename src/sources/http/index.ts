/**
 * `Http`: response time of one URL or of a list of URLs in milliseconds (the whole body read, as
 * the original did), the status code as `status` and whether the request succeeded as `ok`.
 *
 * As pollect 1.2 reports it, a request that fails (refused, a TLS error, a timeout, or a status
 * other than `statusCode` / 2xx) gives the timeout in ms as its time. A list of URLs adds the
 * label `url`: one series per URL, all requested at once within the probe's deadline.
 */
import { type CommonSourceOptions, errorMessage, FailureLatch, Source, type SourceContext, ValueSet } from "../../api.ts"
import { metrics } from "./metrics.ts"
import { fetchProxy, maskedUrl, urlPasswords } from "./proxy.ts"
import { options, type HttpOptions } from "./options.ts"

/** pollect 1.2's default timeout in its code (its README says 15 s, as ours does): used under `compat: "1.2"`. */
const PY12_DEFAULT_TIMEOUT_S = 10

/** One URL's answer in one probe. */
interface Outcome {
  /** The response time in ms; undefined when the request failed. */
  elapsedMs?: number
  /** The status code received; 0 when no response came. */
  status: number
  /** Why the request failed. */
  error?: string
}

export class HttpSource extends Source<HttpOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  /** Logs a failing URL once when it starts failing and once when it answers again. */
  private readonly latch: FailureLatch
  /** The `url` label of each URL of a list (its password masked), made once, not per probe. */
  private readonly urlLabels: string[][]

  constructor(config: HttpOptions & CommonSourceOptions, ctx: SourceContext) {
    super(config, ctx)
    const { url, proxy } = this.config
    const proxies =
      proxy === undefined ? ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"].map((name) => process.env[name]) : [proxy]
    for (const each of [...(Array.isArray(url) ? url : [url]), ...proxies]) {
      for (const password of each ? urlPasswords(each) : []) this.ctx.registerSecret(password)
    }
    this.urlLabels = Array.isArray(url) ? url.map((each) => [maskedUrl(each)]) : [[]]
    const via = proxy ? ` via proxy ${maskedUrl(proxy)}` : ""
    this.latch = new FailureLatch(this.ctx.log, {
      failed: (what, message) => `could not probe ${what}${via}: ${message}`,
      recovered: (what) => `${what} answers again`,
    })
  }

  /**
   * The timeout a failed request reports (ms): the probe's own (`timeout`, or 15 s but at most
   * the executor's tick); under `compat: "1.2"` without a `timeout`, 1.2's 10 s.
   */
  timeoutMs(): number {
    const budget = this.ctx.timeoutMs ?? (this.config.timeout ?? HttpSource.defaultTimeout) * 1000
    if (this.config.timeout === undefined && this.ctx.compat === "1.2") return Math.min(budget, PY12_DEFAULT_TIMEOUT_S * 1000)
    return budget
  }

  override async probe(): Promise<ValueSet[]> {
    const { url } = this.config
    const listed = Array.isArray(url)
    const urls = listed ? url : [url]
    const timeoutMs = this.timeoutMs()
    // The executor drops a probe that reaches its deadline; give up on slow URLs a little before,
    // so their timeout value is still reported.
    const budget = this.ctx.timeoutMs
    const giveUpMs = budget === undefined ? timeoutMs : Math.min(timeoutMs, budget - Math.min(100, budget / 10))
    const giveUp = new AbortController()
    const timer = setTimeout(() => giveUp.abort(new Error(`timed out after ${timeoutMs / 1000} s`)), giveUpMs)
    let outcomes: Outcome[]
    try {
      outcomes = await Promise.all(urls.map((each) => this.request(each, giveUp.signal)))
    } finally {
      clearTimeout(timer)
    }
    const time = new ValueSet(listed ? metrics.timeByUrl : metrics.time)
    const status = new ValueSet(listed ? metrics.statusByUrl : metrics.status)
    const ok = new ValueSet(listed ? metrics.okByUrl : metrics.ok)
    outcomes.forEach((outcome, i) => {
      // As written (1.2's label), except a password: that never reaches /metrics or dry-run output.
      const labelValues = this.urlLabels[i]!
      if (outcome.error === undefined) this.latch.ok(urls[i]!, urls[i]!)
      else this.latch.fail(urls[i]!, urls[i]!, outcome.error)
      time.add(outcome.elapsedMs ?? timeoutMs, labelValues)
      status.add(outcome.status, labelValues, "status")
      ok.add(outcome.error === undefined, labelValues, "ok")
    })
    return [time, status, ok]
  }

  private async request(url: string, giveUp: AbortSignal): Promise<Outcome> {
    const { method, headers, verifyTls, statusCode, proxy } = this.config
    const started = performance.now()
    try {
      const init = { method, headers, signal: giveUp, tls: { rejectUnauthorized: verifyTls }, ...fetchProxy(proxy) }
      const response = await this.ctx.fetch(url, init as RequestInit)
      await response.arrayBuffer()
      const elapsedMs = Math.round((performance.now() - started) * 1000) / 1000
      const expected = statusCode === undefined ? response.status >= 200 && response.status < 300 : response.status === statusCode
      if (!expected) {
        const wanted = statusCode === undefined ? "2xx" : String(statusCode)
        return { status: response.status, error: `status ${response.status}, expected ${wanted}` }
      }
      return { elapsedMs, status: response.status }
    } catch (error) {
      // The executor gave up on the whole probe: nothing of it is reported.
      if (this.ctx.signal.aborted) throw error
      return { status: 0, error: giveUp.aborted ? errorMessage(giveUp.reason) : errorMessage(error) }
    }
  }
}
