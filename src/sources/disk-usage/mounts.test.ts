import { describe, expect, it } from "bun:test"
import { fixture } from "../../../test/helpers/psutil.ts"
import { parseMounts } from "./mounts.ts"

describe("parseMounts", () => {
  it("unescapes octal escapes in mount points", async () => {
    const mounts = parseMounts(await fixture("proc-edge-a/self/mounts"))
    expect(mounts[0]).toEqual({ device: "/dev/vda", mountPoint: "/", fsType: "ext4", options: "rw,relatime" })
    expect(mounts.at(-1)?.mountPoint).toBe("/mnt/unplugged disk")
  })

  it("fstab-style lines: leading blanks, several blanks or tabs between fields, no dump and pass fields", () => {
    expect(parseMounts("  /dev/sdb1\t/data   xfs  rw\n/dev/sdc1 /x ext4\n")).toEqual([
      { device: "/dev/sdb1", mountPoint: "/data", fsType: "xfs", options: "rw" },
    ])
  })
})
