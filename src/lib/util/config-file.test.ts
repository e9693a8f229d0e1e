import { describe, expect, it } from "bun:test"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { readConfigFile } from "./config-file.ts"
import { tempDir } from "../../../test/helpers/context.ts"

describe("readConfigFile", () => {
  it("reads a file relative to the config's folder", () => {
    const dir = tempDir("pollect-config-file-")
    writeFileSync(join(dir, "key.p8"), "-----BEGIN PRIVATE KEY-----")
    expect(readConfigFile(dir, "key.p8", "keyFile")).toEqual({ path: join(dir, "key.p8"), text: "-----BEGIN PRIVATE KEY-----" })
  })

  it("names the option, the path and the errno code when it cannot", () => {
    const dir = tempDir("pollect-config-file-")
    expect(() => readConfigFile(dir, "missing.json", "credentials")).toThrow(`cannot read credentials ${join(dir, "missing.json")}: ENOENT`)
    expect(() => readConfigFile(dir, ".", "keyFile")).toThrow(`cannot read keyFile ${dir}: EISDIR`)
  })
})
