/** Builds the `ctx` a source sees (see SourceContext in plugin.ts). */
import { spawnTool } from "./spawn.ts"
import { registerSecret, type Logger } from "./log.ts"
import type { SourceContext } from "./plugin.ts"
import { RateTracker } from "./rate.ts"

/** The context plus the handle the executor uses to arm each probe's deadline. */
export interface SourceContextHandle {
  ctx: SourceContext
  setSignal(signal: AbortSignal): void
}

export function createSourceContext(options: { log: Logger; stateDir: string; configDir: string }): SourceContextHandle {
  let signal = new AbortController().signal
  const withDeadline = (own?: AbortSignal | null) => (own ? AbortSignal.any([own, signal]) : signal)
  const ctx: SourceContext = {
    log: options.log,
    stateDir: options.stateDir,
    configDir: options.configDir,
    rate: new RateTracker(),
    get signal() {
      return signal
    },
    spawn: (argv, spawnOptions = {}) => spawnTool(argv, { ...spawnOptions, signal: withDeadline(spawnOptions.signal) }),
    fetch: (input, init = {}) => fetch(input, { ...init, signal: withDeadline(init.signal) }),
    registerSecret,
  }
  return { ctx, setSignal: (next) => (signal = next) }
}
