import { describe, expect, it } from "bun:test"
import { fixture } from "../../../test/helpers/psutil.ts"
import { readFileSync } from "node:fs"
import { auxvPageSize, pageSize } from "./page-size.ts"
import { parseProcStat, statmResidentPages, statName, statStartTime, statusBytes } from "./pid-stat.ts"

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

describe("statStartTime, statName, statmResidentPages", () => {
  it("field 22 as written and the name, from the last `)`, as parseProcStat", async () => {
    for (const file of ["proc-host/1/stat", "proc-edge-a/600/stat", "proc-edge-b/600/stat"]) {
      const text = await fixture(file)
      expect(statStartTime(text)).toBe(String(parseProcStat(text).startTime))
      expect(statName(text)).toBe(parseProcStat(text).name)
    }
    expect(statStartTime("7 (x) S 1")).toBe("0") // short: as parseProcStat's missing fields
    expect(() => statStartTime("garbage")).toThrow(/unexpected \/proc\/<pid>\/stat content: "garbage"/)
  })

  it("statm's second field in pages; garbage is undefined", () => {
    expect(statmResidentPages("25600 2809 1708 2 0 219 0\n")).toBe(2809)
    expect(statmResidentPages("25600\n")).toBeUndefined()
    expect(statmResidentPages("25600 x 1\n")).toBeUndefined()
    // only two fields (the newline right after the second), or a second field that is not all digits
    expect(statmResidentPages("25600 2809\n")).toBe(2809)
    expect(statmResidentPages("25600 x2809 1\n")).toBeUndefined()
    expect(statmResidentPages("25600 2809x 1\n")).toBeUndefined()
  })

  it('a line cut after the name: state "0" and zeros, as for missing fields', () => {
    expect(parseProcStat("42 (x)")).toEqual({ pid: 42, name: "x", state: "0", utime: 0n, stime: 0n, startTime: 0n, vsize: 0, rssPages: 0 })
    expect(parseProcStat("42 (x) S 1 ")).toMatchObject({ state: "S", utime: 0n, rssPages: 0 })
  })

  it("the name runs from the first `(` to the last `)`: none of them, or a `)` before the `(`, is garbage (quoted, cut at 60)", () => {
    expect(statName("(init) S 0")).toBe("init")
    expect(() => parseProcStat("1 )x( S")).toThrow(/unexpected/)
    const long = `1 )${"y".repeat(80)}`
    expect(() => statName(long)).toThrow(new Error(`unexpected /proc/<pid>/stat content: ${JSON.stringify(long.slice(0, 60))}`))
  })
})

describe("pageSize", () => {
  const auxv = (...pairs: bigint[]) => new Uint8Array(new BigUint64Array(pairs).buffer)

  it("AT_PAGESZ (6) of an auxiliary vector; none, zero or not a power of two is undefined", () => {
    expect(auxvPageSize(auxv(33n, 0x7ffdn, 6n, 16384n, 17n, 100n, 0n, 0n))).toBe(16384)
    expect(auxvPageSize(auxv(33n, 1n, 0n, 0n, 6n, 4096n))).toBeUndefined() // after AT_NULL
    expect(auxvPageSize(auxv(6n, 0n, 0n, 0n))).toBeUndefined()
    expect(auxvPageSize(auxv(6n, 5000n, 0n, 0n))).toBeUndefined()
    expect(auxvPageSize(new Uint8Array(5))).toBeUndefined()
    // 4 KiB to 1 MiB, both ends included
    expect(auxvPageSize(auxv(6n, 4096n, 0n, 0n))).toBe(4096)
    expect(auxvPageSize(auxv(6n, 1048576n, 0n, 0n))).toBe(1048576)
    expect(auxvPageSize(auxv(6n, 2097152n, 0n, 0n))).toBeUndefined()
    expect(auxvPageSize(auxv(6n, 2048n, 0n, 0n))).toBeUndefined()
  })

  it("this machine's: statm's resident pages × pageSize() is VmRSS of this process", () => {
    const size = pageSize()!
    // The runtime's own threads (the garbage collector) can touch pages between two reads: take
    // a status read between two statm reads that agree, so both saw the same resident set.
    let statm = ""
    let status = ""
    for (let attempt = 0; attempt < 50; attempt++) {
      statm = readFileSync("/proc/self/statm", "utf8")
      status = readFileSync("/proc/self/status", "utf8")
      if (readFileSync("/proc/self/statm", "utf8") === statm) break
    }
    expect(statmResidentPages(statm)! * size).toBe(statusBytes(status, "VmRSS")!)
  })
})

describe("fd budget", () => {
  it("keeps files of at most 256 processes open, and never more than an eighth of RLIMIT_NOFILE's soft limit", async () => {
    const { heldBudget, softOpenFilesLimit, MAX_HELD } = await import("./fd-budget.ts")
    const limits = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`
    expect(softOpenFilesLimit(limits)).toBe(1024)
    expect(softOpenFilesLimit("Max open files            unlimited            unlimited            files\n")).toBeUndefined()
    expect(softOpenFilesLimit("garbage")).toBeUndefined()
    expect(heldBudget(1024)).toBe(128) // 256 descriptors of 1024
    expect(heldBudget(64)).toBe(8)
    expect(heldBudget(1_048_576)).toBe(MAX_HELD)
    expect(heldBudget(undefined)).toBe(MAX_HELD)
    expect(heldBudget(4)).toBe(0)
  })

  it("this process's budget is read from its own limits: under `ulimit -n 1000`, 125 processes", () => {
    const script = `import { processHeldBudget } from ${JSON.stringify(`${import.meta.dir}/fd-budget.ts`)}; console.log(processHeldBudget(), processHeldBudget())`
    const run = Bun.spawnSync(["sh", "-c", `ulimit -n 1000 && exec ${JSON.stringify(process.execPath)} -e ${JSON.stringify(script)}`])
    expect(run.stdout.toString().trim()).toBe("125 125")
  })
})
