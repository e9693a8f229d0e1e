/**
 * Writes a file atomically: a temp file beside the target, then rename, so a reader (or a crash
 * mid-write) never sees half a file. `mode` applies to the new file (0o600 for tokens).
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, basename } from "node:path"

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(temp, data, { mode })
    renameSync(temp, path)
  } catch (error) {
    try {
      rmSync(temp, { force: true })
    } catch {
      // No temp file to remove (its folder is missing or a file: Bun's rm says EFAULT then).
    }
    // The same message every time (not the temp file's changing name), so a failure is logged once.
    const code = (error as { code?: string }).code
    throw Object.assign(new Error(`cannot write ${path}: ${code ?? (error as Error).message}`), { code })
  }
}
