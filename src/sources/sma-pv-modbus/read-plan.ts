/**
 * Which read requests cover a set of registers: neighbouring registers are read in one request,
 * at most 125 registers each. A small gap between two registers is read along (SMA devices
 * answer an undefined register inside a block with NaN), which saves a round trip each.
 */
import { MAX_REGISTERS_PER_READ } from "./modbus-frame.ts"

export interface RegisterSpan {
  address: number
  /** 16-bit registers. */
  count: number
}

/** The default gap (in registers) that is read along rather than split into two requests. */
export const DEFAULT_MAX_GAP = 16

/** Spans sorted and merged into as few requests as the limits allow. */
export function planReads(spans: readonly RegisterSpan[], maxGap = DEFAULT_MAX_GAP, maxCount = MAX_REGISTERS_PER_READ): RegisterSpan[] {
  const sorted = [...spans].sort((a, b) => a.address - b.address)
  const plan: RegisterSpan[] = []
  for (const span of sorted) {
    if (span.count < 1 || span.count > maxCount) throw new RangeError(`a span of ${span.count} registers does not fit one request`)
    const last = plan.at(-1)
    if (last) {
      const end = last.address + last.count
      const merged = Math.max(end, span.address + span.count) - last.address
      if (span.address - end <= maxGap && merged <= maxCount) {
        last.count = merged
        continue
      }
    }
    plan.push({ ...span })
  }
  return plan
}
