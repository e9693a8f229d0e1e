/**
 * Loads user extensions at run time, also from the compiled binary: every `.ts`/`.js` file in
 * the given folders (or the given files) is imported; each export named `XSource` extending
 * Source becomes source type `X`, each `XWriter` extending Writer writer type `X`. Before the
 * first import the API is registered as the module "pollect", so extensions import it by name.
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

/** Imports `file` and registers what it exports. Throws with the file's name on failure. */
export async function loadExtension(file: string, registry: Registry): Promise<LoadedExtension> {
  registerApi()
  const absolute = resolve(file)
  let module: Record<string, unknown>
  try {
    module = await import(absolute)
  } catch (error) {
    throw new Error(`cannot load extension ${file}: ${(error as Error).message}`)
  }
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
