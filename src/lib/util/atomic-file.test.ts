/** lib/util/atomic-file.ts and state-file.ts: atomic writes, token caches that fail soft. */
import { describe, expect, it } from "bun:test"
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../../test/helpers/context.ts"
import { writeFileAtomic } from "./atomic-file.ts"
import { saveState } from "./state-file.ts"

const mode = (path: string) => statSync(path).mode & 0o777

describe("writeFileAtomic", () => {
  it("writes text or bytes, replacing the old file, creating missing folders, leaving no temp file", () => {
    const dir = tempDir("pollect-atomic-")
    const path = join(dir, "a", "b", "token.json")
    writeFileAtomic(path, "first")
    expect(readFileSync(path, "utf8")).toBe("first")
    writeFileAtomic(path, new TextEncoder().encode("second"))
    expect(readFileSync(path, "utf8")).toBe("second")
    expect(readdirSync(join(dir, "a", "b"))).toEqual(["token.json"])
  })

  it("a new file gets 0644 by default, or the mode given", () => {
    const dir = tempDir("pollect-atomic-")
    const saved = process.umask(0o022)
    try {
      writeFileAtomic(join(dir, "plain"), "x")
      expect(mode(join(dir, "plain"))).toBe(0o644)
      writeFileAtomic(join(dir, "secret"), "x", 0o600)
      expect(mode(join(dir, "secret"))).toBe(0o600)
    } finally {
      process.umask(saved)
    }
  })

  it("a failure names the path and the errno code (not the temp file), keeps the code, and leaves no temp file", () => {
    const dir = tempDir("pollect-atomic-")
    writeFileSync(join(dir, "file"), "x")
    const error = (() => {
      try {
        writeFileAtomic(join(dir, "file", "token.json"), "data")
      } catch (e) {
        return e as Error & { code?: string }
      }
    })()
    expect(error?.message).toMatch(new RegExp(`^cannot write ${join(dir, "file", "token.json")}: (ENOTDIR|EEXIST|EFAULT)$`))
    expect(error?.code).toMatch(/^(ENOTDIR|EEXIST|EFAULT)$/)
    // A target that is a folder: the temp file is written, the rename fails, the temp file goes.
    const folder = join(dir, "folder")
    writeFileAtomic(join(folder, "inside"), "x")
    expect(() => writeFileAtomic(folder, "data")).toThrow(/^cannot write .*folder: (EISDIR|ENOTEMPTY|EEXIST)$/)
    expect(readdirSync(dir).sort()).toEqual(["file", "folder"])
  })
})

describe("saveState", () => {
  it("writes the token with mode 0600 and says so", () => {
    const dir = tempDir("pollect-state-")
    const warnings: string[] = []
    expect(saveState(join(dir, "token.json"), '{"t":1}', (m) => warnings.push(m))).toBe(true)
    expect(readFileSync(join(dir, "token.json"), "utf8")).toBe('{"t":1}')
    expect(mode(join(dir, "token.json"))).toBe(0o600)
    expect(warnings).toEqual([])
  })

  it("an unwritable folder is warned about once (with the code), until a write there works again", () => {
    const dir = tempDir("pollect-state-")
    writeFileSync(join(dir, "blocker"), "a file, not a folder")
    const folder = join(dir, "blocker")
    const warnings: string[] = []
    const warn = (m: string) => warnings.push(m)
    expect(saveState(join(folder, "a.json"), "1", warn)).toBe(false)
    expect(saveState(join(folder, "b.json"), "2", warn)).toBe(false)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      new RegExp(
        `^cannot write the state directory ${folder} \\((ENOTDIR|EEXIST|EFAULT)\\); keeping the token in memory only \\(a restart signs in again\\)$`,
      ),
    )
    // Another folder is its own report.
    const other = join(dir, "other-blocker")
    writeFileSync(other, "x")
    expect(saveState(join(other, "a.json"), "1", warn)).toBe(false)
    expect(warnings).toHaveLength(2)
    // The folder becomes writable: the write works, and a later failure is reported again.
    const { rmSync } = require("node:fs") as typeof import("node:fs")
    rmSync(folder)
    expect(saveState(join(folder, "a.json"), "1", warn)).toBe(true)
    rmSync(folder, { recursive: true })
    writeFileSync(folder, "a file again")
    expect(saveState(join(folder, "a.json"), "1", warn)).toBe(false)
    expect(warnings).toHaveLength(3)
  })
})
