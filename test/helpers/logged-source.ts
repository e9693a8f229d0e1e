/** makeSource with a logger that keeps every line (debug and up), to check what a source logs. */
import * as v from "valibot"
import { createLogger } from "../../src/core/log.ts"
import type { Source, SourceClass } from "../../src/core/plugin.ts"
import { createSourceContext } from "../../src/core/source-context.ts"
import { tempDir } from "./context.ts"

export function makeLoggedSource<S extends Source>(
  cls: SourceClass,
  config: Record<string, unknown>,
  dirs: { stateDir?: string } = {},
): { source: S; lines: string[]; stateDir: string } {
  const lines: string[] = []
  const stateDir = dirs.stateDir ?? tempDir()
  const parsed = v.parse(cls.options, config)
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) }, String(config.type ?? "source"))
  const { ctx } = createSourceContext({ log, stateDir, configDir: process.cwd() })
  return { source: new cls({ ...config, ...parsed }, ctx) as S, lines, stateDir }
}
