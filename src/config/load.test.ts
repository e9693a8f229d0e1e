/**
 * config/load.ts: which parser a file's extension picks (any case), which file `--config NAME`
 * stands for, and what a file that cannot be read or parsed is reported as.
 */
import { afterAll, describe, expect, it } from "bun:test"
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { ConfigError } from "./errors.ts"
import { MAX_CONFIG_BYTES } from "./bounds.ts"
import { findConfigFile, parseConfigText, readConfigFile, reasonOf } from "./load.ts"
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

describe("files that cannot be read", () => {
  it("a directory is one, and says so", async () => {
    const dir = tempDir()
    mkdirSync(join(dir, "config.json"))
    expect(await problemOf(() => readConfigFile(join(dir, "config.json")))).toBe("cannot read config: is a directory")
  })

  it("a path through a file: the system's words (ENOTDIR), not `file not found`", async () => {
    const dir = tempDir()
    writeFileSync(join(dir, "plain"), "{}")
    expect(await problemOf(() => readConfigFile(join(dir, "plain/config.json")))).toStartWith(
      "cannot read config: ENOTDIR: not a directory",
    )
  })

  it("exactly 1 MiB is allowed", async () => {
    const dir = tempDir()
    const file = join(dir, "big.json")
    writeFileSync(file, `{}${" ".repeat(MAX_CONFIG_BYTES - 2)}`)
    expect(await readConfigFile(file)).toEqual({})
  })

  // Files of /proc are regular files of size 0 to stat: what read() gives is checked too.
  it.skipIf(!existsSync("/proc/self/mem"))("a regular file whose read fails (/proc/self/mem: EIO)", async () => {
    expect(await problemOf(() => readConfigFile("/proc/self/mem"))).toBe("cannot read config: EIO: i/o error, read")
  })

  it.skipIf(!existsSync("/proc/kallsyms"))("a file that stat calls empty but reads as more than 1 MiB (/proc/kallsyms)", async () => {
    const size = (await Bun.file("/proc/kallsyms").text()).length
    if (size <= MAX_CONFIG_BYTES) return // a kernel without symbols: nothing to learn here
    expect(await problemOf(() => readConfigFile("/proc/kallsyms"))).toBe(`cannot read config: more than ${MAX_CONFIG_BYTES} bytes (1 MiB)`)
  })

  it("reasons by error code, else the error's message", () => {
    const error = (code: string) => Object.assign(new Error(`${code}: the system's words`), { code })
    expect(reasonOf(error("ENOENT"))).toBe("file not found")
    expect(reasonOf(error("EACCES"))).toBe("permission denied")
    expect(reasonOf(error("EISDIR"))).toBe("is a directory")
    expect(reasonOf(error("ELOOP"))).toBe("ELOOP: the system's words")
    expect(reasonOf(new Error("no code"))).toBe("no code")
  })
})

describe("texts that do not parse, or parse too big", () => {
  it("without a file name the text is JSON, and the error names config.json", () => {
    let error: unknown
    try {
      parseConfigText("a: [1")
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).file).toBe("config.json")
    expect((error as ConfigError).describe()).toBe(
      'invalid config in config.json (1 problem):\n  - not valid JSON at line 1, column 1: unexpected "a", expected a value',
    )
  })

  it("Bun's own words where the scanner finds no position (an escape JSON does not have), without Bun's prefix", async () => {
    expect(await problemOf(() => parseConfigText('{"a": "\\q"}'))).toBe("not valid JSON: Syntax Error")
  })

  it("YAML errors in Bun's words, without Bun's prefix", async () => {
    expect(await problemOf(() => parseConfigText("executors:\n  - sources: [a, b\n  - x: ]\n", "c.yaml"))).toBe(
      "not valid YAML: Unexpected token",
    )
  })

  it("64 levels of brackets parse; the parsed value is checked too: few aliases that expand to too many values", async () => {
    expect(await problemOf(() => parseConfigText("[".repeat(64) + "]".repeat(64)))).toBe("")
    // 41 aliases, 10^5 leaves once expanded.
    const lines = ["a0: &a0 [1,2,3,4,5,6,7,8,9,10]"]
    for (let i = 1; i <= 4; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      )
    lines.push("top: *a4")
    expect(await problemOf(() => parseConfigText(lines.join("\n"), "c.yaml"))).toBe(
      "config too complex: more than 100000 values (with aliases expanded)",
    )
  })
})
