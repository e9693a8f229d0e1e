/**
 * Logging to stderr, one line per event. Secrets registered here are masked in every line,
 * so a password that ends up in an error message (a URL with credentials, say) never reaches the log.
 */
import { writeStderr } from "./stdio.ts"

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  /** A logger whose lines carry `[scope]`. */
  child(scope: string): Logger
}

/**
 * Longest first: a secret that contains another (a token holding a short password) is masked
 * whole; masked in the order registered, the shorter one's stars left the rest of the longer
 * one in the line (`s3cr3t-***en`).
 */
let secrets: readonly string[] = []

/** Masks `value` in every log line from now on. Short values are ignored (they would mask too much). */
export function registerSecret(value: string): void {
  if (value.length < 3 || secrets.includes(value)) return
  secrets = [...secrets, value].sort((a, b) => b.length - a.length)
}

/**
 * The registered secrets and a way back to them: tests that load sample configs with weak
 * passwords (`password`, `000`) restore the set afterwards, so other tests' log lines keep their words.
 */
export function secretsSnapshot(): () => void {
  const saved = secrets
  return () => {
    secrets = saved
  }
}

/** Where a compiled binary's own code lives (`/$bunfs/root/pollect`, `B:\\~BUN\\root\\` on Windows): meaningless to a user. */
const EMBEDDED_ROOT = /\/\$bunfs\/root\/|B:[\\/]~BUN[\\/]root[\\/]/g

export function redact(text: string): string {
  if (text.includes("~BUN") || text.includes("$bunfs")) text = text.replace(EMBEDDED_ROOT, "")
  for (const secret of secrets) {
    if (text.includes(secret)) text = text.split(secret).join("***")
  }
  return text
}

export interface LoggerOptions {
  level?: LogLevel
  /** Where lines go; stderr by default. */
  write?: (line: string) => void
}

export function createLogger(options: LoggerOptions = {}, scope?: string): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info")
  const write = options.write ?? ((line: string) => writeStderr(line + "\n"))
  const prefix = scope ? `[${scope}] ` : ""
  const emit = (level: LogLevel) => (message: string) => {
    if (LOG_LEVELS.indexOf(level) < threshold) return
    write(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${prefix}${redact(message)}`)
  }
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (child) => createLogger(options, scope ? `${scope}.${child}` : child),
  }
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = createLogger({ write: () => {} })

/** The message of anything thrown, without a stack trace. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ""
    return error.message + cause
  }
  return String(error)
}
