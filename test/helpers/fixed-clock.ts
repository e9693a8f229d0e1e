/** Golden cases whose output depends on the date: run with Date.now() pinned and local time UTC. */
import { setSystemTime } from "bun:test"

/**
 * Runs `fn` with the system time at `now` and TZ=UTC, then puts both back, even when `fn` throws.
 *
 * @example
 * golden: (testCase) => atFixedTime(new Date("2026-03-02T12:00:00Z"), () => probeCase(testCase))
 */
export async function atFixedTime<T>(now: Date, fn: () => T | Promise<T>): Promise<T> {
  const tz = process.env.TZ
  process.env.TZ = "UTC"
  setSystemTime(now)
  try {
    return await fn()
  } finally {
    setSystemTime()
    if (tz === undefined) delete process.env.TZ
    else process.env.TZ = tz
  }
}
