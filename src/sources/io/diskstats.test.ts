import { describe, expect, it } from "bun:test"
import { DEBIAN_PYTHON, fixture, psutil } from "../../../test/helpers/psutil.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { parseDiskstats } from "./diskstats.ts"

describe("parseDiskstats", () => {
  it("reads 20-field lines and the 7-field partition lines of old kernels", async () => {
    const parsed = parseDiskstats(await fixture("proc-edge-a/diskstats"))
    expect(parsed.get("sda")).toEqual({
      major: 8,
      minor: 0,
      reads: 1000n,
      readSectors: 20000n,
      writes: 2000n,
      writeSectors: 40000n,
      ioTicksMs: 4294966296n,
    })
    expect(parsed.get("nvme0n1p1")).toEqual({
      major: 259,
      minor: 1,
      reads: 4000n,
      readSectors: 80000n,
      writes: 5000n,
      writeSectors: 190000n,
      ioTicksMs: 0n,
    })
  })

  itWithTools([DEBIAN_PYTHON], "matches psutil.disk_io_counters(perdisk=True) on this machine's recording", async () => {
    const theirs = (await psutil(
      "proc-host",
      "{k: v._asdict() for k, v in psutil.disk_io_counters(perdisk=True, nowrap=False).items()}",
    )) as Record<string, Record<string, number>>
    const ours = parseDiskstats(await fixture("proc-host/diskstats"))
    expect(ours.size).toBe(Object.keys(theirs).length)
    for (const [name, c] of ours) {
      expect([
        name,
        Number(c.reads),
        Number(c.writes),
        Number(c.readSectors) * 512,
        Number(c.writeSectors) * 512,
        Number(c.ioTicksMs),
      ]).toEqual([
        name,
        theirs[name]!.read_count!,
        theirs[name]!.write_count!,
        theirs[name]!.read_bytes!,
        theirs[name]!.write_bytes!,
        theirs[name]!.busy_time!,
      ])
    }
  })
})
