/**
 * Text to stdout and stderr with plain `write(2)` calls, as Node's own stdio does on Linux for
 * files and pipes (synchronously), but without evaluating Node's stream machinery: touching
 * `process.stdout` or `process.stderr` costs a daemon about 4.6 MB of runtime code and 2 MB of
 * heap (bench/RESULTS.md, "Footprint"). The log and DryRun write through here.
 *
 * - A reader that went away (`pollect --dry-run | head`; EPIPE, or ECONNRESET when the descriptor
 *   is a socket): stdout ends the process with 0, as a Unix filter does; stderr drops the line
 *   (there is nowhere left to tell).
 * - A descriptor someone made non-blocking (EAGAIN): from then on that stream goes through
 *   `process.stdout`/`process.stderr`, which queue and retry, so no line is lost or reordered.
 *
 * @example
 * writeStdout("('pollect.loadavg.short', (1700000000, 0.5))\n")
 */
import { writeSync } from "node:fs"

type Fd = 1 | 2

/** Streams that returned EAGAIN once: they go through Node's stream from then on. */
const viaStream = new Set<Fd>()

const streamOf = (fd: Fd) => (fd === 1 ? process.stdout : process.stderr)

/** Writes all of `text` to `fd`; `write` is injected by tests. */
export function writeTo(fd: Fd, text: string, write: typeof writeSync = writeSync): void {
  if (viaStream.has(fd)) {
    streamOf(fd).write(text)
    return
  }
  const bytes = Buffer.from(text)
  let offset = 0
  try {
    while (offset < bytes.length) offset += write(fd, bytes, offset, bytes.length - offset)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "EAGAIN") {
      viaStream.add(fd)
      streamOf(fd).write(bytes.subarray(offset))
    } else if (code === "EPIPE" || code === "ECONNRESET") {
      // ECONNRESET: the descriptor is a socket (journald, a parent's socketpair) whose reader closed.
      if (fd === 1) process.exit(0)
    } else throw error
  }
}

/** Writes `text` to stdout (no newline added). */
export function writeStdout(text: string): void {
  writeTo(1, text)
}

/** Writes `text` to stderr (no newline added). */
export function writeStderr(text: string): void {
  writeTo(2, text)
}
