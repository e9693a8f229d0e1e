#!/usr/bin/env bun
/**
 * The command line: `pollect --config FILE [--dry-run] [--once]`, `pollect check`, `pollect schema`,
 * `pollect status`.
 * pollect 1.2's flags work as they did: `-c`, `-r` (`--dry-run`), `-d` (`--debug`),
 * `--log-level warning`, `--config NAME` without a suffix (NAME.yml, NAME.yaml or NAME.json).
 */
import { defineCommand, runMain } from "citty"
import { WriterStartError } from "./agent.ts"
import { DEFAULT_CONFIG } from "./config/default.ts"
import { ConfigError } from "./config/errors.ts"
import { findConfigFile } from "./config/load.ts"
import { fullConfigSchema } from "./config/schema.ts"
import { createLogger, errorMessage, LOG_LEVELS, redact, type LogLevel } from "./core/log.ts"
import { writeStderr, writeStdout } from "./core/stdio.ts"
import { builtinRegistry } from "./registry.ts"
import { load, run, VERSION } from "./run.ts"

const EXIT_CONFIG = 2

const configArg = {
  type: "string",
  alias: "c",
  valueHint: "FILE",
  description:
    "Config file, JSON (comments allowed) or YAML; a NAME without suffix is found as NAME.yml, NAME.yaml or NAME.json (as in 1.2). Without it, the embedded default config runs.",
} as const

/** `warning` is pollect 1.2's name for `warn`. */
const logLevelArg: { type: "enum"; options: string[]; default: string; description: string } = {
  type: "enum",
  options: [...LOG_LEVELS, "warning"],
  default: "info",
  description: "Least severe log level printed to stderr (`warning` = `warn`)",
}

const debugArg = { type: "boolean", alias: "d", description: "Shortcut for --log-level debug (as pollect 1.2)" } as const

/** The log level the flags ask for: `-d` wins, as in pollect 1.2. */
function levelOf(args: { "log-level": string; debug?: boolean }): LogLevel {
  if (args.debug) return "debug"
  return args["log-level"] === "warning" ? "warn" : (args["log-level"] as LogLevel)
}

/**
 * Prints user mistakes plainly (exit 2) and anything else without a stack unless --log-level
 * debug; these lines bypass the logger, so they are masked here.
 */
function fail(error: unknown, level: string): never {
  const print = (text: string) => writeStderr(redact(text) + "\n")
  if (error instanceof ConfigError) {
    print(error.describe())
    process.exit(EXIT_CONFIG)
  }
  if (error instanceof WriterStartError) {
    print(`pollect: ${error.message}`)
    process.exit(EXIT_CONFIG)
  }
  print(`pollect: ${level === "debug" && error instanceof Error ? error.stack : errorMessage(error)}`)
  process.exit(1)
}

const check = defineCommand({
  meta: { name: "check", description: "Validate a config file (and the extensions it loads) without running it; exit 2 if invalid" },
  args: { config: { ...configArg, required: true }, "log-level": logLevelArg, debug: debugArg },
  async run({ args }) {
    const level = levelOf(args)
    const log = createLogger({ level })
    try {
      const file = findConfigFile(args.config)
      const config = await load(file, log)
      const sources = config.executors.reduce((n, e) => n + e.sources.length, 0)
      writeStdout(`${file}: OK (${config.executors.length} executor(s), ${sources} source(s))\n`)
    } catch (error) {
      fail(error, level)
    }
  },
})

const schema = defineCommand({
  meta: { name: "schema", description: "Print the JSON Schema of the config (every built-in source and writer), for editor completion" },
  run() {
    // Loaded for this command only: a daemon's start never evaluates the JSON Schema converter.
    const { toJsonSchema } = require("@valibot/to-json-schema") as typeof import("@valibot/to-json-schema")
    const jsonSchema = toJsonSchema(fullConfigSchema(builtinRegistry()), { errorMode: "ignore", typeMode: "input" })
    writeStdout(JSON.stringify({ title: "pollect config", ...jsonSchema }, null, 2) + "\n")
  },
})

const defaultConfig = defineCommand({
  meta: {
    name: "default-config",
    description: "Print the embedded default config as JSON (install.sh writes it to /etc/pollect/config.json)",
  },
  run() {
    writeStdout(JSON.stringify(DEFAULT_CONFIG, null, 2) + "\n")
  },
})

const status = defineCommand({
  meta: {
    name: "status",
    description:
      "Print what a running pollect collects, what fails and where it writes (its status page, as tables); exit 1 if something fails",
  },
  args: {
    url: {
      type: "string",
      valueHint: "URL",
      default: "http://127.0.0.1:9465/",
      description:
        "The status page of the pollect to ask (the config's status.host and status.port); credentials as http://user:password@host:port/",
    },
    json: { type: "boolean", description: "Print the status document (/status.json) as it came" },
    insecure: { type: "boolean", description: "Accept a TLS certificate that does not verify (a self-signed one)" },
  },
  async run({ args }) {
    try {
      const { fetchStatus, statusExitCode, statusTable } = require("./status/status-table.ts") as typeof import("./status/status-table.ts")
      const doc = await fetchStatus(args.url, { insecure: args.insecure ?? false })
      writeStdout(args.json ? `${JSON.stringify(doc, null, 2)}\n` : statusTable(doc))
      process.exit(statusExitCode(doc))
    } catch (error) {
      writeStderr(`pollect status: ${redact(errorMessage(error))}\n`)
      process.exit(EXIT_CONFIG)
    }
  },
})

const SUBCOMMANDS = { check, schema, "default-config": defaultConfig, status }

export const main = defineCommand({
  meta: {
    name: "pollect",
    version: VERSION,
    description: "Probe system and application metrics at fixed intervals and write them to stdout, Graphite or Prometheus",
  },
  args: {
    config: configArg,
    "dry-run": {
      type: "boolean",
      alias: "r",
      description: "Replace every writer by DryRun: print the values to stdout instead of sending them",
    },
    once: {
      type: "boolean",
      description: "Run one tick of every executor with every source, flush, exit (0: all probes succeeded, 1: some failed)",
    },
    "log-level": logLevelArg,
    debug: debugArg,
    dependencies: {
      type: "boolean",
      description: "As in 1.2 (which printed the pip packages a config needs): says that nothing is to install, every plugin is built in",
    },
  },
  subCommands: SUBCOMMANDS,
  async run({ args }) {
    // citty runs this after a subcommand too; the subcommand already did the work.
    if (args._[0] && args._[0] in SUBCOMMANDS) return
    if (args.dependencies) {
      writeStdout("pollect: no dependencies to install: every source and writer is built into this pollect\n")
      return
    }
    const level = levelOf(args)
    const log = createLogger({ level })
    try {
      const config = args.config === undefined ? undefined : findConfigFile(args.config)
      process.exitCode = await run({ config, dryRun: args["dry-run"] ?? false, once: args.once ?? false, log })
    } catch (error) {
      fail(error, level)
    }
    // Timers of libraries (sockets, keep-alive agents) must not keep a finished run alive.
    process.exit(process.exitCode ?? 0)
  },
})

if (import.meta.main) void runMain(main)
