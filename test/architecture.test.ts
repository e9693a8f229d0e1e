/**
 * The layout's rules (DESIGN.md, "Layout" and "Plugin contract"), checked on every import:
 * - a plugin (src/sources/<name>/, src/writers/<name>/) imports only the public API
 *   (src/api.ts, what extensions import as "pollect"), its own folder, src/lib/, `node:`
 *   modules and npm packages;
 * - src/core/ imports nothing outside src/core/;
 * - src/lib/ imports only src/lib/ and the public API;
 * - every built-in plugin has its own folder with code, a test, testdata and a README.
 */
import { describe, expect, it } from "bun:test"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { builtinSources } from "../src/sources/index.ts"
import { builtinWriters } from "../src/writers/index.ts"

const ROOT = resolve(import.meta.dir, "..")
const SRC = join(ROOT, "src")

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : [path]
  })
}

const IMPORT =
  /(?:^|\s)(?:import|export)\b[^"'`;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm

/** Every import of a source file: the specifier and, for relative ones, the file it names (relative to src/). */
export function importsOf(file: string): { spec: string; target?: string }[] {
  const text = readFileSync(file, "utf8")
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = (m[1] ?? m[2] ?? m[3])!
    return spec.startsWith(".") ? { spec, target: relative(SRC, resolve(dirname(file), spec)) } : { spec }
  })
}

/** The rule a file's imports must follow, by where the file is; undefined: unrestricted (main, agent, config). */
function allowed(file: string): ((target: string) => boolean) | undefined {
  const rel = relative(SRC, file)
  const plugin = /^(sources|writers)\/[^/]+\//.exec(rel)?.[0]
  if (plugin) return (t) => t === "api.ts" || t.startsWith(plugin) || t.startsWith("lib/")
  if (rel.startsWith("core/")) return (t) => t.startsWith("core/")
  if (rel.startsWith("lib/")) return (t) => t === "api.ts" || t.startsWith("lib/")
  return undefined
}

const code = walk(SRC).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
/** Tests and test fakes may reach into core/ to build contexts; the rules are for shipped code. */
const shipped = code.filter((f) => !/\.test\.ts$|\/fake-[^/]+\.ts$/.test(f))

describe("architecture", () => {
  it("plugins import only the public API, their own folder, lib/, node: and npm; core/ only core/; lib/ only lib/ and the API", () => {
    const violations: string[] = []
    for (const file of shipped) {
      const rule = allowed(file)
      if (!rule) continue
      for (const { spec, target } of importsOf(file)) {
        if (target === undefined) {
          // "pollect" is the API by its public name; core/ may use nothing but node: modules and valibot.
          if (relative(SRC, file).startsWith("core/") && !spec.startsWith("node:") && spec !== "valibot" && spec !== "bun")
            violations.push(`${relative(ROOT, file)} imports ${spec}`)
          continue
        }
        if (!rule(target)) violations.push(`${relative(ROOT, file)} imports ${spec} (src/${target})`)
      }
    }
    expect(violations).toEqual([])
  })

  it("the rule catches what it must (a plugin importing core/, core/ importing lib/ or the API)", () => {
    expect(allowed(join(SRC, "sources/load-avg/index.ts"))!("core/log.ts")).toBe(false)
    expect(allowed(join(SRC, "sources/load-avg/index.ts"))!("sources/io/diskstats.ts")).toBe(false)
    expect(allowed(join(SRC, "sources/load-avg/index.ts"))!("api.ts")).toBe(true)
    expect(allowed(join(SRC, "core/executor.ts"))!("lib/proc/proc-read.ts")).toBe(false)
    expect(allowed(join(SRC, "core/executor.ts"))!("api.ts")).toBe(false)
    expect(allowed(join(SRC, "lib/util/probe-rates.ts"))!("core/rate.ts")).toBe(false)
  })

  const folders = (kind: "sources" | "writers", classes: Record<string, unknown>) => {
    const dirs = readdirSync(join(SRC, kind)).filter((name) => statSync(join(SRC, kind, name)).isDirectory())
    it(`every built-in ${kind === "sources" ? "source" : "writer"} is registered from its own folder`, () => {
      const index = readFileSync(join(SRC, kind, "index.ts"), "utf8")
      // Each entry: its options and its implementation required on first use.
      const required = new Set([...index.matchAll(/require\("\.\/([^/"]+)\/index\.ts"\)/g)].map((m) => m[1]))
      const options = new Set([...index.matchAll(/require\("\.\/([^/"]+)\/options\.ts"\)/g)].map((m) => m[1]))
      expect([...required].sort()).toEqual([...dirs].sort())
      expect([...options].sort()).toEqual([...dirs].sort())
      // Nothing of a plugin is imported eagerly.
      expect([...index.matchAll(/from "\.\/[^"]+\/(?:index|options)\.ts"/g)].map((m) => m[0])).toEqual([])
      expect(Object.keys(classes).length).toBeGreaterThanOrEqual(dirs.length)
    })
    for (const dir of dirs) {
      it(`${kind}/${dir} holds its code, test, testdata and README`, () => {
        const at = (name: string) => join(SRC, kind, dir, name)
        const missing = ["index.ts", "README.md", "testdata", `${dir}.test.ts`].filter((name) => !existsSync(at(name)))
        expect(missing).toEqual([])
        expect(readdirSync(at("testdata")).length).toBeGreaterThan(0)
      })
    }
  }
  folders("sources", builtinSources)
  folders("writers", builtinWriters)

  it("a plugin's options.ts is light: the API, lib/options, the queue field, node: and light files of its own folder only", () => {
    const light = (target: string) => target === "api.ts" || target.startsWith("lib/options/") || target === "lib/queue/queue-field.ts"
    const violations: string[] = []
    const check = (file: string, seen: Set<string>) => {
      if (seen.has(file)) return
      seen.add(file)
      for (const { spec, target } of importsOf(file)) {
        if (target === undefined) {
          if (!spec.startsWith("node:")) violations.push(`${relative(SRC, file)} imports ${spec}`)
          continue
        }
        if (light(target)) continue
        const ownFolder = relative(SRC, dirname(file)) + "/"
        if (target.startsWith(ownFolder) && !target.endsWith("index.ts")) check(join(SRC, target), seen)
        else violations.push(`${relative(SRC, file)} imports ${target}`)
      }
    }
    for (const kind of ["sources", "writers"])
      for (const dir of readdirSync(join(SRC, kind)).filter((name) => statSync(join(SRC, kind, name)).isDirectory()))
        check(join(SRC, kind, dir, "options.ts"), new Set())
    expect(violations).toEqual([])
  })
})
