/**
 * A /proc/<pid> file kept open between probes. Reading it again is one pread at offset 0 (the
 * kernel writes the file anew), where a fresh read costs open + read + read + close: measured on
 * this machine, /proc/<pid>/stat 5.5 µs instead of 11.7 µs, /proc/<pid>/status 10.7 µs instead of
 * 18.6 µs. The descriptor belongs to the process, not to its pid: once the process has exited a
 * read fails (ESRCH), even if a new process got the same pid, so what it reads is always the
 * process it was opened for.
 */
import { closeSync, openSync, readSync } from "node:fs"

/** Larger than any stat line and than a status of today's kernels (~1.5 kB). */
const SHARED = Buffer.allocUnsafe(16 * 1024)
/** A file is read up to this size (a status with thousands of supplementary groups still fits). */
const MAX_BYTES = 1024 * 1024
/** Errors meaning the process is gone (or hidden from us): not a failure of the probe. */
const GONE = new Set(["ENOENT", "ESRCH", "ENOTDIR", "EACCES", "EPERM", "EINVAL"])

export class OpenProcFile {
  private fd: number | undefined

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd
  }

  /** Opens `path`; undefined if the process is gone. */
  static open(path: string): OpenProcFile | undefined {
    try {
      return new OpenProcFile(path, openSync(path, "r"))
    } catch (error) {
      if (GONE.has((error as { code?: string }).code ?? "")) return undefined
      throw error
    }
  }

  /** The file's text now; undefined once the process has exited (the file is then closed). */
  read(): string | undefined {
    // A file longer than the buffer is read again whole into a larger one, through the same
    // descriptor (never by path: that pid may be another process by now).
    for (let buffer = SHARED; ; buffer = Buffer.allocUnsafe(buffer.length * 4)) {
      if (this.fd === undefined) return undefined
      let length: number
      try {
        length = readSync(this.fd, buffer, 0, buffer.length, 0)
      } catch (error) {
        if (!GONE.has((error as { code?: string }).code ?? "")) throw error
        this.close()
        return undefined
      }
      if (length < buffer.length || buffer.length >= MAX_BYTES) return buffer.toString("utf8", 0, length)
    }
  }

  /** Releases the descriptor; safe to call twice. */
  close(): void {
    if (this.fd === undefined) return
    const fd = this.fd
    this.fd = undefined
    try {
      closeSync(fd)
    } catch {
      // already closed: nothing to release
    }
  }
}
