/**
 * For the system sources: point POLLECT_PROCFS / POLLECT_SYSFS at fixture trees, and build a
 * source whose rate clock the test moves (no timing in assertions; now `makeSource(cls, config, { clock })`).
 */
import { afterEach } from "bun:test"
import { join } from "node:path"
import type { Source, SourceClass } from "../../src/core/plugin.ts"
import type { SourceResult } from "../../src/core/source-result.ts"
import { promName } from "../../src/core/naming.ts"
import { toValueSets, type ProbeResult } from "../../src/core/value-set.ts"
import { makeSource, resultOf } from "./context.ts"

export const FIXTURES = join(import.meta.dir, "..", "fixtures")

/** Points /proc and /sys at fixture trees (names under test/fixtures) until the test ends. */
export function useFixtureRoots(): (proc: string, sys?: string) => void {
  const saved = { proc: process.env.POLLECT_PROCFS, sys: process.env.POLLECT_SYSFS }
  afterEach(() => {
    restore("POLLECT_PROCFS", saved.proc)
    restore("POLLECT_SYSFS", saved.sys)
  })
  return (proc, sys) => {
    process.env.POLLECT_PROCFS = join(FIXTURES, proc)
    if (sys) process.env.POLLECT_SYSFS = join(FIXTURES, sys)
    else delete process.env.POLLECT_SYSFS
  }
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}

/** A source whose rate clock is `clock.now` (milliseconds): kept for old callers, same as `makeSource(cls, config, { clock })`. */
export function makeClockedSource<S extends Source>(cls: SourceClass, config: Record<string, unknown>, clock: { now: number }): S {
  return makeSource<S>(cls, config, { clock })
}

export { byGraphitePath } from "./context.ts"

/** Original-style Prometheus series (`pollect_Interface_sent_bytes_sec{interface="eth0"}`) → value. */
export function byPromSeries(probe: ProbeResult, type: string, name?: string): Map<string, number> {
  const result: SourceResult = resultOf(probe, { type, name })
  const out = new Map<string, number>()
  for (const set of toValueSets(probe)) {
    for (const value of set.values) {
      const labels = set.labels.map((label, i) => `${label}="${value.labelValues[i]}"`).join(",")
      out.set(`${promName(result, set, value, "pollect")}${labels ? `{${labels}}` : ""}`, value.value)
    }
  }
  return out
}

/**
 * Runs `fn` with /proc and /sys pointed at `<root>/proc` and `<root>/sys` (a golden case's
 * recorded host), and puts them back after, even when `fn` throws.
 */
export async function withHostRoot<T>(root: string, fn: () => T | Promise<T>): Promise<T> {
  const saved = { proc: process.env.POLLECT_PROCFS, sys: process.env.POLLECT_SYSFS }
  process.env.POLLECT_PROCFS = join(root, "proc")
  process.env.POLLECT_SYSFS = join(root, "sys")
  try {
    return await fn()
  } finally {
    restore("POLLECT_PROCFS", saved.proc)
    restore("POLLECT_SYSFS", saved.sys)
  }
}
