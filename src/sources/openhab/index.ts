/**
 * `Openhab`: every Number and Switch item of an openHAB instance, from one `GET /rest/items`
 * per probe (openHAB 2, 3 and 4), as pollect 1.2 named them.
 */
import { errorMessage, Source, type ValueSet } from "../../api.ts"
import { readBoundedText } from "../../lib/util/bounded-body.ts"
import { itemSets, OpenhabAnswerError } from "./items.ts"
import { metrics } from "./metrics.ts"
import { options, type OpenhabOptions } from "./options.ts"

/** The most bytes read from one `/rest/items` answer (~20 000 items of an average size). */
export const MAX_ANSWER_BYTES = 32 << 20

export class OpenhabSource extends Source<OpenhabOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  static readonly defaultTimeout = 15

  private readonly itemsUrl: string

  constructor(config: OpenhabSource["config"], ctx: OpenhabSource["ctx"]) {
    super(config, ctx)
    if (config.token) ctx.registerSecret(config.token)
    this.itemsUrl = config.url.replace(/\/+$/, "") + "/rest/items"
  }

  override async probe(): Promise<ValueSet[]> {
    const headers: Record<string, string> = { Accept: "application/json" }
    if (this.config.token) headers.Authorization = `Bearer ${this.config.token}`
    let response: Response
    try {
      response = await this.ctx.fetch(this.itemsUrl, { headers })
    } catch (error) {
      throw new Error(`${this.itemsUrl}: ${errorMessage(error)}`)
    }
    if (!response.ok) {
      await response.body?.cancel()
      const hint =
        response.status === 401 || response.status === 403
          ? this.config.token
            ? ": the token was refused"
            : ": set `token` to an API token (openHAB 3/4)"
          : ""
      throw new Error(`${this.itemsUrl}: HTTP ${response.status}${hint}`)
    }
    let answer: unknown
    try {
      answer = JSON.parse(await readBoundedText(response, MAX_ANSWER_BYTES))
    } catch (error) {
      const what = error instanceof SyntaxError ? "not JSON" : errorMessage(error)
      throw new Error(`${this.itemsUrl}: ${what}`)
    }
    try {
      return itemSets(answer)
    } catch (error) {
      if (error instanceof OpenhabAnswerError) throw new Error(`${this.itemsUrl}: ${error.message}`)
      throw error
    }
  }
}
