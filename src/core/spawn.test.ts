import { describe, expect, it, spyOn } from "bun:test"
import { writeFileSync, chmodSync, existsSync, readFileSync } from "node:fs"
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

  it("errors say which tool: names, and a not-found one without a package", async () => {
    const error = await spawnTool(["sensors"], { env: { PATH: tempDir() } }).catch((e) => e)
    expect(error).toBeInstanceOf(ToolNotFoundError)
    expect([error.name, error.message, error.tool]).toEqual(["ToolNotFoundError", "sensors not found on PATH", "sensors"])
    const timeout = new ToolTimeoutError("smartctl", 250)
    expect([timeout.name, timeout.message, timeout.tool]).toEqual([
      "ToolTimeoutError",
      "smartctl did not finish within 250 ms and was killed",
      "smartctl",
    ])
  })

  it("an empty argument list is refused", async () => {
    expect(await spawnTool([]).catch((e) => e)).toEqual(new TypeError("spawnTool: empty argument list"))
  })

  it("without options: the tool is looked up on this process's PATH", async () => {
    const result = await spawnTool(["sh", "-c", "echo hi"])
    expect([result.stdout, result.exitCode]).toEqual(["hi\n", 0])
  })

  it("an empty PATH finds nothing (no fallback to a default search path)", async () => {
    const error = await spawnTool(["sh", "-c", "echo hi"], { env: { PATH: "" } }).catch((e) => e)
    expect(error).toBeInstanceOf(ToolNotFoundError)
    expect(error.message).toBe("sh not found on PATH")
  })

  it("a path that does not exist is a missing tool; one that is a directory is not executable; other errors as they are", async () => {
    const missing = await spawnTool(["/nonexistent/smartctl"], { packageName: "smartmontools" }).catch((e) => e)
    expect(missing).toBeInstanceOf(ToolNotFoundError)
    expect(missing.message).toBe("/nonexistent/smartctl not found on PATH (install the smartmontools package)")
    const dir = tempDir()
    expect((await spawnTool([dir]).catch((e) => e)).message).toBe(`${dir} is not executable (permission denied)`)
    const notDir = await spawnTool(["/etc/hostname/tool"]).catch((e) => e)
    expect(notDir).not.toBeInstanceOf(ToolNotFoundError)
    expect(notDir.code).toBe("ENOTDIR")
  })

  it("a file that is not executable says so, naming the path", async () => {
    const dir = tempDir()
    const path = join(dir, "tool")
    writeFileSync(path, "#!/bin/sh\n")
    chmodSync(path, 0o644)
    const error = await spawnTool([path]).catch((e) => e)
    expect(error).not.toBeInstanceOf(ToolNotFoundError)
    expect(error.message).toBe(`${path} is not executable (permission denied)`)
  })

  it("a missing tool is reported as missing even when the deadline has already passed", async () => {
    const controller = new AbortController()
    controller.abort(new Error("probe deadline passed"))
    const error = await spawnTool(["smartctl"], { env: { PATH: tempDir() }, signal: controller.signal }).catch((e) => e)
    expect(error).toBeInstanceOf(ToolNotFoundError)
  })

  it("env adds to this process's environment", async () => {
    const result = await spawnTool(["/bin/sh", "-c", 'echo "$HOME|$POLLECT_TEST_VAR"'], { env: { POLLECT_TEST_VAR: "set" } })
    expect(result.stdout).toBe(`${process.env.HOME}|set\n`)
  })

  it("a signal aborted without a reason (abort(null)) still gives an error naming the tool", async () => {
    const before = new AbortController()
    before.abort(null)
    expect(await spawnTool(["sh", "-c", "echo"], { signal: before.signal }).catch((e) => e)).toEqual(new Error("sh was aborted"))
    const during = new AbortController()
    const running = spawnTool(["sh", "-c", "sleep 30"], { signal: during.signal, timeoutMs: 60_000 })
    await Bun.sleep(20)
    during.abort(null)
    expect(await running.catch((e) => e)).toEqual(new Error("sh was aborted"))
  })

  it("decodes UTF-8 across pipe chunks (a character split between two writes stays whole)", async () => {
    // Each € (3 bytes) is written as 2 bytes, a pause, then the last byte: two reads, one character.
    const script = "for i in 1 2 3; do printf '\\342\\202'; sleep 0.1; printf '\\254'; done"
    const result = await spawnTool(["/bin/sh", "-c", script])
    expect(result.stdout).toBe("€€€")
  })

  it("at the deadline it stops reading pipes that a process outside the tool's group still holds", async () => {
    // The tool starts a `sleep` in a session of its own (setsid): the group kill misses it, and it keeps stdout open.
    const dir = tempDir()
    const pidFile = join(dir, "pid")
    const error = await spawnTool(["/bin/sh", "-c", `setsid sleep 120 & echo $! > '${pidFile}'; wait`], { timeoutMs: 200 }).catch((e) => e)
    try {
      expect(error).toBeInstanceOf(ToolTimeoutError)
    } finally {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0
      if (pid > 0) process.kill(pid, "SIGKILL")
    }
  })

  it("when the group cannot be killed, the tool itself gets SIGKILL (a tool that ignores SIGTERM)", async () => {
    const dir = tempDir()
    const marker = join(dir, "finished")
    const original = process.kill.bind(process)
    const kill = spyOn(process, "kill").mockImplementation(((pid: number, signal?: string | number) => {
      if (pid < 0) throw Object.assign(new Error("kill EPERM"), { code: "EPERM" })
      return original(pid, signal)
    }) as typeof process.kill)
    try {
      const error = await spawnTool(["/bin/sh", "-c", `trap '' TERM; sleep 1; touch '${marker}'`], { timeoutMs: 100 }).catch((e) => e)
      expect(error).toBeInstanceOf(ToolTimeoutError)
      // Killed, not waited for: the script never got to its last line.
      expect(existsSync(marker)).toBe(false)
    } finally {
      kill.mockRestore()
    }
  })

  it("the deadline and the signal kill once: an abort during the timeout's kill keeps it a timeout", async () => {
    const controller = new AbortController()
    const original = process.kill.bind(process)
    const groupKills: number[] = []
    const kill = spyOn(process, "kill").mockImplementation(((pid: number, signal?: string | number) => {
      if (pid < 0) {
        groupKills.push(pid)
        controller.abort(new Error("probe deadline"))
      }
      return original(pid, signal)
    }) as typeof process.kill)
    try {
      const error = await spawnTool(["/bin/sh", "-c", "sleep 30"], { timeoutMs: 100, signal: controller.signal }).catch((e) => e)
      expect(error).toBeInstanceOf(ToolTimeoutError)
      expect(groupKills).toHaveLength(1)
    } finally {
      kill.mockRestore()
    }
  })

  it("once the tool has finished, neither its deadline nor an abort kills anything", async () => {
    const controller = new AbortController()
    const kill = spyOn(process, "kill")
    try {
      const result = await spawnTool(["/bin/sh", "-c", "echo hi"], { timeoutMs: 20, signal: controller.signal })
      expect(result.stdout).toBe("hi\n")
      controller.abort(new Error("late"))
      // Past the 20 ms deadline (a later timer fires after it).
      await Bun.sleep(60)
      expect(kill).not.toHaveBeenCalled()
    } finally {
      kill.mockRestore()
    }
  })
})
