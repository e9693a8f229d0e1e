/**
 * config/extensions.ts, function by function: which files a folder stands for, which exports
 * become types, where a module-path type may live, and what each failure says.
 */
import { describe, expect, it } from "bun:test"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../../test/helpers/context.ts"
import { Registry } from "../core/registry.ts"
import {
  extensionFiles,
  isModulePathType,
  loadExtension,
  loadModulePathType,
  modulePathCandidates,
  PYTHON_EXTENSIONS_HELP,
} from "./extensions.ts"

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

const SOURCE = (name: string) => `import { Source } from "pollect"\nexport class ${name} extends Source { probe() { return 1 } }\n`

describe("extensionFiles", () => {
  it("a folder: its .ts, .js, .mjs and .mts files, sorted, without declarations, tests or other files, not recursing", () => {
    const dir = tempDir()
    const names = ["d.ts", "b.mts", "a.mjs", "c.js", "e.d.ts", "f.test.ts", "g.test.js", "h.json", "i.cjs", "README.md", "sub/j.ts"]
    write(dir, Object.fromEntries(names.map((name) => [name, ""])))
    expect(extensionFiles(dir)).toEqual(["a.mjs", "b.mts", "c.js", "d.ts"].map((name) => join(dir, name)))
  })

  it("a file is itself, whatever its name; a missing path is an error naming it", () => {
    const dir = tempDir()
    write(dir, { "ext.txt": "" })
    expect(extensionFiles(join(dir, "ext.txt"))).toEqual([join(dir, "ext.txt")])
    expect(() => extensionFiles(join(dir, "missing"))).toThrow(`${join(dir, "missing")} does not exist`)
  })
})

describe("loadExtension", () => {
  it("registers XSource classes extending Source and XWriter classes extending Writer, under X; nothing else", async () => {
    const dir = tempDir()
    write(dir, {
      "ext.ts": `import { Source, Writer } from "pollect"
export class GoodSource extends Source { probe() { return 1 } }
export class GoodWriter extends Writer { write() {} }
export class Helper extends Source { probe() { return 1 } }
export class PlainSource { probe() { return 1 } }
export class CrossWriter extends Source { probe() { return 1 } }
export class CrossSource extends Writer { write() {} }
export const NullSource = null
export const TextSource = "no class"
export function makeSource() {}
`,
    })
    const registry = new Registry()
    const loaded = await loadExtension(join(dir, "ext.ts"), registry)
    expect(loaded).toEqual({ file: join(dir, "ext.ts"), sources: ["Good"], writers: ["Good"] })
    expect(registry.sourceTypes()).toEqual(["Good"])
    expect(registry.writerTypes()).toEqual(["Good"])
  })

  it("a file exporting no such class is an error naming the file; one that does not load names it too", async () => {
    const dir = tempDir()
    write(dir, { "none.ts": "export const answer = 42\n", "broken.ts": "export class XSource extends {" })
    await expect(loadExtension(join(dir, "none.ts"), new Registry())).rejects.toThrow(
      `extension ${join(dir, "none.ts")} exports no class named XSource extending Source or XWriter extending Writer`,
    )
    await expect(loadExtension(join(dir, "broken.ts"), new Registry())).rejects.toThrow(`cannot load extension ${join(dir, "broken.ts")}: `)
  })
})

describe("module-path types", () => {
  it("isModulePathType: a dot makes one", () => {
    expect(isModulePathType("extensions.Single")).toBe(true)
    expect(isModulePathType("Single")).toBe(false)
  })

  it("candidates: the dotted parts as folders beside the config, the last as the file, then with Source/Writer", () => {
    expect(modulePathCandidates("a.b.C", "source", "/cfg")).toEqual([
      "/cfg/a/b/C.ts",
      "/cfg/a/b/C.js",
      "/cfg/a/b/CSource.ts",
      "/cfg/a/b/CSource.js",
    ])
    expect(modulePathCandidates("my-ext.Thing_2", "writer", "/cfg")).toEqual([
      "/cfg/my-ext/Thing_2.ts",
      "/cfg/my-ext/Thing_2.js",
      "/cfg/my-ext/Thing_2Writer.ts",
      "/cfg/my-ext/Thing_2Writer.js",
    ])
  })

  it("no candidates for one part, an empty part, or a part with anything but letters, digits, _ and -", () => {
    for (const type of ["Single", "a..b", ".a", "a.", "../x.Y", "a/b.C", "a.b c", "a.b$", "$a.b"])
      expect([type, modulePathCandidates(type, "source", "/cfg")]).toEqual([type, undefined])
  })

  it("loadModulePathType: a type that is no module path, a folder where a file should be, a class of the wrong kind", async () => {
    const dir = tempDir()
    const registry = new Registry()
    await expect(loadModulePathType("a..b", "writer", dir, registry)).rejects.toThrow(
      'writer type "a..b" is not a module path (parts of letters, digits, _ and - joined by dots)',
    )
    mkdirSync(join(dir, "ext/Dir.ts"), { recursive: true })
    write(dir, { "ext/DirSource.ts": SOURCE("DirSource"), "ext/Out.ts": SOURCE("OutWriter") })
    // A folder named like a candidate is skipped: the next candidate is the file.
    expect(await loadModulePathType("ext.Dir", "source", dir, registry)).toEqual({
      file: join(dir, "ext/DirSource.ts"),
      sources: ["ext.Dir"],
      writers: [],
    })
    expect(registry.sourceTypes()).toEqual(["ext.Dir"])
    await expect(loadModulePathType("ext.Out", "writer", dir, registry)).rejects.toThrow(
      `${join(dir, "ext/Out.ts")} exports no class OutWriter extending Writer`,
    )
    expect(registry.writerTypes()).toEqual([])
  })

  it("a writer loads and registers as a writer", async () => {
    const dir = tempDir()
    write(dir, { "out/Lines.js": `import { Writer } from "pollect"\nexport class LinesWriter extends Writer { write() {} }\n` })
    const registry = new Registry()
    expect(await loadModulePathType("out.Lines", "writer", dir, registry)).toEqual({
      file: join(dir, "out/Lines.js"),
      sources: [],
      writers: ["out.Lines"],
    })
    expect(registry.writerTypes()).toEqual(["out.Lines"])
    expect(registry.sourceTypes()).toEqual([])
  })

  it("a Python file of a writer: what to write instead", async () => {
    const dir = tempDir()
    write(dir, { "out/LinesWriter.py": "class LinesWriter: pass\n" })
    await expect(loadModulePathType("out.Lines", "writer", dir, new Registry())).rejects.toThrow(
      `writer type "out.Lines" is the Python file ${join(dir, "out/LinesWriter.py")}: extensions of this pollect are TypeScript or JavaScript, not Python. Rewrite it as ${join(dir, "out/LinesWriter.ts")} exporting class LinesWriter`,
    )
  })
})

describe("the help for Python extensions", () => {
  it("points at the README's section on coming from the Python pollect", async () => {
    const readme = await Bun.file(join(import.meta.dir, "../../README.md")).text()
    expect(readme).toContain("\n## Coming from the Python pollect\n")
    expect(PYTHON_EXTENSIONS_HELP).toBe("https://github.com/davidgiga1993/pollect#coming-from-the-python-pollect")
  })

  it("a config folder whose name holds .js or .py: only the file's own suffix is swapped", async () => {
    for (const folder of ["site.js", "site.py"]) {
      const dir = join(tempDir(), folder)
      write(dir, { "ext/Single.py": "class SingleSource: pass\n" })
      await expect(loadModulePathType("ext.Single", "source", dir, new Registry())).rejects.toThrow(
        `source type "ext.Single" is the Python file ${join(dir, "ext/Single.py")}: extensions of this pollect are TypeScript or JavaScript, not Python. Rewrite it as ${join(dir, "ext/Single.ts")} exporting class SingleSource (see ${PYTHON_EXTENSIONS_HELP})`,
      )
    }
  })
})
