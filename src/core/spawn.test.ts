import { describe, expect, it } from "bun:test"
import { writeFileSync, chmodSync } from "node:fs"
import { join } from "node:path"
import { spawnTool, ToolNotFoundError, ToolTimeoutError } from "./spawn.ts"
import { tempDir } from "../../test/helpers/context.ts"
import { fakeTools, hangPids, isDead, processState } from "../../test/helpers/fake-tool.ts"

describe("spawnTool", () => {
  it("passes arguments as they are (no shell) and returns stdout, stderr and the exit code", async () => {
    const result = await spawnTool(["/bin/sh", "-c", 'printf "%s|" "$@"; echo oops >&2; exit 3', "sh", "a b", "$HOME", "*", "'q'"])
    expect(result.stdout).toBe("a b|$HOME|*|'q'|")
    expect(result.stderr).toBe("oops\n")
    expect(result.exitCode).toBe(3)
  })

  it("finds the tool on PATH", async () => {
    const fake = fakeTools({ mytool: [{ args: "--version", stdoutFile: "/etc/hostname" }] })
    const result = await spawnTool(["mytool", "--version"], { env: { PATH: fake.dir } })
    expect(result.exitCode).toBe(0)
    expect(fake.calls()).toEqual(["mytool --version"])
  })

  it("a missing tool is one error naming it and its package", async () => {
    const error = await spawnTool(["smartctl", "--scan"], { packageName: "smartmontools", env: { PATH: tempDir() } }).catch((e) => e)
    expect(error).toBeInstanceOf(ToolNotFoundError)
    expect(error.message).toBe("smartctl not found on PATH (install the smartmontools package)")
  })

  it("a file that is not executable is a clear error", async () => {
    const dir = tempDir()
    const path = join(dir, "tool")
    writeFileSync(path, "#!/bin/sh\n")
    chmodSync(path, 0o644)
    const error = await spawnTool([path]).catch((e) => e)
    expect(error.message).toContain(path)
  })

  it("kills the tool and what it started at the deadline: both are gone, no zombie", async () => {
    const fake = fakeTools({ hangs: [{ args: "*", hang: true }] })
    const started = performance.now()
    const error = await spawnTool([join(fake.dir, "hangs")], { timeoutMs: 300 }).catch((e) => e)
    expect(error).toBeInstanceOf(ToolTimeoutError)
    expect(error.message).toContain("did not finish within 300 ms and was killed")
    // Returned at the deadline, not when `sleep 60` (which held the pipes) would have ended.
    expect(performance.now() - started).toBeLessThan(30_000)
    const [script, sleep] = hangPids(fake)
    await Bun.sleep(50)
    // Our child is reaped (no zombie); its `sleep` was killed with it (init reaps the orphan).
    expect(processState(script!)).toBeUndefined()
    expect(isDead(sleep!)).toBe(true)
  })

  it("an aborted signal kills the tool and rethrows the signal's reason", async () => {
    const fake = fakeTools({ hangs: [{ args: "*", hang: true }] })
    const controller = new AbortController()
    const running = spawnTool([join(fake.dir, "hangs")], { signal: controller.signal, timeoutMs: 60_000 })
    for (let i = 0; i < 100 && hangPids(fake).length < 2; i++) await Bun.sleep(20)
    controller.abort(new Error("probe deadline"))
    const error = await running.catch((e) => e)
    expect(error.message).toBe("probe deadline")
    const [script, sleep] = hangPids(fake)
    await Bun.sleep(50)
    expect(processState(script!)).toBeUndefined()
    expect(isDead(sleep!)).toBe(true)
  })

  it("a signal already aborted before the call: the tool never starts, the signal's reason is thrown", async () => {
    const fake = fakeTools({ mytool: [{ args: "*", stdoutFile: "/etc/hostname" }] })
    const controller = new AbortController()
    controller.abort(new Error("probe deadline passed"))
    const error = await spawnTool(["mytool", "--scan"], { env: { PATH: fake.dir }, signal: controller.signal }).catch((e) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toBe("probe deadline passed")
    await Bun.sleep(50)
    expect(fake.calls()).toEqual([])
  })
})
