/** core/failure-latch.ts: a failure is logged once when it starts, again only when its message changes, and its recovery once. */
import { describe, expect, it } from "bun:test"
import { FailureLatch } from "./failure-latch.ts"
import { createLogger } from "./log.ts"

function latched(wording?: ConstructorParameters<typeof FailureLatch>[1]) {
  const lines: string[] = []
  const log = createLogger({ level: "debug", write: (line) => lines.push(line.replace(/^\S+ /, "")) })
  return { latch: new FailureLatch(log, wording), lines }
}

describe("FailureLatch", () => {
  it("logs the first failure, not the same one again, a changed message once, and the recovery once", () => {
    const { latch, lines } = latched()
    latch.fail("k", "disk sdb", "No such device")
    latch.fail("k", "disk sdb", "No such device")
    expect(lines).toEqual(["WARN  disk sdb failed: No such device"])
    latch.fail("k", "disk sdb", "Permission denied")
    latch.fail("k", "disk sdb", "Permission denied")
    expect(lines.slice(1)).toEqual(["WARN  disk sdb failed (now): Permission denied"])
    latch.ok("k", "disk sdb")
    latch.ok("k", "disk sdb")
    expect(lines.slice(2)).toEqual(["INFO  disk sdb recovered"])
  })

  it("an ok for something that never failed logs nothing", () => {
    const { latch, lines } = latched()
    latch.ok("k", "x")
    expect(lines).toEqual([])
  })

  it("after a recovery, the next failure is a first failure again (logged, without 'now')", () => {
    const { latch, lines } = latched()
    latch.fail("k", "x", "down")
    latch.ok("k", "x")
    latch.fail("k", "x", "down")
    expect(lines).toEqual(["WARN  x failed: down", "INFO  x recovered", "WARN  x failed: down"])
  })

  it("keys are latched apart: one failing does not silence or recover another", () => {
    const { latch, lines } = latched()
    latch.fail("a", "A", "down")
    latch.fail("b", "B", "down")
    latch.ok("a", "A")
    latch.fail("b", "B", "down")
    expect(lines).toEqual(["WARN  A failed: down", "WARN  B failed: down", "INFO  A recovered"])
  })

  it("custom wording is told whether a failure is a new message of one already failing", () => {
    const { latch, lines } = latched({
      failed: (what, message, again) => `${what}: ${again ? "still unreadable" : "unreadable"} (${message})`,
      recovered: (what) => `${what}: readable again`,
    })
    latch.fail("k", "/dev/sdb", "EIO")
    latch.fail("k", "/dev/sdb", "EACCES")
    latch.ok("k", "/dev/sdb")
    expect(lines).toEqual([
      "WARN  /dev/sdb: unreadable (EIO)",
      "WARN  /dev/sdb: still unreadable (EACCES)",
      "INFO  /dev/sdb: readable again",
    ])
  })
})
