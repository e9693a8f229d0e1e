import type { Logger } from "./log.ts"

/** How a latch words its two lines; the default is the executor's (`<what> failed: <message>`, `<what> recovered`). */
export interface FailureLatchWording {
  /** The warning when `what` starts failing, or fails with a new message (`again`). */
  failed?: (what: string, message: string, again: boolean) => string
  /** The line when `what` works again. */
  recovered?: (what: string) => string
}

/**
 * Logs a failing thing once when it starts failing and once when it recovers, not on every
 * tick: a source down for a day must not flood the log.
 *
 * @example
 * const latch = new FailureLatch(log, { recovered: (what) => `${what}: readable again` })
 * latch.fail("/dev/sdb", "/dev/sdb", "No such device") // logged
 * latch.fail("/dev/sdb", "/dev/sdb", "No such device") // not again
 * latch.ok("/dev/sdb", "/dev/sdb")                      // "/dev/sdb: readable again"
 */
export class FailureLatch {
  private readonly failing = new Map<string, string>()

  constructor(
    private readonly log: Logger,
    private readonly wording: FailureLatchWording = {},
  ) {}

  fail(key: string, what: string, message: string): void {
    if (this.failing.get(key) === message) return
    const again = this.failing.has(key)
    this.failing.set(key, message)
    this.log.warn(this.wording.failed ? this.wording.failed(what, message, again) : `${what} failed${again ? " (now)" : ""}: ${message}`)
  }

  ok(key: string, what: string): void {
    if (!this.failing.delete(key)) return
    this.log.info(this.wording.recovered ? this.wording.recovered(what) : `${what} recovered`)
  }
}
