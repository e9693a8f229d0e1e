/** The /proc parsers behind the exporter's process_* metrics, on text recorded from this machine. */
import { describe, expect, it } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { parseBootTime, parseMaxFds, parseStartTicks, parseStatusMemory, readProcessStats } from "./process-stats.ts"
import { parseBasic } from "../../lib/protocols/basic-auth.ts"

// /proc/<pid>/stat of a process whose name holds a space and a parenthesis.
const STAT =
  "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1210 0 0 0 30 4 0 0 20 0 7 0 76649 6638366720 8843 18446744073709551615 1 1 0 0 0 0 0 4096 1088 0 0 0 17 1 0 0 0 0 0"

describe("process stats parsers", () => {
  it("start ticks from /proc/self/stat even when the name holds ') ('", () => {
    expect(parseStartTicks(STAT)).toBe(76649)
    expect(() => parseStartTicks("garbage")).toThrow()
  })
  it("btime from /proc/stat", () => {
    expect(parseBootTime("cpu  1 2 3\nintr 1\nctxt 99\nbtime 1795500000\nprocesses 10\n")).toBe(1795500000)
  })
  it("VmRSS and VmSize from /proc/self/status, in bytes", () => {
    expect(parseStatusMemory("Name:\tbun\nVmSize:\t 6482780 kB\nVmRSS:\t   35372 kB\n")).toEqual({
      residentBytes: 35372 * 1024,
      virtualBytes: 6482780 * 1024,
    })
  })
  it("the soft open-files limit from /proc/self/limits", () => {
    const limits =
      "Limit                     Soft Limit           Hard Limit           Units     \nMax processes             127663               127663               processes \nMax open files            20000                1048576              files     \n"
    expect(parseMaxFds(limits)).toBe(20000)
    expect(parseMaxFds(limits.replace("20000  ", "unlimited"))).toBeUndefined()
  })
  it("readProcessStats agrees with /proc/self/status", () => {
    const stats = readProcessStats()
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024
    expect(Math.abs(stats.residentMemoryBytes - rss) / rss).toBeLessThan(0.2)
    expect(stats.startTimeSeconds).toBeLessThanOrEqual(Date.now() / 1000)
    expect(stats.startTimeSeconds).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 2)
  })
})

describe("process stats parsers: edge cases", () => {
  it("parseStartTicks: field 22 counted from after the name; no number there is an error", () => {
    expect(parseStartTicks("1 (x) S 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 4242 99")).toBe(4242)
    expect(() => parseStartTicks("1 (x) S 2 3")).toThrow("unexpected /proc/self/stat content")
    expect(() => parseStartTicks("garbage")).toThrow("unexpected /proc/self/stat content")
  })
  it("parseBootTime: btime with any white space; none is an error", () => {
    expect(parseBootTime("btime\t  42\n")).toBe(42)
    expect(() => parseBootTime("cpu 1\nxbtime 5\n")).toThrow("no btime in /proc/stat")
    expect(() => parseBootTime("cpu 1\n")).toThrow("no btime in /proc/stat")
  })
  it("parseStatusMemory: a missing line is undefined, not 0; only kB lines at a line start count", () => {
    expect(parseStatusMemory("Name:\tbun\n")).toEqual({ residentBytes: undefined, virtualBytes: undefined })
    expect(parseStatusMemory("VmRSS:\t12 kB\nXVmSize:\t5 kB\n")).toEqual({ residentBytes: 12 * 1024, virtualBytes: undefined })
  })
  it("parseMaxFds: no such line is undefined; white space of any width", () => {
    expect(parseMaxFds("Max processes 5 5 processes\n")).toBeUndefined()
    expect(parseMaxFds("Max open files\t1024 4096 files\n")).toBe(1024)
    // Only at a line start.
    expect(parseMaxFds("Not Max open files 5 5 files\n")).toBeUndefined()
  })
  it("readProcessStats: each figure from its /proc file", () => {
    const cpu = process.cpuUsage()
    const stats = readProcessStats()
    const status = readFileSync("/proc/self/status", "utf8")
    expect(stats.virtualMemoryBytes).toBe(parseStatusMemory(status).virtualBytes!)
    expect(stats.maxFds).toBe(parseMaxFds(readFileSync("/proc/self/limits", "utf8"))!)
    const start = parseBootTime(readFileSync("/proc/stat", "utf8")) + parseStartTicks(readFileSync("/proc/self/stat", "utf8")) / 100
    expect(stats.startTimeSeconds).toBe(start)
    // The listing's own descriptor is not counted (one descriptor of slack for anything the runtime opens meanwhile).
    expect(Math.abs(stats.openFds! - (readdirSync("/proc/self/fd").length - 1))).toBeLessThanOrEqual(1)
    // Seconds, not microseconds: within a second of what we read just before.
    expect(Math.abs(stats.cpuUserSeconds - cpu.user / 1e6)).toBeLessThan(1)
    expect(Math.abs(stats.cpuSystemSeconds - cpu.system / 1e6)).toBeLessThan(1)
    expect(stats.cpuUserSeconds).toBeGreaterThanOrEqual(cpu.user / 1e6)
  })
})

describe("basic auth header", () => {
  it("parses Basic credentials; a password may hold colons", () => {
    expect(parseBasic("Basic " + Buffer.from("prom:a:b c").toString("base64"))).toEqual({ user: "prom", password: "a:b c" })
    expect(parseBasic("basic " + Buffer.from("u:").toString("base64"))).toEqual({ user: "u", password: "" })
    expect(parseBasic("Bearer abc")).toBeUndefined()
    expect(parseBasic("Basic " + Buffer.from("nocolon").toString("base64"))).toBeUndefined()
  })
})
