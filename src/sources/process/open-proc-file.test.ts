/** OpenProcFile: a /proc file kept open and read again at offset 0 (here also on ordinary files). */
import { describe, expect, it } from "bun:test"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { OpenProcFile } from "./open-proc-file.ts"

describe("OpenProcFile", () => {
  it("reads the whole file, also one larger than its 16 KiB buffer, each time anew", () => {
    const file = join(tempDir(), "status")
    const big = `${"x".repeat(20 * 1024)}\n`
    writeFileSync(file, big)
    const open = OpenProcFile.open(file)!
    expect(open.read()).toBe(big)
    writeFileSync(file, "short\n")
    expect(open.read()).toBe("short\n")
    open.close()
  })

  it("reads at most 1 MiB", () => {
    const file = join(tempDir(), "huge")
    writeFileSync(file, "y".repeat(1.5 * 1024 * 1024))
    const open = OpenProcFile.open(file)!
    expect(open.read()?.length).toBe(1024 * 1024)
    open.close()
  })

  it("a process that exited: the read fails (ESRCH) and gives undefined, the file is closed", async () => {
    const child = Bun.spawn(["sleep", "30"], { stdout: "ignore", stderr: "ignore" })
    const open = OpenProcFile.open(`/proc/${child.pid}/stat`)!
    expect(open.read()).toStartWith(`${child.pid} (`)
    child.kill()
    await child.exited
    expect(open.read()).toBeUndefined()
    expect(open.read()).toBeUndefined()
  })

  it("gone (ENOENT, ENOTDIR) is undefined; any other error is thrown (ELOOP, EISDIR)", () => {
    const dir = tempDir()
    const file = join(dir, "file")
    writeFileSync(file, "")
    expect(OpenProcFile.open(join(dir, "missing"))).toBeUndefined()
    expect(OpenProcFile.open(join(file, "below"))).toBeUndefined()
    const loop = join(dir, "loop")
    symlinkSync("loop", loop)
    expect(() => OpenProcFile.open(loop)).toThrow(/ELOOP/)
    const sub = join(dir, "sub")
    mkdirSync(sub)
    const folder = OpenProcFile.open(sub)!
    expect(() => folder.read()).toThrow(/EISDIR/)
    folder.close()
  })

  it("after close() a read is undefined; close() twice is safe", () => {
    const file = join(tempDir(), "stat")
    writeFileSync(file, "1 (init) S\n")
    const open = OpenProcFile.open(file)!
    open.close()
    expect(open.read()).toBeUndefined()
    open.close()
  })
})
