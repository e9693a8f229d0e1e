/**
 * Token caches in the state directory. A cache that cannot be written (a read-only or missing
 * stateDir) must not cost a sign-in per probe: the token stays in memory, and the problem is
 * logged once per folder, not once per probe.
 *
 * @example
 * saveState(join(ctx.stateDir, "viessmann_token.json"), JSON.stringify(token), (m) => ctx.log.warn(m))
 */
import { dirname } from "node:path"
import { writeFileAtomic } from "./atomic-file.ts"

/** Folders already reported as unwritable (process-wide: two sources share one stateDir). */
const unwritable = new Set<string>()

/** Writes `data` (mode 0600, atomically); false when it could not, after warning once for the folder. */
export function saveState(path: string, data: string, warn: (message: string) => void): boolean {
  const folder = dirname(path)
  try {
    writeFileAtomic(path, data, 0o600)
    unwritable.delete(folder)
    return true
  } catch (error) {
    if (!unwritable.has(folder)) {
      unwritable.add(folder)
      const reason = (error as { code?: string }).code ?? (error as Error).message
      warn(`cannot write the state directory ${folder} (${reason}); keeping the token in memory only (a restart signs in again)`)
    }
    return false
  }
}
