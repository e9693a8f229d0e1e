import { describe, expect, it } from "bun:test"
import { fixture } from "../../../test/helpers/psutil.ts"
import { parseProcStat, statusBytes } from "./pid-stat.ts"

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
