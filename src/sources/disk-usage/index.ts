/**
 * `DiskUsage`: size, used and free bytes (`disk="_home",type="total|used|free"`, as the original)
 * and `percent` used (new, as `df` counts it) of filesystems, via statfs. With `disks` it probes
 * exactly those paths or devices (the original's option); without, every mounted real filesystem
 * (pseudo, tmpfs and overlay mounts skipped unless `include` lists them). Without /proc (macOS)
 * the mount list comes from systeminformation (it runs `df`/`mount`); statfs works there too.
 */
import { statfs } from "node:fs/promises"
import { Source, ValueSet } from "../../api.ts"
import { procPath } from "../../lib/proc/host-paths.ts"
import { nameFilter } from "../../lib/options/name-filter.ts"
import { readProcFile } from "../../lib/proc/proc-read.ts"
import { metrics } from "./metrics.ts"
import { PSEUDO_FS_TYPES, parseMounts, type Mount } from "./mounts.ts"
import { options, type DiskUsageOptions } from "./options.ts"

/** What statfs gives, as far as DiskUsage needs it (node's StatsFs; Bun adds `frsize`). */
export interface StatFsFigures {
  bsize: number
  frsize?: number
  blocks: number
  bfree: number
  bavail: number
}

export type StatFs = (path: string) => Promise<StatFsFigures>

export interface DiskTarget {
  /** The `disk` label, sanitised as the original did (`/home` → `_home`). */
  label: string
  /** What statfs is called on. */
  path: string
}

export interface DiskSpace {
  total: number
  used: number
  free: number
  percent: number
}

export class DiskUsageSource extends Source<DiskUsageOptions> {
  static override readonly options = options
  static override readonly metrics = metrics
  /** The statfs call; a field so a test can replay recorded results (testdata/<case>/statfs.json). */
  protected readonly statfs: StatFs = statfs

  override async probe(): Promise<ValueSet[]> {
    const table = readProcFile(procPath("self/mounts")) ?? readProcFile(procPath("mounts"))
    const targets = this.config.disks?.length
      ? listedTargets(this.config.disks, parseMounts(table ?? ""))
      : mountedTargets(table === undefined ? await osMounts() : parseMounts(table), this.config)
    const spaces = await Promise.all(targets.map((target) => diskSpace(target.path, this.statfs)))
    const bytes = new ValueSet(metrics.space)
    const percent = new ValueSet(metrics.percent)
    targets.forEach((target, i) => {
      const space = spaces[i]
      if (!space) return // gone since the mount table was read, as the original skipped it
      bytes.add(space.total, [target.label, "total"]).add(space.used, [target.label, "used"]).add(space.free, [target.label, "free"])
      percent.add(space.percent, [target.label], "percent")
    })
    return [bytes, percent]
  }
}

/** The original's disk label: `/` → `_`, `/var/log` → `_var_log`, `C:\` → `C`. */
export function sanitizeDiskName(disk: string): string {
  const path = disk.replace(/\\/g, "/").replace(/:/g, "")
  return path.startsWith("/") ? path.replace(/\//g, "_") : path.replace(/\//g, "")
}

/** `disks` entries: a device probes where it is mounted; anything else is a path. */
export function listedTargets(disks: readonly string[], mounts: readonly Mount[]): DiskTarget[] {
  return disks.map((disk) => {
    const isMountPoint = mounts.some((m) => m.mountPoint === disk)
    const mountedDevice = isMountPoint ? undefined : mounts.find((m) => m.device === disk)
    return { label: sanitizeDiskName(disk), path: mountedDevice?.mountPoint ?? disk }
  })
}

/** Every real mounted filesystem once (bind mounts of the same device show up once, first wins). */
export function mountedTargets(mounts: readonly Mount[], filter: { include?: string[]; exclude?: string[] }): DiskTarget[] {
  const accept = nameFilter(filter)
  // A later mount over the same point hides the earlier one: statfs sees the last, so judge that.
  const visible = new Map<string, Mount>()
  for (const mount of mounts) visible.set(mount.mountPoint, mount)
  const seenDevices = new Set<string>()
  const targets: DiskTarget[] = []
  for (const mount of visible.values()) {
    if (!accept([mount.mountPoint, mount.device], PSEUDO_FS_TYPES.has(mount.fsType))) continue
    // A device mounted twice (bind mounts) counts once.
    if (!filter.include?.length && seenDevices.has(mount.device)) continue
    seenDevices.add(mount.device)
    targets.push({ label: sanitizeDiskName(mount.mountPoint), path: mount.mountPoint })
  }
  return targets
}

/** statfs in bytes; undefined when the path is gone (unmounted between listing and probing). */
export async function diskSpace(path: string, stat: StatFs = statfs): Promise<DiskSpace | undefined> {
  let stats: StatFsFigures
  try {
    stats = await stat(path)
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === "ENOENT" || code === "ENOTDIR") return undefined
    throw new Error(`statfs ${path}: ${(error as Error).message}`)
  }
  const blockSize = stats.frsize || stats.bsize
  const total = stats.blocks * blockSize
  const used = (stats.blocks - stats.bfree) * blockSize
  const free = stats.bavail * blockSize
  // As df: used of what users can have (root's reserve left out); one decimal.
  const percent = used + free > 0 ? Math.round((used / (used + free)) * 1000) / 10 : 0
  return { total, used, free, percent }
}

/** systeminformation's fsSize() entries, as far as the mount list needs them. */
export interface FsSizeEntry {
  fs: string
  type: string
  mount: string
}

export function mountsFromFsSize(entries: readonly FsSizeEntry[]): Mount[] {
  return entries.filter((e) => e.mount).map((e) => ({ device: e.fs, mountPoint: e.mount, fsType: e.type, options: "" }))
}

/** No /proc (macOS): the mounted filesystems as systeminformation lists them; loaded only here. */
async function osMounts(): Promise<Mount[]> {
  const si = await import("systeminformation")
  return mountsFromFsSize(await si.fsSize())
}
