/** The daemon's life: load the config, start, tick until SIGINT/SIGTERM, flush, exit. */
import { Agent } from "./agent.ts"
import { DEFAULT_CONFIG, DEFAULT_CONFIG_SUMMARY } from "./config/default.ts"
import { loadConfigFile, resolveConfig, type LoadedConfig } from "./config/index.ts"
import type { Logger } from "./core/log.ts"
import { builtinRegistry } from "./registry.ts"
import pkg from "../package.json" with { type: "json" }

export const VERSION: string = pkg.version

export interface RunOptions {
  config?: string
  dryRun: boolean
  once: boolean
  log: Logger
}

/** Loads and validates; logs what was loaded. Throws ConfigError on a bad config. */
export async function load(file: string | undefined, log: Logger): Promise<LoadedConfig> {
  const registry = builtinRegistry()
  const config = file ? await loadConfigFile(file, registry) : await resolveConfig(DEFAULT_CONFIG, registry)
  for (const extension of config.loadedExtensions) {
    const what = [...extension.sources.map((t) => `source ${t}`), ...extension.writers.map((t) => `writer ${t}`)].join(", ")
    log.info(`extension ${extension.file}: ${what}`)
  }
  for (const warning of config.warnings) log.warn(warning)
  return config
}

/** Runs until a signal (or one tick with `once`); resolves with the exit code. */
export async function run(options: RunOptions): Promise<number> {
  const { log } = options
  if (options.config) log.info(`pollect ${VERSION} starting with ${options.config}`)
  else log.info(`pollect ${VERSION}: no --config given, running the embedded default config (${DEFAULT_CONFIG_SUMMARY})`)

  const config = await load(options.config, log)
  const agent = new Agent(config, { log, dryRun: options.dryRun, once: options.once })
  const sources = agent.executors.reduce((n, e) => n + e.slots.length, 0)

  if (options.once) {
    // A signal during the one tick lets it finish (probes are bounded by their timeouts) and flush; a second ends at once.
    const finish = (signal: string) => () => {
      log.info(`${signal}: finishing this tick, then flushing`)
      process.once(signal, () => process.exit(1))
    }
    process.once("SIGINT", finish("SIGINT"))
    process.once("SIGTERM", finish("SIGTERM"))
    await agent.startWriters()
    const ok = await agent.runOnce()
    await agent.stop()
    return ok ? 0 : 1
  }

  // Listening before the first tick starts: a signal during it (or during start) stops cleanly too.
  const stopSignal = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"))
    process.once("SIGTERM", () => resolve("SIGTERM"))
  })
  await agent.start()
  log.info(`running ${agent.executors.length} executor(s), ${sources} source(s), ${agent.writers.length} writer(s)`)
  const signal = await stopSignal
  log.info(`${signal}: stopping (waiting for running ticks, flushing writers)`)
  // A second signal while flushing ends at once.
  const force = () => process.exit(1)
  process.once("SIGINT", force)
  process.once("SIGTERM", force)
  await agent.stop()
  log.info("stopped")
  return 0
}
