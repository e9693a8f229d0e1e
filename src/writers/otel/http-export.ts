/**
 * What an OTLP/HTTP answer means, by the OTLP specification's "Failures" and "Throttling" rules:
 * 2xx is accepted; 429, 502, 503 and 504 are worth retrying (after `Retry-After` when given);
 * any other status (500 and 501 included) is a permanent failure that retrying would only
 * repeat. A request without an answer (refused, reset, past the timeout) throws, which the
 * delivery loop (lib/queue) retries. Body reading and Retry-After are lib/queue's httpOutcome.
 */
import { httpOutcome, type SendOutcome } from "../../lib/queue/delivery.ts"

export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 502, 503, 504])

/** The outcome of one export's answer. */
export async function otlpOutcome(response: Response, now = Date.now()): Promise<SendOutcome> {
  const outcome = await httpOutcome(response, now)
  if (!outcome.ok && outcome.retry && !RETRYABLE_STATUS.has(response.status)) return { ok: false, retry: false, why: outcome.why }
  return outcome
}
