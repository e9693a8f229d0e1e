import { describe, expect, it, spyOn } from "bun:test"
import * as fs from "node:fs"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { procPath, sysPath } from "./host-paths.ts"
import { readHostFile, readProcDir, readProcFile } from "./proc-read.ts"

describe("proc-read", () => {
  it("a missing file or folder is undefined, not an error", () => {
    const dir = tempDir()
    expect(readProcFile(join(dir, "nope"))).toBeUndefined()
    expect(readProcFile(join(dir, "nope", "deeper"))).toBeUndefined()
    expect(readProcDir(join(dir, "nope"))).toBeUndefined()
    expect(readHostFile(join(dir, "nope"))).toBeUndefined()
  })

  it("a path through a regular file (ENOTDIR, as /proc/<pid>/x of a pid that became a file) is undefined too", () => {
    const dir = tempDir()
    writeFileSync(join(dir, "file"), "x")
    expect(readProcFile(join(dir, "file", "status"))).toBeUndefined()
    expect(readProcDir(join(dir, "file", "task"))).toBeUndefined()
    expect(readHostFile(join(dir, "file", "status"))).toBeUndefined()
  })

  it("reads text and entries", () => {
    const dir = tempDir()
    writeFileSync(join(dir, "loadavg"), "0.01 0.14 0.09 1/123 4567\n")
    expect(readProcFile(join(dir, "loadavg"))).toBe("0.01 0.14 0.09 1/123 4567\n")
    expect(readProcDir(dir)).toEqual(["loadavg"])
  })

  it("readHostFile names the file that cannot be read", () => {
    const dir = tempDir()
    mkdirSync(join(dir, "dev"))
    expect(() => readProcFile(join(dir, "dev"))).toThrow(/EISDIR/)
    expect(() => readHostFile(join(dir, "dev"))).toThrow(`cannot read ${join(dir, "dev")}: EISDIR`)
    const error = (() => {
      try {
        readHostFile(join(dir, "dev"))
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.cause).toMatchObject({ code: "EISDIR" })
  })

  it("ESRCH (a /proc/<pid> file of a process that exited while being read) is undefined too", () => {
    const esrch = () => {
      throw Object.assign(new Error("ESRCH: no such process, read"), { code: "ESRCH" })
    }
    const file = spyOn(fs, "readFileSync").mockImplementation(esrch)
    const dir = spyOn(fs, "readdirSync").mockImplementation(esrch)
    try {
      expect(readProcFile("/proc/1/status")).toBeUndefined()
      expect(readProcDir("/proc/1/task")).toBeUndefined()
    } finally {
      file.mockRestore()
      dir.mockRestore()
    }
  })
})

describe("host-paths", () => {
  it("POLLECT_PROCFS / POLLECT_SYSFS move /proc and /sys, read at each call", () => {
    const saved = { proc: process.env.POLLECT_PROCFS, sys: process.env.POLLECT_SYSFS }
    try {
      delete process.env.POLLECT_PROCFS
      delete process.env.POLLECT_SYSFS
      expect(procPath("net", "dev")).toBe("/proc/net/dev")
      expect(sysPath("block")).toBe("/sys/block")
      process.env.POLLECT_PROCFS = "/host/proc"
      process.env.POLLECT_SYSFS = "/host/sys"
      expect(procPath("net/dev")).toBe("/host/proc/net/dev")
      expect(sysPath("block")).toBe("/host/sys/block")
    } finally {
      if (saved.proc === undefined) delete process.env.POLLECT_PROCFS
      else process.env.POLLECT_PROCFS = saved.proc
      if (saved.sys === undefined) delete process.env.POLLECT_SYSFS
      else process.env.POLLECT_SYSFS = saved.sys
    }
  })
})
