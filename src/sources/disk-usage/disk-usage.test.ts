import { describe, expect, it } from "bun:test"
import { statfs } from "node:fs/promises"
import { parseMounts } from "./mounts.ts"
import { existsSync, readFileSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import type { SourceClass } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { tempDir } from "../../../test/helpers/context.ts"
import { replayHostCase } from "../../../test/helpers/host-replay.ts"
import { DiskUsageSource, type StatFsFigures, listedTargets, mountedTargets, mountsFromFsSize, sanitizeDiskName } from "./index.ts"
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
})
