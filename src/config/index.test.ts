/**
 * config/index.ts: resolveConfig on raw values of any shape (a problem by path, never a crash),
 * module-path types at every place a writer or source may stand, types registered by hand, and
 * extension folders beside the config.
 */
import { describe, expect, it } from "bun:test"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../test/helpers/context.ts"
import { Source, Writer } from "../core/plugin.ts"
import { builtinRegistry } from "../registry.ts"
import { ConfigError } from "./errors.ts"
import { loadConfigFile, resolveConfig } from "./index.ts"

async function problemsOf(raw: unknown, registry = builtinRegistry(), file?: string): Promise<string[]> {
  try {
    await resolveConfig(raw, registry, { env: {}, file })
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
}

const LINES = `import { Writer } from "pollect"
export class LinesWriter extends Writer { override write() {} }
`

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

describe("raw values of any shape: the schema's problems, never a TypeError", () => {
  const cases: [string, unknown, string[]][] = [
    ["null", null, ["(top level): expected object"]],
    ["an executor that is null", { executors: [null, { sources: [{ type: "LoadAvg" }] }] }, ["executors[0]: expected object"]],
    ["sources that are no list", { executors: [{ sources: "LoadAvg" }] }, ["executors[0].sources: expected array"]],
    ["a source that is null", { executors: [{ sources: [null] }] }, ["executors[0].sources[0]: expected object"]],
    ["a type that is no string", { executors: [{ sources: [{ type: 5 }] }] }, ["executors[0].sources[0].type: expected string"]],
    ["a source without a type", { executors: [{ sources: [{}] }] }, ["executors[0].sources[0].type: expected string"]],
    ["an extension that is no string", { extensions: [5], executors: [] }, ["extensions[0]: expected string"]],
  ]
  for (const [what, raw, expected] of cases) {
    it(what, async () => {
      expect(await problemsOf(raw)).toEqual(expected)
    })
  }

  it("an extension path's trailing slashes go (absolute paths are taken as written otherwise)", async () => {
    expect(await problemsOf({ extensions: ["/nonexistent-pollect-dir//"], executors: [] })).toEqual([
      "extensions[0]: /nonexistent-pollect-dir does not exist",
    ])
  })
})

describe("sources/ and writers/ beside the config", () => {
  it("are not looked for without a config file (the embedded default): not in the working folder either", async () => {
    const dir = tempDir()
    write(dir, { "writers/Lines.ts": LINES })
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      const raw = { executors: [{ sources: [{ type: "LoadAvg" }] }] }
      expect((await resolveConfig(raw, builtinRegistry(), { env: {} })).loadedExtensions).toEqual([])
      // With a config file in that folder, they are.
      const withFile = await resolveConfig(raw, builtinRegistry(), { env: {}, file: join(dir, "config.json") })
      expect(withFile.loadedExtensions.map((e) => e.file)).toEqual([join(dir, "writers/Lines.ts")])
    } finally {
      process.chdir(cwd)
    }
  })
})

describe("module-path writers wherever a writer may stand: loaded, or one problem (no `unknown type` besides)", () => {
  it("writer as a list, writers, an executor's writer and writers: each loads its file", async () => {
    const dir = tempDir()
    write(dir, { "out/Lines.ts": LINES })
    for (const raw of [
      { writer: [{ type: "out.Lines" }], executors: [{ sources: [{ type: "LoadAvg" }] }] },
      { writers: [{ type: "out.Lines" }], executors: [{ sources: [{ type: "LoadAvg" }] }] },
      { executors: [{ sources: [{ type: "LoadAvg" }], writer: { type: "out.Lines" } }] },
      { executors: [{ sources: [{ type: "LoadAvg" }], writers: [{ type: "out.Lines" }] }] },
    ]) {
      const config = await resolveConfig(raw, builtinRegistry(), { env: {}, file: join(dir, "config.json") })
      expect(config.executors[0]!.writers.map((w) => w.type)).toEqual(["out.Lines"])
      expect(config.loadedExtensions.map((e) => [e.file, e.writers])).toEqual([[join(dir, "out/Lines.ts"), ["out.Lines"]]])
    }
  })

  it("a missing file is one problem at the writer's own path", async () => {
    const dir = tempDir()
    const file = join(dir, "config.json")
    const missing = { type: "gone.Out" }
    const tried = ["Out.ts", "Out.js", "OutWriter.ts", "OutWriter.js"].map((f) => join(dir, "gone", f)).join(", ")
    const problem = (where: string) => `${where}: no file for writer type "gone.Out" (tried ${tried})`
    const source = { sources: [{ type: "LoadAvg" }] }
    expect(await problemsOf({ writer: [{ type: "DryRun" }, missing], executors: [source] }, builtinRegistry(), file)).toEqual([
      problem("writer[1]"),
    ])
    expect(await problemsOf({ writers: [missing], executors: [source] }, builtinRegistry(), file)).toEqual([problem("writers[0]")])
    expect(await problemsOf({ executors: [{ ...source, writer: missing }] }, builtinRegistry(), file)).toEqual([
      problem("executors[0].writer"),
    ])
    expect(await problemsOf({ executors: [source, { ...source, writers: [missing] }] }, builtinRegistry(), file)).toEqual([
      problem("executors[1].writers[0]"),
    ])
  })
})

describe("types registered by hand", () => {
  class ThingSource extends Source {
    override probe() {
      return 1
    }
  }
  class ThingWriter extends Writer {
    override write() {}
  }

  it("a source and a writer whose names look like module paths are taken from the registry, no file looked for", async () => {
    const registry = builtinRegistry()
    registry.addSources({ "my.Thing": ThingSource })
    registry.addWriters({ "my.Out": ThingWriter })
    const dir = tempDir()
    const config = await resolveConfig({ writer: { type: "my.Out" }, executors: [{ sources: [{ type: "my.Thing" }] }] }, registry, {
      env: {},
      file: join(dir, "config.json"),
    })
    expect(config.executors[0]!.sources.map((s) => s.type)).toEqual(["my.Thing"])
    expect(config.executors[0]!.writers.map((w) => w.type)).toEqual(["my.Out"])
    expect(config.loadedExtensions).toEqual([])
  })
})

describe("extension folders beside the config", () => {
  it("writers/ beside the config is loaded without being listed", async () => {
    const dir = tempDir()
    write(dir, {
      "writers/lines.ts": LINES,
      "config.json": JSON.stringify({ writer: { type: "Lines" }, executors: [{ sources: [{ type: "LoadAvg" }] }] }),
    })
    const config = await loadConfigFile(join(dir, "config.json"), builtinRegistry())
    expect(config.loadedExtensions.map((e) => [e.file, e.writers])).toEqual([[join(dir, "writers/lines.ts"), ["Lines"]]])
    expect(config.executors[0]!.writers.map((w) => w.type)).toEqual(["Lines"])
  })
})
