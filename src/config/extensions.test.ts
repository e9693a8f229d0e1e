import { describe, expect, it } from "bun:test"
import { cpSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Agent } from "../agent.ts"
import { ConfigError } from "./errors.ts"
import { loadConfigFile } from "./index.ts"
import { silentLogger } from "../core/log.ts"
import { builtinRegistry } from "../registry.ts"
import type { DryRunWriter } from "../writers/dry-run/index.ts"
import { tempDir } from "../../test/helpers/context.ts"

const examples = join(import.meta.dir, "../../examples")

describe("extensions", () => {
  it('the examples load from sources/ beside the config and from `extensions`, importing "pollect"', async () => {
    const dir = tempDir()
    cpSync(examples, dir, { recursive: true })
    const registry = builtinRegistry()
    const config = await loadConfigFile(join(dir, "config.json"), registry)
    expect(config.loadedExtensions.map((e) => [e.file.slice(dir.length), e.sources, e.writers])).toEqual([
      ["/sources/random.ts", ["MultiRandom", "SingleRandom"], []],
      ["/writers/json-lines.ts", [], ["JsonLines"]],
    ])

    const agent = new Agent(config, { log: silentLogger })
    const lines: string[] = []
    ;(agent.writers.find((w) => w.config.type === "DryRun") as DryRunWriter).out = (line) => lines.push(line)
    expect(await agent.runOnce()).toBe(true)
    const values = [...lines[0]!.matchAll(/\('([^']+)', \(\d+, ([\d.e+-]+)\)\)/g)].map((m) => [m[1], Number(m[2])] as const)
    expect(values.map(([path]) => path)).toEqual(["pollect.singlerandom", "pollect.multirandom.a", "pollect.multirandom.b"])
    expect(values[0]![1]).toBeGreaterThanOrEqual(0)
    expect(values[0]![1]).toBeLessThan(100)
    // The writer extension wrote the same tick.
    const written = (await Bun.file(join(dir, "values.jsonl")).text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(written.map((w) => [w.path, w.value])).toEqual(values.map(([path, value]) => [path, value]))
  })

  it("an extension's options are validated like a built-in's", async () => {
    const dir = tempDir()
    cpSync(join(examples, "sources"), join(dir, "sources"), { recursive: true })
    writeFileSync(join(dir, "config.json"), JSON.stringify({ executors: [{ sources: [{ type: "SingleRandom", max: "big" }] }] }))
    const error = await loadConfigFile(join(dir, "config.json"), builtinRegistry()).catch((e) => e)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.problems).toEqual(["executors[0].sources[0] (SingleRandom): max: expected number"])
  })

  it("a broken extension is a config error naming the file", async () => {
    const dir = tempDir()
    mkdirSync(join(dir, "sources"))
    writeFileSync(join(dir, "sources/broken.ts"), "export class XSource extends {")
    writeFileSync(join(dir, "sources/empty.ts"), "export const answer = 42")
    writeFileSync(join(dir, "config.json"), JSON.stringify({ extensions: ["missing.ts"], executors: [] }))
    const error = (await loadConfigFile(join(dir, "config.json"), builtinRegistry()).catch((e) => e)) as ConfigError
    expect(error.problems).toHaveLength(2)
    expect(error.problems[0]).toStartWith(`sources/ beside the config: cannot load extension ${join(dir, "sources/broken.ts")}`)
    expect(error.problems[1]).toBe(`extensions[0]: ${join(dir, "missing.ts")} does not exist`)
  })
})
