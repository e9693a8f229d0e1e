import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { parseDiskstats } from "../../sources/io/diskstats.ts"
import { memoryFigures, parseMeminfo } from "../../sources/memory-usage/meminfo.ts"
import { parseMounts } from "../../sources/disk-usage/mounts.ts"
import { parseNetDev } from "../../sources/interface/net-dev.ts"
import { parseProcStat, statusBytes } from "../../sources/process/pid-stat.ts"
import { FIXTURES } from "../../../test/helpers/proc-fixtures.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

/** Debian's python, where python3-psutil installs (a venv python3 on PATH may lack it). */
const DEBIAN_PYTHON = "/usr/bin/python3"

const fixture = (path: string) => Bun.file(join(FIXTURES, path)).text()

/** psutil (what the Python pollect used) reading the same fixture tree: the reference values. */
async function psutil(procfs: string, expression: string): Promise<unknown> {
  const script = `import json, psutil\npsutil.PROCFS_PATH = ${JSON.stringify(join(FIXTURES, procfs))}\nprint(json.dumps(${expression}))`
  const child = Bun.spawn([DEBIAN_PYTHON, "-c", script], { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
  if (code !== 0) throw new Error(`python3 with psutil failed (apt-get install python3-psutil): ${err}`)
  return JSON.parse(out)
}

describe("parseMeminfo / memoryFigures", () => {
  it("reads kB lines as bytes and counts as counts", () => {
    const m = parseMeminfo("MemTotal:       24684084 kB\nHugePages_Total:       3\nweird line\n")
    expect(m.get("MemTotal")).toBe(24684084 * 1024)
    expect(m.get("HugePages_Total")).toBe(3)
  })

  itWithTools([DEBIAN_PYTHON], "matches psutil.virtual_memory() (the original's numbers) on this machine's recorded meminfo", async () => {
    const ours = memoryFigures(parseMeminfo(await fixture("proc-host/meminfo")))
    const theirs = (await psutil("proc-host", "psutil.virtual_memory()._asdict()")) as Record<string, number>
    expect(ours).toMatchObject({
      total: theirs.total,
      available: theirs.available,
      used: theirs.used,
      free: theirs.free,
      buffers: theirs.buffers,
      cached: theirs.cached,
      percent: theirs.percent,
    })
  })

  it("an old kernel without MemAvailable: free + buffers + cached; a container where used would go negative", () => {
    const old = memoryFigures(
      parseMeminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSwapTotal: 400 kB\nSwapFree: 100 kB\n"),
    )
    expect(old).toMatchObject({
      total: 1024000,
      available: 350 * 1024,
      used: 650 * 1024,
      swapTotal: 400 * 1024,
      swapUsed: 300 * 1024,
      percent: 65,
    })
    const container = memoryFigures(parseMeminfo("MemTotal: 1000 kB\nMemFree: 900 kB\nCached: 500 kB\nMemAvailable: 950 kB\n"))
    expect(container.used).toBe(100 * 1024)
  })

  it("rejects text without MemTotal", () => {
    expect(() => memoryFigures(parseMeminfo("nothing: 1 kB"))).toThrow(/MemTotal/)
  })
})

describe("parseMounts", () => {
  it("unescapes octal escapes in mount points", async () => {
    const mounts = parseMounts(await fixture("proc-edge-a/self/mounts"))
    expect(mounts[0]).toEqual({ device: "/dev/vda", mountPoint: "/", fsType: "ext4", options: "rw,relatime" })
    expect(mounts.at(-1)?.mountPoint).toBe("/mnt/unplugged disk")
  })
})

describe("parseNetDev", () => {
  it("reads every interface of this machine's recording, skipping the two header lines", async () => {
    const text = await fixture("proc-host/net/dev")
    const parsed = parseNetDev(text)
    expect([...parsed.keys()]).toEqual(
      text
        .split("\n")
        .slice(2)
        .filter(Boolean)
        .map((l) => l.split(":")[0]!.trim()),
    )
  })

  it("keeps 64-bit counters exact and names with dots; old kernels' name glued to the number", async () => {
    const parsed = parseNetDev((await fixture("proc-edge-a/net/dev")) + "  ppp0:12345 1 0 0 0 0 0 0 678 2 0 0 0 0 0 0\n")
    expect(parsed.get("wan0")?.rxBytes).toBe(18446744073709550616n)
    expect(parsed.get("eth0.100")?.txBytes).toBe(3000n)
    expect(parsed.get("ppp0")).toMatchObject({ rxBytes: 12345n, txBytes: 678n, txPackets: 2n })
  })

  itWithTools([DEBIAN_PYTHON], "matches psutil.net_io_counters(pernic=True) on this machine's recording", async () => {
    const theirs = (await psutil("proc-host", "{k: v._asdict() for k, v in psutil.net_io_counters(pernic=True).items()}")) as Record<
      string,
      Record<string, number>
    >
    const ours = parseNetDev(await fixture("proc-host/net/dev"))
    for (const [name, c] of ours) {
      expect({ name, sent: Number(c.txBytes), recv: Number(c.rxBytes), ps: Number(c.txPackets), pr: Number(c.rxPackets) }).toEqual({
        name,
        sent: theirs[name]!.bytes_sent!,
        recv: theirs[name]!.bytes_recv!,
        ps: theirs[name]!.packets_sent!,
        pr: theirs[name]!.packets_recv!,
      })
    }
    expect(ours.size).toBe(Object.keys(theirs).length)
  })
})

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

describe("parseProcStat", () => {
  it("reads this machine's recorded /proc/1/stat", async () => {
    const text = await fixture("proc-host/1/stat")
    const stat = parseProcStat(text)
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    expect(stat).toMatchObject({
      pid: 1,
      state: fields[0],
      utime: BigInt(fields[11]!),
      stime: BigInt(fields[12]!),
      startTime: BigInt(fields[19]!),
      vsize: Number(fields[20]),
      rssPages: Number(fields[21]),
    })
  })

  it("a name with spaces and parentheses does not shift the fields", async () => {
    const stat = parseProcStat(await fixture("proc-edge-a/600/stat"))
    expect(stat).toMatchObject({ pid: 600, name: "my (odd) name", utime: 10n, stime: 10n, startTime: 6000n, vsize: 4096000, rssPages: 100 })
  })

  it("statusBytes reads kB lines; kernel threads have no VmRSS", async () => {
    expect(statusBytes(await fixture("proc-edge-a/100/status"), "VmRSS")).toBe(8000 * 1024)
    expect(statusBytes(await fixture("proc-edge-a/500/status"), "VmRSS")).toBeUndefined()
  })

  it("rejects garbage with the text in the message", () => {
    expect(() => parseProcStat("garbage")).toThrow(/garbage/)
  })
})
