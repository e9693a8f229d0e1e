/**
 * makeSource with a logger that keeps every line (debug and up), to check what a source logs.
 * A thin wrapper kept for the tests that still call it: new tests use
 * `makeSource(cls, config, { log: lines })` from context.ts.
 */
import type { Source, SourceClass } from "../../src/core/plugin.ts"
import { makeSource, tempDir } from "./context.ts"

export function makeLoggedSource<S extends Source>(
  cls: SourceClass,
  config: Record<string, unknown>,
  dirs: { stateDir?: string } = {},
): { source: S; lines: string[]; stateDir: string } {
  const lines: string[] = []
  const stateDir = dirs.stateDir ?? tempDir()
  return { source: makeSource<S>(cls, config, { stateDir, log: lines }), lines, stateDir }
}
