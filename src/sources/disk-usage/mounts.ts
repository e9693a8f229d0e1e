/** /proc/self/mounts (fstab format) → mounted filesystems. */

export interface Mount {
  device: string
  mountPoint: string
  fsType: string
  options: string
}

/** Octal escapes the kernel writes for space, tab, newline and backslash (`/mnt/my\040disk`). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
}

export function parseMounts(text: string): Mount[] {
  const mounts: Mount[] = []
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 4) continue
    const [device, mountPoint, fsType, options] = fields.map(unescapeMountField) as [string, string, string, string]
    mounts.push({ device, mountPoint, fsType, options })
  }
  return mounts
}

/**
 * Filesystem types that hold no user data: kernel interfaces, memory-backed and layered mounts,
 * read-only images. Skipped unless listed (as node_exporter and `df -x` do).
 */
export const PSEUDO_FS_TYPES: ReadonlySet<string> = new Set([
  "autofs",
  "binfmt_misc",
  "bpf",
  "cgroup",
  "cgroup2",
  "configfs",
  "debugfs",
  "devpts",
  "devtmpfs",
  "efivarfs",
  "erofs",
  "fuse.gvfsd-fuse",
  "fuse.lxcfs",
  "fuse.portal",
  "fusectl",
  "hugetlbfs",
  "iso9660",
  "mqueue",
  "nsfs",
  "overlay",
  "proc",
  "pstore",
  "ramfs",
  "rootfs",
  "rpc_pipefs",
  "securityfs",
  "selinuxfs",
  "squashfs",
  "sysfs",
  "tmpfs",
  "tracefs",
  "nfsd",
  "aufs",
  "shm",
  "none",
  // macOS
  "devfs",
  "map",
  "nullfs",
])
