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
