/**
 * Integration tests need real programs (carbon-cache, snmpd, named, promtool ...). Outside CI a
 * missing one skips the test with a note; under CI=true it is a failure, as .ci/run installs them.
 */
import { it } from "bun:test"

export const IN_CI = process.env.CI === "true" || process.env.CI === "1"

/** The path of `tool`, looking also in sbin folders (daemons live there). */
export function findTool(tool: string): string | null {
  return Bun.which(tool, { PATH: `${process.env.PATH}:/usr/sbin:/sbin:/usr/local/sbin` })
}

export function missingTools(tools: string[]): string[] {
  return tools.filter((tool) => !findTool(tool))
}

/** `it`, skipped (outside CI) when one of `tools` is missing; under CI it runs and fails. */
export function itWithTools(tools: string[], name: string, fn: () => unknown, timeoutMs?: number): void {
  const missing = missingTools(tools)
  if (missing.length && !IN_CI) {
    it.skip(`${name} [needs ${missing.join(", ")}]`, () => {})
    return
  }
  const run = async () => {
    if (missing.length) throw new Error(`missing ${missing.join(", ")}: .ci/run should have installed it`)
    await fn()
  }
  // An explicit `undefined` timeout makes bun use its 5 s default instead of bunfig.toml's.
  if (timeoutMs === undefined) it(name, run)
  else it(name, run, timeoutMs)
}
