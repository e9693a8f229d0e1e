/**
 * Loads user extensions at run time, also from the compiled binary: every `.ts`/`.js` file in
 * the given folders (or the given files) is imported; each export named `XSource` extending
 * Source becomes source type `X`, each `XWriter` extending Writer writer type `X`. Before the
 * first import the API is registered as the module "pollect", so extensions import it by name.
 * A type written as a module path (`extensions.SingleRandom`, as pollect 1.x named a user's
 * class) loads `extensions/SingleRandom.ts` (or `.js`) beside the config: loadModulePathType().
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { extname, join, resolve } from "node:path"
import * as api from "../api.ts"
import { Source, Writer, type SourceClass, type WriterClass } from "../core/plugin.ts"
import type { Registry } from "../core/registry.ts"

const EXTENSIONS = new Set([".ts", ".js", ".mjs", ".mts"])
let apiRegistered = false

function registerApi(): void {
  if (apiRegistered) return
  apiRegistered = true
  const exports = { ...api }
  Bun.plugin({
    name: "pollect-api",
    setup(build) {
      build.module("pollect", () => ({ exports, loader: "object" }))
    },
  })
}

/** Files an extension path stands for: the file itself, or a folder's script files (sorted, not recursive). */
export function extensionFiles(path: string): string[] {
  if (!existsSync(path)) throw new Error(`${path} does not exist`)
  const stat = statSync(path)
  if (!stat.isDirectory()) return [path]
  return readdirSync(path)
    .filter((name) => EXTENSIONS.has(extname(name)) && !name.endsWith(".d.ts") && !name.includes(".test."))
    .sort()
    .map((name) => join(path, name))
}

export interface LoadedExtension {
  file: string
  sources: string[]
  writers: string[]
}

/** Imports an extension file with the API registered as "pollect". Throws with the file's name on failure. */
async function importExtension(file: string): Promise<Record<string, unknown>> {
  registerApi()
  try {
    return await import(resolve(file))
  } catch (error) {
    throw new Error(`cannot load extension ${file}: ${(error as Error).message}`)
  }
}

/** Imports `file` and registers what it exports. Throws with the file's name on failure. */
export async function loadExtension(file: string, registry: Registry): Promise<LoadedExtension> {
  const module = await importExtension(file)
  const loaded: LoadedExtension = { file, sources: [], writers: [] }
  for (const [name, value] of Object.entries(module)) {
    if (typeof value !== "function") continue
    if (name.endsWith("Source") && value.prototype instanceof Source) {
      const type = name.slice(0, -"Source".length)
      registry.addSources({ [type]: value as SourceClass })
      loaded.sources.push(type)
    } else if (name.endsWith("Writer") && value.prototype instanceof Writer) {
      const type = name.slice(0, -"Writer".length)
      registry.addWriters({ [type]: value as WriterClass })
      loaded.writers.push(type)
    }
  }
  if (!loaded.sources.length && !loaded.writers.length) {
    throw new Error(`extension ${file} exports no class named XSource extending Source or XWriter extending Writer`)
  }
  return loaded
}

/** Where the README explains how a 1.x (Python) extension becomes one of this pollect. */
export const PYTHON_EXTENSIONS_HELP = "https://github.com/davidgiga1993/pollect#coming-from-the-python-pollect"

/** The file suffixes a module-path type may name, in the order tried. */
const MODULE_SUFFIXES = [".ts", ".js"]

/** True for a type written as a module path, `extensions.SingleRandom` (pollect 1.x's way of naming a user's class). */
export function isModulePathType(type: string): boolean {
  return type.includes(".")
}

/**
 * The files a module-path type may live in, beside the config: `a.b.C` → `a/b/C.ts`, `a/b/C.js`,
 * then `a/b/CSource.ts`, `a/b/CSource.js` (`CWriter` for a writer; 1.x imported the module
 * `a.b.CSource`, so a ported file may keep that name). Undefined for a type that is not a
 * module path (an empty part, or a part with anything but letters, digits, `_` and `-`).
 */
export function modulePathCandidates(type: string, kind: "source" | "writer", configDir: string): string[] | undefined {
  const parts = type.split(".")
  if (parts.length < 2 || !parts.every((part) => /^[\w-]+$/.test(part))) return undefined
  const dir = join(configDir, ...parts.slice(0, -1))
  const base = parts.at(-1)!
  const suffix = kind === "source" ? "Source" : "Writer"
  return [base, base + suffix].flatMap((name) => MODULE_SUFFIXES.map((ext) => join(dir, name + ext)))
}

/**
 * Loads the class a module-path type names (`extensions.SingleRandom` → the export
 * `SingleRandomSource` of `extensions/SingleRandom.ts` beside the config) and registers it under
 * that type. Throws a message fit for the user: the paths tried, or what to do with a Python file.
 */
export async function loadModulePathType(
  type: string,
  kind: "source" | "writer",
  configDir: string,
  registry: Registry,
): Promise<LoadedExtension> {
  const candidates = modulePathCandidates(type, kind, configDir)
  const className = `${type.split(".").at(-1)}${kind === "source" ? "Source" : "Writer"}`
  if (!candidates) throw new Error(`${kind} type "${type}" is not a module path (parts of letters, digits, _ and - joined by dots)`)
  const file = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile())
  if (!file) {
    const python = [...new Set(candidates.map((c) => c.replace(/\.[jt]s$/, ".py")))].find((c) => existsSync(c))
    if (python) {
      const rewrite = python.replace(/\.py$/, ".ts")
      throw new Error(
        `${kind} type "${type}" is the Python file ${python}: extensions of this pollect are TypeScript or JavaScript, ` +
          `not Python. Rewrite it as ${rewrite} exporting class ${className} (see ${PYTHON_EXTENSIONS_HELP})`,
      )
    }
    throw new Error(`no file for ${kind} type "${type}" (tried ${candidates.join(", ")})`)
  }
  const cls = (await importExtension(file))[className]
  const base = kind === "source" ? Source : Writer
  if (typeof cls !== "function" || !(cls.prototype instanceof base))
    throw new Error(`${file} exports no class ${className} extending ${kind === "source" ? "Source" : "Writer"}`)
  if (kind === "source") registry.addSources({ [type]: cls as SourceClass })
  else registry.addWriters({ [type]: cls as WriterClass })
  return { file, sources: kind === "source" ? [type] : [], writers: kind === "writer" ? [type] : [] }
}
