/** Builds the `ctx` a source sees (see SourceContext in plugin.ts). */
import { spawnTool } from "./spawn.ts"
import { registerSecret, type Logger } from "./log.ts"
import type { SourceContext } from "./plugin.ts"
import { RateTracker } from "./rate.ts"

/** The context plus the handle the executor uses to arm each probe's deadline. */
export interface SourceContextHandle {
  ctx: SourceContext
  /** `timeoutMs`: the probe's timeout, which `ctx.timeoutMs` shows the source. */
  setSignal(signal: AbortSignal, timeoutMs?: number): void
}

export function createSourceContext(options: {
  log: Logger
  stateDir: string
  configDir: string
  /** Default "1.0". */
  compat?: "1.0" | "1.2"
}): SourceContextHandle {
  let signal = new AbortController().signal
  let timeoutMs: number | undefined
  const withDeadline = (own?: AbortSignal | null) => (own ? AbortSignal.any([own, signal]) : signal)
  const ctx: SourceContext = {
    log: options.log,
    stateDir: options.stateDir,
    configDir: options.configDir,
    rate: new RateTracker(),
    get signal() {
      return signal
    },
    get timeoutMs() {
      return timeoutMs
    },
    spawn: (argv, spawnOptions = {}) => spawnTool(argv, { ...spawnOptions, signal: withDeadline(spawnOptions.signal) }),
    fetch: (input, init = {}) => fetch(input, { ...init, signal: withDeadline(init.signal) }),
    registerSecret,
    compat: options.compat ?? "1.0",
  }
  return {
    ctx,
    setSignal: (next, ms) => {
      signal = next
      timeoutMs = ms
    },
  }
}
