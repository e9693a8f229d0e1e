/**
 * The product's bundle (scripts/build.ts's flags, without --compile) is split so a daemon
 * evaluates only what its config uses (issue 18): the entry and the chunks it imports
 * statically, which every start evaluates, import no heavy Node built-in and no plugin's code;
 * each plugin implementation is a chunk of its own, loaded by the registry's require().
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { readdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import { BUNDLE_FLAGS } from "../scripts/build.ts"
import { tempDir } from "./helpers/context.ts"

const ROOT = join(import.meta.dir, "..")
const out = tempDir("pollect-chunks-")

beforeAll(() => {
  const argv = [
    process.execPath,
    "build",
    "src/main.ts",
    "--target=bun",
    ...BUNDLE_FLAGS,
    "--outdir",
    out,
    `--metafile=${join(out, "meta.json")}`,
  ]
  const built = Bun.spawnSync(argv, {
    cwd: ROOT,
    stderr: "pipe",
  })
  if (built.exitCode !== 0) throw new Error(built.stderr.toString())
}, 60_000)
afterAll(() => rmSync(out, { recursive: true, force: true }))

const read = (chunk: string) => readFileSync(join(out, chunk), "utf8")
/** `import … from"x"` of a chunk (minified: no space before the quote). */
const staticImports = (code: string) => [...code.matchAll(/\bfrom\s*"([^"]+)"/g)].map((m) => m[1]!)

/** The chunks evaluated with `entry`: it and, transitively, what it imports statically. */
function closure(entry: string): Set<string> {
  const seen = new Set<string>()
  const visit = (chunk: string) => {
    if (seen.has(chunk)) return
    seen.add(chunk)
    for (const spec of staticImports(read(chunk))) if (spec.startsWith("./")) visit(spec.slice(2))
  }
  visit(entry)
  return seen
}
const startChunks = () => closure("main.js")
const builtinsOf = (chunks: Iterable<string>) =>
  [...new Set([...chunks].flatMap((c) => staticImports(read(c))).filter((s) => !s.startsWith("./")))]
    .map((b) => b.replace(/^node:/, ""))
    .sort()

/** The chunk that holds a source file (from the bundler's metafile). */
function chunkOf(file: string): string {
  const meta = JSON.parse(read("meta.json")) as { outputs: Record<string, { inputs: Record<string, unknown> }> }
  const found = Object.entries(meta.outputs).find(([, o]) => file in o.inputs)
  if (!found) throw new Error(`${file} is in no chunk`)
  return found[0].replace(/^\.\//, "")
}

describe("the product's bundle", () => {
  it("a start evaluates no heavy built-in: only fs, path and util (citty's parseArgs)", () => {
    expect(builtinsOf(startChunks())).toEqual(["fs", "path", "util"])
  })

  it("the embedded default config's plugins import no network, TLS, crypto or zlib built-in", () => {
    const plugins = [
      "sources/load-avg",
      "sources/memory-usage",
      "sources/disk-usage",
      "sources/interface",
      "sources/io",
      "writers/prometheus",
    ]
    const chunks = plugins.flatMap((p) => [...closure(chunkOf(`src/${p}/index.ts`))])
    expect(builtinsOf(chunks)).toEqual(["fs", "fs/promises", "os", "path"])
    // The registry requires each at first use: none is a chunk a start evaluates.
    for (const p of plugins) expect(startChunks().has(chunkOf(`src/${p}/index.ts`))).toBe(false)
  })

  it("no plugin's code is in what a start evaluates; every plugin's implementation is a chunk of its own", () => {
    const start = [...startChunks()].map(read).join("\n")
    // Class names survive minification only as strings the plugins log; the metric declarations
    // and messages do: a few that only the implementations hold.
    for (const marker of ["could not probe", "pickle", "remote_write", "smartctl", "SNMP"]) expect(start).not.toContain(marker)
    const chunks = readdirSync(out).filter((f) => f.endsWith(".js"))
    expect(chunks.length).toBeGreaterThan(60)
  })
})
