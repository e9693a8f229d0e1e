import { describe, expect, it } from "bun:test"
import { statfs } from "node:fs/promises"
import { parseMounts } from "./mounts.ts"
import { existsSync, readFileSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import type { SourceClass } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { replayHostCase } from "../../../test/helpers/host-replay.ts"
import {
  DiskUsageSource,
  type StatFsFigures,
  diskSpace,
  listedTargets,
  mountedTargets,
  mountsFromFsSize,
  sanitizeDiskName,
} from "./index.ts"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { validateConfig } from "../../config/schema.ts"
import { promName } from "../../core/naming.ts"
import { builtinRegistry } from "../../registry.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import { writeFileSync } from "node:fs"
import { byGraphitePath, byPromSeries, makeClockedSource, useFixtureRoots } from "../../../test/helpers/proc-fixtures.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

/**
 * DiskUsage as built for a golden case: statfs answers from the case's statfs.json (recorded on
 * this machine: mount point → what statfs gave); a path not recorded there is gone (ENOENT).
 */
function recordedDiskUsage(caseDir: string): SourceClass {
  const recorded = JSON.parse(readFileSync(join(caseDir, "statfs.json"), "utf8")) as Record<string, StatFsFigures>
  return class RecordedDiskUsage extends DiskUsageSource {
    protected override readonly statfs = async (path: string) => {
      const figures = recorded[path]
      if (figures) return figures
      throw Object.assign(new Error(`ENOENT: no such file or directory, statfs '${path}'`), { code: "ENOENT" })
    }
  }
}

/** A symbolic link to itself: statfs fails on it with ELOOP, as on a broken mount. */
const LOOP = join(tempDir(), "loop")

sourceConformance({
  type: "DiskUsage",
  cls: DiskUsageSource,
  dir: import.meta.dir,
  golden: (testCase) => replayHostCase(recordedDiskUsage(testCase.dir), testCase),
  failing: {
    config: { type: "DiskUsage", disks: [LOOP] },
    setup: () => {
      if (!existsSync(LOOP)) symlinkSync("loop", LOOP)
    },
    message: /^statfs .*\/loop: ELOOP/,
  },
})

const useRoots = useFixtureRoots()

const MOUNTS = parseMounts(`/dev/vda / ext4 rw 0 0
proc /proc proc rw 0 0
tmpfs /run tmpfs rw 0 0
overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0
/dev/vda /etc/hosts ext4 rw 0 0
/dev/sdb1 /data xfs rw 0 0
/dev/sdb1 /data xfs rw 0 0
tank/home /home zfs rw 0 0
`)

/** `df -B1` of a path: what a user would check the numbers against. */
async function df(path: string): Promise<{ total: number; used: number; free: number; percent: number }> {
  const child = Bun.spawn(["df", "-B1", "--output=size,used,avail,pcent", path], { stdout: "pipe" })
  const line = (await new Response(child.stdout).text()).trim().split("\n")[1]!
  const [total, used, free, percent] = line
    .trim()
    .split(/\s+/)
    .map((f) => Number(f.replace("%", "")))
  return { total: total!, used: used!, free: free!, percent: percent! }
}

describe("DiskUsage", () => {
  it("sanitises disk names as the original", () => {
    expect(["/", "/var/log", "C:\\", "D:/data"].map(sanitizeDiskName)).toEqual(["_", "_var_log", "C", "Ddata"])
  })

  it("mounted filesystems: pseudo, tmpfs and overlay skipped, a device once, a mount point once", () => {
    expect(mountedTargets(MOUNTS, {})).toEqual([
      { label: "_", path: "/" },
      { label: "_data", path: "/data" },
      { label: "_home", path: "/home" },
    ])
  })

  it("a mount over another hides it: the one on top is judged and reported", () => {
    const stacked = parseMounts(`/dev/vda / ext4 rw 0 0
/dev/sdc1 /mnt/usb ext4 rw 0 0
tmpfs /mnt/usb tmpfs rw 0 0
tmpfs /srv tmpfs rw 0 0
/dev/sdd1 /srv xfs rw 0 0
`)
    // statfs(/mnt/usb) reads the tmpfs on top, so it must not be reported as /dev/sdc1's disk.
    expect(mountedTargets(stacked, {}).map((t) => t.path)).toEqual(["/", "/srv"])
    expect(mountedTargets(stacked, { exclude: ["/dev/sdd1"] }).map((t) => t.path)).toEqual(["/"])
  })

  it("include lists even tmpfs (names or regexes); exclude by mount point or device", () => {
    expect(mountedTargets(MOUNTS, { include: ["/run", "/etc/.*", "/"] }).map((t) => t.path)).toEqual(["/", "/run", "/etc/hosts"])
    expect(mountedTargets(MOUNTS, { exclude: ["/dev/sdb1", "tank/.*"] }).map((t) => t.path)).toEqual(["/"])
  })

  it("disks: paths as given, a device probed where it is mounted", () => {
    expect(listedTargets(["/", "/dev/sdb1", "/srv/not-a-mount"], MOUNTS)).toEqual([
      { label: "_", path: "/" },
      { label: "_dev_sdb1", path: "/data" },
      { label: "_srv_not-a-mount", path: "/srv/not-a-mount" },
    ])
  })

  itWithTools(
    ["df"],
    "values match df for the mounted filesystems of a recorded mount table; a vanished mount point is skipped",
    async () => {
      useRoots("proc-edge-a")
      const result = await makeClockedSource<DiskUsageSource>(DiskUsageSource, { type: "DiskUsage" }, { now: 0 }).probe()
      const series = byPromSeries(result, "DiskUsage")
      // The recording lists /, /tmp (another device) and an unplugged disk that does not exist here.
      expect([...new Set([...series.keys()].map((k) => /disk="([^"]+)"/.exec(k)![1]))]).toEqual(["_", "_tmp"])
      for (const [label, path] of [
        ["_", "/"],
        ["_tmp", "/tmp"],
      ] as const) {
        const expected = await df(path)
        expect(series.get(`pollect_DiskUsage{disk="${label}",type="total"}`)).toBe(expected.total)
        // used/free move while other engineers write files: allow 64 MiB drift between the two reads
        expect(Math.abs(series.get(`pollect_DiskUsage{disk="${label}",type="used"}`)! - expected.used)).toBeLessThan(64 * 2 ** 20)
        expect(Math.abs(series.get(`pollect_DiskUsage{disk="${label}",type="free"}`)! - expected.free)).toBeLessThan(64 * 2 ** 20)
        // df rounds the percentage up
        expect(Math.abs(series.get(`pollect_DiskUsage_percent{disk="${label}"}`)! - expected.percent)).toBeLessThanOrEqual(1)
      }
      expect(byGraphitePath(result, "DiskUsage").has("pollect.diskusage._.free")).toBe(true)
    },
  )

  it("disks as in the original: only the listed ones, missing ones skipped", async () => {
    useRoots("proc-edge-a")
    const source = makeClockedSource<DiskUsageSource>(
      DiskUsageSource,
      { type: "DiskUsage", name: "root", disks: ["/", "/no/such/dir"] },
      { now: 0 },
    )
    const result = await source.probe()
    const s = await statfs("/")
    const series = byPromSeries(result, "DiskUsage", "root")
    expect([...series.keys()]).toEqual([
      'pollect_DiskUsage_root{disk="_",type="total"}',
      'pollect_DiskUsage_root{disk="_",type="used"}',
      'pollect_DiskUsage_root{disk="_",type="free"}',
      'pollect_DiskUsage_root_percent{disk="_"}',
    ])
    expect(series.get('pollect_DiskUsage_root{disk="_",type="total"}')).toBe(s.blocks * s.frsize)
  })

  it("without /proc (macOS): mounts from systeminformation's fsSize, pseudo ones skipped", async () => {
    // Hand-made in the shape systeminformation returns on macOS (APFS volumes, devfs, autofs).
    const entries = await Bun.file(join(import.meta.dir, "testdata/fs-size-macos.json")).json()
    expect(mountedTargets(mountsFromFsSize(entries), {}).map((t) => t.label)).toEqual(["_", "_System_Volumes_VM", "_System_Volumes_Data"])
  })

  it("without /proc the fallback runs for real and finds the root filesystem", async () => {
    useRoots("does-not-exist")
    const series = byPromSeries(
      await makeClockedSource<DiskUsageSource>(DiskUsageSource, { type: "DiskUsage" }, { now: 0 }).probe(),
      "DiskUsage",
    )
    expect(series.get('pollect_DiskUsage{disk="_",type="total"}')).toBe((await statfs("/")).blocks * (await statfs("/")).frsize)
  })

  it("a Windows path with backslashes is a path from the root like a / one", () => {
    expect(["\\data\\logs", "C:\\Users\\me"].map(sanitizeDiskName)).toEqual(["_data_logs", "CUsersme"])
  })

  it("disks: a mount point is probed itself even when another mount names it as its device (bindfs)", () => {
    const mounts = parseMounts(`/dev/sdb1 /data xfs rw 0 0
/data /srv/data fuse.bindfs rw 0 0
`)
    expect(listedTargets(["/data"], mounts)).toEqual([{ label: "_data", path: "/data" }])
    // the device, named as such, is probed where it is mounted
    expect(listedTargets(["/dev/sdb1"], mounts)).toEqual([{ label: "_dev_sdb1", path: "/data" }])
  })

  it("every pseudo, memory-backed, layered and read-only image filesystem type is skipped unless listed", () => {
    const types = [
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
      "devfs",
      "map",
      "nullfs",
    ]
    const table = [`/dev/vda / ext4 rw 0 0`, ...types.map((type, i) => `dev${i} /mnt/${type} ${type} rw 0 0`)].join("\n")
    expect(mountedTargets(parseMounts(table), {})).toEqual([{ label: "_", path: "/" }])
    expect(mountedTargets(parseMounts(table), { include: ["/mnt/.*"] })).toHaveLength(types.length)
  })

  it("a path below a file (ENOTDIR) is gone like a missing one: skipped, no error", async () => {
    const file = join(tempDir(), "a-file")
    writeFileSync(file, "")
    expect(await diskSpace(join(file, "below"))).toBeUndefined()
    const series = byPromSeries(
      await makeClockedSource<DiskUsageSource>(DiskUsageSource, { type: "DiskUsage", disks: [join(file, "below")] }, { now: 0 }).probe(),
      "DiskUsage",
    )
    expect(series.size).toBe(0)
  })

  it("sizes in fragments (frsize) when statfs gives them, else in bsize; an empty filesystem is 0 % used", async () => {
    const figures = (f: StatFsFigures) => async () => f
    // bsize is only the preferred I/O size; the block counts are in frsize units (statfs(2)).
    expect(await diskSpace("/x", figures({ bsize: 131072, frsize: 512, blocks: 1000, bfree: 400, bavail: 300 }))).toEqual({
      total: 512000,
      used: 307200,
      free: 153600,
      percent: 66.7,
    })
    expect(await diskSpace("/x", figures({ bsize: 4096, blocks: 10, bfree: 5, bavail: 5 }))).toEqual({
      total: 40960,
      used: 20480,
      free: 20480,
      percent: 50,
    })
    expect(await diskSpace("/x", figures({ bsize: 4096, frsize: 4096, blocks: 0, bfree: 0, bavail: 0 }))).toEqual({
      total: 0,
      used: 0,
      free: 0,
      percent: 0,
    })
  })

  it("mountsFromFsSize: entries without a mount point are dropped; no mount options there", () => {
    expect(
      mountsFromFsSize([
        { fs: "/dev/disk3s1s1", type: "apfs", mount: "/" },
        { fs: "map auto_home", type: "autofs", mount: "" },
      ]),
    ).toEqual([{ device: "/dev/disk3s1s1", mountPoint: "/", fsType: "apfs", options: "" }])
  })

  it("snake_case names carry the declared units: bytes, percent as a ratio", async () => {
    useRoots("proc-edge-a")
    const result = resultOf(
      await makeClockedSource<DiskUsageSource>(DiskUsageSource, { type: "DiskUsage", disks: ["/"] }, { now: 0 }).probe(),
      { type: "DiskUsage" },
    )
    const names = new Set(result.sets.flatMap((set) => set.values.map((value) => promName(result, set, value, "snake_case"))))
    expect([...names].sort()).toEqual(["pollect_disk_usage_bytes", "pollect_disk_usage_ratio"])
  })

  it("config validation keeps disks, include and exclude (no unknown-key warning)", () => {
    const checked = validateConfig(
      { executors: [{ sources: [{ type: "DiskUsage", disks: ["/"], include: ["/mnt/.*"], exclude: ["/mnt/x"] }] }] },
      builtinRegistry(),
    )
    if ("problems" in checked) throw new Error(checked.problems.join("\n"))
    expect(checked.executors[0]!.sources[0]!.config).toMatchObject({ disks: ["/"], include: ["/mnt/.*"], exclude: ["/mnt/x"] })
    expect(checked.warnings.filter((w) => w.includes("(DiskUsage)"))).toEqual([])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "DiskUsage", aliases: [], cls: DiskUsageSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})
