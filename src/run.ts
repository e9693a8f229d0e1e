/** The daemon's life: load the config, start, tick until SIGINT/SIGTERM (SIGHUP reloads), flush, exit. */
import { Agent, WriterStartError } from "./agent.ts"
import { DEFAULT_CONFIG, DEFAULT_CONFIG_SUMMARY } from "./config/default.ts"
import { ConfigError } from "./config/errors.ts"
import { loadConfigFile, resolveConfig, type LoadedConfig } from "./config/index.ts"
import { errorMessage, type Logger } from "./core/log.ts"
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

/** The self-metric counting SIGHUP reloads, by `result`: success or failure. */
export const RELOADS_METRIC = "pollect_config_reloads_total"

/**
 * SIGHUP: re-reads the config file and swaps it in (Agent.reload); a config with problems, or
 * one whose new writers cannot start, is logged and the running config stays. Extension files
 * already imported are not imported again (a new file is). Reloads run one after the other.
 */
export async function reload(agent: Agent, file: string | undefined, log: Logger): Promise<boolean> {
  if (!file) {
    log.info("SIGHUP: running the embedded default config (no --config): nothing to re-read, keeps running")
    return true
  }
  log.info(`SIGHUP: reloading ${file}`)
  const failed = (lines: string[]) => {
    agent.selfMetrics.count(RELOADS_METRIC, { result: "failure" })
    for (const line of lines) log.error(line)
    return false
  }
  let next: LoadedConfig
  try {
    next = await load(file, log)
  } catch (error) {
    if (!(error instanceof ConfigError)) return failed([`reload failed, the running config stays: ${errorMessage(error)}`])
    const [head, ...problems] = error.describe().split("\n")
    return failed([`reload failed, the running config stays: ${head}`, ...problems])
  }
  try {
    const { executors, sources, writers } = await agent.reload(next)
    agent.selfMetrics.count(RELOADS_METRIC, { result: "success" })
    agent.options.status?.configLoaded(file, Date.now())
    log.info(
      `reloaded ${file}: ${executors.kept} executor(s) kept, ${executors.rebuilt} rebuilt; ` +
        `sources ${sources.kept} kept, ${sources.added} new, ${sources.removed} removed; ` +
        `writers ${writers.kept} kept, ${writers.added} new, ${writers.removed} removed`,
    )
    return true
  } catch (error) {
    return failed([`reload failed, the running config stays: ${errorMessage(error)}`])
  }
}

/** Runs until a signal (or one tick with `once`); resolves with the exit code. */
export async function run(options: RunOptions): Promise<number> {
  // Without a listener SIGHUP would kill pollect; until the agent runs, a reload waits for it.
  let onHangup: () => void = () => {
    hangupPending = true
  }
  let hangupPending = false
  const hangup = () => onHangup()
  process.on("SIGHUP", hangup)
  try {
    return await runAgent(options, (handler) => {
      onHangup = handler
      if (hangupPending) handler()
    })
  } finally {
    process.off("SIGHUP", hangup)
  }
}

async function runAgent(options: RunOptions, onHangup: (handler: () => void) => void): Promise<number> {
  const { log } = options
  if (options.config) log.info(`pollect ${VERSION} starting with ${options.config}`)
  else log.info(`pollect ${VERSION}: no --config given, running the embedded default config (${DEFAULT_CONFIG_SUMMARY})`)

  const config = await load(options.config, log)
  const startedAt = Date.now()
  const board =
    config.status && !options.once
      ? new (require("./status/status-board.ts") as typeof import("./status/status-board.ts")).StatusBoard({
          historySeries: config.status.historySeries,
          version: VERSION,
          startedAt,
        })
      : undefined
  board?.configLoaded(options.config, startedAt)
  const agent = new Agent(config, { log, dryRun: options.dryRun, once: options.once, status: board })
  const sources = agent.executors.reduce((n, e) => n + e.slots.length, 0)
  const statusServer =
    board && config.status
      ? new (require("./status/status-server.ts") as typeof import("./status/status-server.ts")).StatusServer({
          options: config.status,
          configDir: config.configDir,
          log: log.child("status"),
          document: (history) =>
            board.document({
              executors: agent.executors,
              writers: agent.writers,
              selfMetrics: agent.selfMetrics,
              now: Date.now(),
              history,
            }),
        })
      : undefined

  if (options.once) {
    // A signal during the one tick lets it finish (probes are bounded by their timeouts) and flush; a second ends at once.
    const finish = (signal: string) => () => {
      log.info(`${signal}: finishing this tick, then flushing`)
      process.once(signal, () => process.exit(1))
    }
    process.once("SIGINT", finish("SIGINT"))
    process.once("SIGTERM", finish("SIGTERM"))
    onHangup(() => log.info("SIGHUP: ignored with --once"))
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
  // Its port is checked first: a status page that cannot listen stops pollect at start (exit 2), as a writer does.
  await statusServer?.start().catch((error: unknown) => {
    throw new WriterStartError(errorMessage(error))
  })
  try {
    await agent.start()
  } catch (error) {
    await statusServer?.stop()
    throw error
  }
  log.info(`running ${agent.executors.length} executor(s), ${sources} source(s), ${agent.writers.length} writer(s)`)
  agent.selfMetrics.count(RELOADS_METRIC, { result: "success" }, 0)
  agent.selfMetrics.count(RELOADS_METRIC, { result: "failure" }, 0)
  // One reload at a time: a SIGHUP during a reload runs another one after it (the file may have changed again).
  let reloading: Promise<unknown> = Promise.resolve()
  let stopping = false
  onHangup(() => {
    if (stopping) return log.info("SIGHUP: ignored, stopping")
    reloading = reloading.then(() => (stopping ? undefined : reload(agent, options.config, log)))
  })
  const signal = await stopSignal
  stopping = true
  log.info(`${signal}: stopping (waiting for running ticks, flushing writers)`)
  // A second signal while flushing (or while a reload in progress finishes) ends at once.
  const force = () => process.exit(1)
  process.once("SIGINT", force)
  process.once("SIGTERM", force)
  await reloading
  await agent.stop()
  await statusServer?.stop()
  log.info("stopped")
  return 0
}
