/**
 * Types written as module paths, as pollect 1.x named a user's class: `extensions.SingleRandom`
 * loads `extensions/SingleRandom.ts` (or `.js`, or 1.x's file name `SingleRandomSource.*`)
 * beside the config and takes its `SingleRandomSource`; a Python file found there is an error
 * saying what to do.
 */
import { describe, expect, it } from "bun:test"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Agent } from "../agent.ts"
import { silentLogger } from "../core/log.ts"
import { builtinRegistry } from "../registry.ts"
import type { DryRunWriter } from "../writers/dry-run/index.ts"
import { tempDir } from "../../test/helpers/context.ts"
import { ConfigError } from "./errors.ts"
import { loadConfigFile } from "./index.ts"
import { PYTHON_EXTENSIONS_HELP } from "./extensions.ts"

const SINGLE = `import { Source, v } from "pollect"
export class SingleRandomSource extends Source {
  static override readonly options = v.object({ max: v.number() })
  override probe() { return this.config.max / 2 }
}
// Not asked for: must not become a type, nor replace the built-in.
export class HttpSource extends Source { override probe() { return 0 } }
`

function write(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
}

async function problemsOf(dir: string): Promise<string[]> {
  const error = await loadConfigFile(join(dir, "config.json"), builtinRegistry()).catch((e) => e)
  expect(error).toBeInstanceOf(ConfigError)
  return (error as ConfigError).problems
}

describe("types as module paths", () => {
  it("1.2's README example: extensions.SingleRandom and extensions.MultiRandom load from extensions/ beside the config", async () => {
    const dir = tempDir()
    write(dir, {
      "extensions/SingleRandom.ts": SINGLE,
      // 1.2 imported the module `extensions.MultiRandomSource`: that file name works too, and .js.
      "extensions/MultiRandomSource.js": `import { Source } from "pollect"
export class MultiRandomSource extends Source { probe() { return { a: 1, b: 2 } } }
`,
      "out/jsonl/Lines.ts": `import { promName, Writer } from "pollect"
export const written = []
export class LinesWriter extends Writer {
  override write(results) {
    for (const r of results) for (const set of r.sets) for (const value of set.values) written.push(promName(r, set, value, "pollect"))
  }
}
`,
      "config.json": JSON.stringify({
        writers: [{ type: "DryRun" }, { type: "out.jsonl.Lines" }],
        executors: [
          {
            collection: "example",
            sources: [
              { type: "extensions.SingleRandom", max: 100 },
              { type: "extensions.MultiRandom" },
              { type: "extensions.SingleRandom", max: 4 },
            ],
          },
        ],
      }),
    })
    const registry = builtinRegistry()
    const builtinHttp = registry.sources.get("Http")
    const config = await loadConfigFile(join(dir, "config.json"), registry)
    expect(config.loadedExtensions.map((e) => [e.file.slice(dir.length), e.sources, e.writers])).toEqual([
      ["/out/jsonl/Lines.ts", [], ["out.jsonl.Lines"]],
      ["/extensions/SingleRandom.ts", ["extensions.SingleRandom"], []],
      ["/extensions/MultiRandomSource.js", ["extensions.MultiRandom"], []],
    ])
    expect(registry.sources.get("Http")).toBe(builtinHttp)
    expect(registry.sources.has("SingleRandom")).toBe(false)

    const agent = new Agent(config, { log: silentLogger })
    const lines: string[] = []
    ;(agent.writers.find((w) => w.config.type === "DryRun") as DryRunWriter).out = (line) => lines.push(line)
    expect(await agent.runOnce()).toBe(true)
    expect([...lines[0]!.matchAll(/\('([^']+)', \(\d+, ([\d.]+)\)\)/g)].map((m) => `${m[1]} ${m[2]}`)).toEqual([
      "example.extensions_singlerandom 50.0",
      "example.extensions_multirandom.a 1.0",
      "example.extensions_multirandom.b 2.0",
      "example.extensions_singlerandom 2.0",
    ])
    // 1.2's Prometheus names: `collection.type` with "." → "_".
    const { written } = await import(join(dir, "out/jsonl/Lines.ts"))
    expect(written).toEqual([
      "example_extensions_SingleRandom",
      "example_extensions_MultiRandom_a",
      "example_extensions_MultiRandom_b",
      "example_extensions_SingleRandom",
    ])
  })

  it("the options of a module-path type are validated by its class, by path", async () => {
    const dir = tempDir()
    write(dir, {
      "extensions/SingleRandom.ts": SINGLE,
      "config.json": JSON.stringify({ executors: [{ sources: [{ type: "extensions.SingleRandom", max: "big" }] }] }),
    })
    expect(await problemsOf(dir)).toEqual(["executors[0].sources[0] (extensions.SingleRandom): max: expected number"])
  })

  it("a missing file lists the paths tried, once per entry, and no 'unknown type' besides", async () => {
    const dir = tempDir()
    write(dir, {
      "config.json": JSON.stringify({
        writer: { type: "my.Out" },
        executors: [{ sources: [{ type: "extensions.Nope" }, { type: "LoadAvg" }, { type: "extensions.Nope" }] }],
      }),
    })
    const tried = (base: string, suffix: string) =>
      [`${base}.ts`, `${base}.js`, `${base}${suffix}.ts`, `${base}${suffix}.js`].map((f) => join(dir, f)).join(", ")
    expect(await problemsOf(dir)).toEqual([
      `writer: no file for writer type "my.Out" (tried ${tried("my/Out", "Writer")})`,
      `executors[0].sources[0]: no file for source type "extensions.Nope" (tried ${tried("extensions/Nope", "Source")})`,
      `executors[0].sources[2]: no file for source type "extensions.Nope" (tried ${tried("extensions/Nope", "Source")})`,
    ])
  })

  it("a Python extension of 1.x says that extensions are TypeScript or JavaScript here, and where to read how", async () => {
    const dir = tempDir()
    write(dir, {
      "extensions/SingleRandom.py": "class SingleRandomSource(Source):\n    pass\n",
      "extensions/MultiRandomSource.py": "class MultiRandomSource(Source):\n    pass\n",
      "config.json": JSON.stringify({
        executors: [{ sources: [{ type: "extensions.SingleRandom" }, { type: "extensions.MultiRandom" }] }],
      }),
    })
    const py = (name: string) => join(dir, "extensions", name)
    expect(await problemsOf(dir)).toEqual([
      `executors[0].sources[0]: source type "extensions.SingleRandom" is the Python file ${py("SingleRandom.py")}: extensions of this pollect are TypeScript or JavaScript, not Python. Rewrite it as ${py("SingleRandom.ts")} exporting class SingleRandomSource (see ${PYTHON_EXTENSIONS_HELP})`,
      `executors[0].sources[1]: source type "extensions.MultiRandom" is the Python file ${py("MultiRandomSource.py")}: extensions of this pollect are TypeScript or JavaScript, not Python. Rewrite it as ${py("MultiRandomSource.ts")} exporting class MultiRandomSource (see ${PYTHON_EXTENSIONS_HELP})`,
    ])
  })

  it("a file without the class, a broken file, and a type that is no module path", async () => {
    const dir = tempDir()
    write(dir, {
      "extensions/Other.ts": `import { Source } from "pollect"\nexport class SomethingSource extends Source { override probe() { return 1 } }\n`,
      "extensions/Broken.ts": "export class BrokenSource extends {",
      "config.json": JSON.stringify({
        executors: [{ sources: [{ type: "extensions.Other" }, { type: "extensions.Broken" }, { type: "../x.Y" }] }],
      }),
    })
    const problems = await problemsOf(dir)
    expect(problems[0]).toBe(`executors[0].sources[0]: ${join(dir, "extensions/Other.ts")} exports no class OtherSource extending Source`)
    expect(problems[1]).toStartWith(`executors[0].sources[1]: cannot load extension ${join(dir, "extensions/Broken.ts")}: `)
    expect(problems[2]).toStartWith(`executors[0].sources[2]: unknown source type "../x.Y" (known: `)
    expect(problems).toHaveLength(3)
  })

  it("pollect check runs them too", async () => {
    const dir = tempDir()
    write(dir, {
      "extensions/SingleRandom.ts": SINGLE,
      "config.yml": "executors:\n  - collection: example\n    sources:\n      - type: extensions.SingleRandom\n        max: 100\n",
    })
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "../main.ts"), "check", "--config", join(dir, "config.yml")], {
      stdout: "pipe",
      stderr: "pipe",
    })
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
    expect(stdout).toBe(`${join(dir, "config.yml")}: OK (1 executor(s), 1 source(s))\n`)
    expect(code).toBe(0)
  })
})
