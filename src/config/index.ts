/**
 * From a file (or the embedded default) to a validated config: read → ${ENV} → load the
 * extensions it names → validate every source and writer. Any problem is a ConfigError that
 * lists them all.
 */
import { existsSync } from "node:fs"
import { dirname, isAbsolute, join, resolve } from "node:path"
import {
  extensionFiles,
  isModulePathType,
  loadExtension,
  loadModulePathType,
  modulePathCandidates,
  type LoadedExtension,
} from "./extensions.ts"
import type { Registry } from "../core/registry.ts"
import { substituteEnv } from "./env.ts"
import { ConfigError } from "./errors.ts"
import { readConfigFile } from "./load.ts"
import { validateConfig, type PollectConfig } from "./schema.ts"
import { registerSecrets } from "./secrets.ts"

export interface LoadedConfig extends PollectConfig {
  /** The file, or undefined for the embedded default. */
  file?: string
  configDir: string
  stateDir: string
  loadedExtensions: LoadedExtension[]
}

export interface LoadOptions {
  env?: Record<string, string | undefined>
}

export async function loadConfigFile(file: string, registry: Registry, options: LoadOptions = {}): Promise<LoadedConfig> {
  return resolveConfig(await readConfigFile(file), registry, { ...options, file })
}

export async function resolveConfig(
  raw: unknown,
  registry: Registry,
  options: LoadOptions & { file?: string } = {},
): Promise<LoadedConfig> {
  const file = options.file
  const configDir = file ? dirname(resolve(file)) : process.cwd()
  const fail = (problems: string[]) => new ConfigError(problems, file)

  // Every stage runs even when an earlier one found problems, so one report lists them all: an
  // unset ${VAR} stays as written (and the schema checks the rest), a missing extension leaves
  // its types unknown (reported where they are used).
  const { value, problems: envProblems } = substituteEnv(raw, options.env)
  registerSecrets(value)

  const loadedExtensions: LoadedExtension[] = []
  const extensionProblems: string[] = []
  const seen = new Set<string>()
  for (const [where, path] of extensionPaths(value, configDir, Boolean(file))) {
    try {
      for (const extensionFile of extensionFiles(path)) {
        if (seen.has(extensionFile)) continue // listed and also in sources/ or writers/
        seen.add(extensionFile)
        loadedExtensions.push(await loadExtension(extensionFile, registry))
      }
    } catch (error) {
      extensionProblems.push(`${where}: ${(error as Error).message}`)
    }
  }
  // Types written as module paths (`extensions.SingleRandom`, pollect 1.x's way) load their file now.
  const modulePathProblems = new Map<string, string>()
  const modulePathLoaded = new Map<string, string | undefined>()
  for (const [where, kind, type] of pluginTypes(value)) {
    const key = `${kind}:${type}`
    if (!modulePathLoaded.has(key)) {
      // Known already (a reload, or registered by hand), or for the schema to call unknown.
      if (registry[kind === "source" ? "sources" : "writers"].has(type)) continue
      if (!isModulePathType(type) || !modulePathCandidates(type, kind, configDir)) continue
      try {
        loadedExtensions.push(await loadModulePathType(type, kind, configDir, registry))
        modulePathLoaded.set(key, undefined)
      } catch (error) {
        modulePathLoaded.set(key, (error as Error).message)
      }
    }
    const problem = modulePathLoaded.get(key)
    if (problem) modulePathProblems.set(where, `${where}: ${problem}`)
  }
  const validated = validateConfig(value, registry)
  // A value whose ${VAR} is unset is reported for that; what the schema says of the placeholder is noise.
  const unsetAt = new Set(envProblems.map((problem) => problem.slice(0, problem.indexOf(": "))))
  // So is "unknown type" where a module-path type's file was missing or wrong: that is reported instead.
  const invalid = ("problems" in validated ? validated.problems : []).filter(
    (problem) =>
      !unsetAt.has(problemPath(problem)) && !(modulePathProblems.has(problemPath(problem)) && / unknown \w+ type /.test(problem)),
  )
  const problems = [...envProblems, ...extensionProblems, ...modulePathProblems.values(), ...invalid]
  if (problems.length || "problems" in validated) throw fail(problems)
  const stateDir = validated.stateDir ? resolveFrom(configDir, validated.stateDir) : configDir
  return { ...validated, file, configDir, stateDir, loadedExtensions }
}

/** The path a problem is about: `executors[0].sources[1] (Http): url: ...` → `executors[0].sources[1].url`. */
function problemPath(problem: string): string {
  const plugin = /^(.*?) \([^)]*\): (.*?): /.exec(problem)
  return plugin ? `${plugin[1]}.${plugin[2]}` : problem.slice(0, problem.indexOf(": "))
}

/** `sources/` and `writers/` beside the config file, then the config's `extensions` list. */
function extensionPaths(config: unknown, configDir: string, besideConfig: boolean): [string, string][] {
  const paths: [string, string][] = []
  if (besideConfig) {
    for (const folder of ["sources", "writers"]) {
      const path = join(configDir, folder)
      if (existsSync(path)) paths.push([`${folder}/ beside the config`, path])
    }
  }
  const listed = (config as { extensions?: unknown } | null)?.extensions
  if (Array.isArray(listed)) {
    listed.forEach((entry, i) => {
      if (typeof entry !== "string") return // the schema reports it
      const path = resolveFrom(configDir, entry).replace(/\/+$/, "")
      paths.push([`extensions[${i}]`, path])
    })
  }
  return paths
}

/** Every source and writer entry of a raw config: where it is, whether a source or a writer, its type. */
function pluginTypes(config: unknown): [string, "source" | "writer", string][] {
  const found: [string, "source" | "writer", string][] = []
  const typeOf = (entry: unknown) =>
    entry && typeof entry === "object" && typeof (entry as { type?: unknown }).type === "string"
      ? (entry as { type: string }).type
      : undefined
  const writers = (owner: Record<string, unknown>, at: string) => {
    const add = (entry: unknown, where: string) => {
      const type = typeOf(entry)
      if (type !== undefined) found.push([where, "writer", type])
    }
    if (Array.isArray(owner.writer)) owner.writer.forEach((w, i) => add(w, `${at}writer[${i}]`))
    else add(owner.writer, `${at}writer`)
    if (Array.isArray(owner.writers)) owner.writers.forEach((w, i) => add(w, `${at}writers[${i}]`))
  }
  if (!config || typeof config !== "object") return found
  const top = config as Record<string, unknown>
  writers(top, "")
  if (Array.isArray(top.executors))
    top.executors.forEach((exec, i) => {
      if (!exec || typeof exec !== "object") return
      const executor = exec as Record<string, unknown>
      if (Array.isArray(executor.sources))
        executor.sources.forEach((source, j) => {
          const type = typeOf(source)
          if (type !== undefined) found.push([`executors[${i}].sources[${j}]`, "source", type])
        })
      writers(executor, `executors[${i}].`)
    })
  return found
}

function resolveFrom(dir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(dir, path)
}
