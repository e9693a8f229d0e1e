/** config/load.ts: which parser a file's extension picks (any case), and which file `--config NAME` stands for. */
import { afterAll, describe, expect, it } from "bun:test"
import { rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ConfigError } from "./errors.ts"
import { findConfigFile, parseConfigText, readConfigFile } from "./load.ts"
import { tempDir as makeTempDir } from "../../test/helpers/context.ts"

const dirs: string[] = []
const tempDir = () => {
  const dir = makeTempDir()
  dirs.push(dir)
  return dir
}
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

const YAML = "tickTime: 30\nexecutors:\n  - collection: pollect\n    sources:\n      - type: LoadAvg\n"
const JSONC = '{\n  // comment\n  "tickTime": 30, "executors": [{ "collection": "pollect", "sources": [{ "type": "LoadAvg" }] }],\n}\n'
const parsed = { tickTime: 30, executors: [{ collection: "pollect", sources: [{ type: "LoadAvg" }] }] }

/** The first problem a call is rejected with, or "" when it succeeds. */
async function problemOf(call: () => unknown): Promise<string> {
  try {
    await call()
    return ""
  } catch (error) {
    if (error instanceof ConfigError) return error.problems[0]!
    throw error
  }
}

describe("the parser follows the extension, in any case", () => {
  it.each(["config.yaml", "config.yml", "CONFIG.YAML", "config.YML", "Config.Yml"])("%s is YAML", (file) => {
    expect(parseConfigText(YAML, file)).toEqual(parsed)
  })

  it.each(["config.json", "CONFIG.JSON", "config.jsonc", "config.Json"])("%s is JSON with comments", (file) => {
    expect(parseConfigText(JSONC, file)).toEqual(parsed)
  })

  it("YAML in a .json file is a JSON error, and a broken .YML file a YAML error", async () => {
    expect(await problemOf(() => parseConfigText(YAML, "CONFIG.JSON"))).toStartWith("not valid JSON")
    expect(await problemOf(() => parseConfigText("executors:\n  - sources: [a, b\n  - x: ]\n", "CONFIG.YML"))).toStartWith("not valid YAML")
  })

  it("YAML's bounds (recursive aliases) hold for .yml and .YML files too", async () => {
    for (const file of ["c.yml", "C.YML"])
      expect(await problemOf(() => parseConfigText("a: &a [*a]\n", file))).toStartWith("config too complex")
  })

  it("readConfigFile reads a .yml and an upper-case .YML file as YAML", async () => {
    const dir = tempDir()
    for (const name of ["pollect.yml", "POLLECT.YML"]) {
      writeFileSync(join(dir, name), YAML)
      expect(await readConfigFile(join(dir, name))).toEqual(parsed)
    }
  })
})

describe("findConfigFile", () => {
  it("a name with a config extension, in any case, is taken as written even when missing (no suffixes tried)", () => {
    for (const name of [
      "/nonexistent/CONFIG.JSON",
      "/nonexistent/c.YML",
      "/nonexistent/c.Yaml",
      "/nonexistent/c.JSONC",
      "/nonexistent/c.yml",
    ])
      expect(findConfigFile(name)).toBe(name)
  })

  it("a name without one tries NAME.yml, NAME.yaml, NAME.json in that order", async () => {
    const dir = tempDir()
    const name = join(dir, "config")
    expect(await problemOf(() => findConfigFile(name))).toBe(
      `cannot read config: file not found (tried ${name}, ${name}.yml, ${name}.yaml, ${name}.json)`,
    )
    writeFileSync(name + ".json", "{}")
    expect(findConfigFile(name)).toBe(name + ".json")
    writeFileSync(name + ".yml", "{}")
    expect(findConfigFile(name)).toBe(name + ".yml")
  })
})
