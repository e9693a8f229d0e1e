import type { Logger } from "./log.ts"

/**
 * Logs a failing thing once when it starts failing and once when it recovers, not on every
 * tick: a source down for a day must not flood the log.
 */
export class FailureLatch {
  private readonly failing = new Map<string, string>()

  constructor(private readonly log: Logger) {}

  fail(key: string, what: string, message: string): void {
    if (this.failing.get(key) === message) return
    const again = this.failing.has(key) ? " (now)" : ""
    this.failing.set(key, message)
    this.log.warn(`${what} failed${again}: ${message}`)
  }

  ok(key: string, what: string): void {
    if (!this.failing.delete(key)) return
    this.log.info(`${what} recovered`)
  }
}
