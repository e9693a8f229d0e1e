/**
 * Where the host's /proc and /sys are. Tests and containers point these elsewhere with
 * POLLECT_PROCFS / POLLECT_SYSFS (as node_exporter's --path.procfs), read at each call so a
 * test can switch roots between probes.
 */
import { join } from "node:path"

export function procPath(...parts: string[]): string {
  return join(process.env.POLLECT_PROCFS || "/proc", ...parts)
}

export function sysPath(...parts: string[]): string {
  return join(process.env.POLLECT_SYSFS || "/sys", ...parts)
}

/** A file's text, or undefined when it does not exist (no /proc on macOS, a process that exited). */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Bun.file(path).text()
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === "ENOENT" || code === "ESRCH" || code === "ENOTDIR") return undefined
    throw error
  }
}
