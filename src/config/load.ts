/** Reads a config file into a plain object: JSON with comments (the original's format) or YAML. */
import { existsSync, statSync } from "node:fs"
import { extname } from "node:path"
import { bracketDepth, MAX_CONFIG_BYTES, MAX_DEPTH, treeProblem, yamlProblem } from "./bounds.ts"
import { findJsoncError } from "./jsonc-error.ts"
import { ConfigError } from "./errors.ts"

export async function readConfigFile(file: string): Promise<unknown> {
  const fail = (reason: string) => new ConfigError([`cannot read config: ${reason}`], file)
  let size: number
  try {
    // stat, not open: opening a FIFO would wait for a writer forever.
    const info = statSync(file)
    if (info.isDirectory()) throw fail("is a directory")
    if (!info.isFile()) throw fail("not a regular file (a device, FIFO or socket)")
    size = info.size
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw fail(reasonOf(error))
  }
  if (size > MAX_CONFIG_BYTES) throw fail(`${size} bytes; a config may have at most ${MAX_CONFIG_BYTES} (1 MiB)`)
  let text: string
  try {
    text = await Bun.file(file).text()
  } catch (error) {
    throw fail(reasonOf(error))
  }
  // A file that grew between stat and read.
  if (text.length > MAX_CONFIG_BYTES) throw fail(`more than ${MAX_CONFIG_BYTES} bytes (1 MiB)`)
  return parseConfigText(text, file)
}

/** The suffixes a `--config` without one is tried with, in order (pollect 1.2 tried `.yml`, then `.json`). */
export const CONFIG_SUFFIXES = [".yml", ".yaml", ".json"]

/**
 * The file `--config NAME` stands for: NAME itself when it exists, else, when NAME has no
 * `.json`/`.yml`/`.yaml` suffix, the first of NAME.yml, NAME.yaml, NAME.json that exists (as
 * pollect 1.2 did: `--config config` reads config.yml or config.json). Throws a ConfigError
 * listing the names tried when none exists.
 */
export function findConfigFile(name: string): string {
  if (existsSync(name) || [...CONFIG_SUFFIXES, ".jsonc"].includes(extname(name).toLowerCase())) return name
  const tried = CONFIG_SUFFIXES.map((suffix) => name + suffix)
  const found = tried.find((file) => existsSync(file))
  if (found) return found
  throw new ConfigError([`cannot read config: file not found (tried ${[name, ...tried].join(", ")})`], name)
}

/** Why a file could not be stat'ed or read, in words (exported for its test: a root test run never sees EACCES). */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code
  if (code === "ENOENT") return "file not found"
  if (code === "EACCES") return "permission denied"
  if (code === "EISDIR") return "is a directory"
  return String((error as Error).message)
}

export function parseConfigText(text: string, file = "config.json"): unknown {
  const value = parseText(text, file)
  const problem = treeProblem(value)
  if (problem) throw new ConfigError([`config too complex: ${problem}`], file)
  return value
}

function parseText(text: string, file: string): unknown {
  if (text.includes("\0")) throw new ConfigError(["not a text file (it holds NUL bytes)"], file)
  const ext = extname(file).toLowerCase()
  const yaml = ext === ".yaml" || ext === ".yml"
  // Checked before parsing: Bun's parsers recurse per level, and a recursive alias never ends.
  const shape = bracketDepth(text) > MAX_DEPTH ? `nested deeper than ${MAX_DEPTH} levels` : yaml ? yamlProblem(text) : undefined
  if (shape) throw new ConfigError([`config too complex: ${shape}`], file)
  if (yaml) {
    try {
      return Bun.YAML.parse(text)
    } catch (error) {
      throw new ConfigError([`not valid YAML: ${(error as Error).message.replace(/^YAML Parse error: /, "")}`], file)
    }
  }
  try {
    return Bun.JSONC.parse(text)
  } catch (error) {
    const at = findJsoncError(text)
    const problem = at
      ? `not valid JSON at line ${at.line}, column ${at.column}: ${at.message}`
      : `not valid JSON: ${(error as Error).message.replace(/^JSONC Parse error: /, "")}`
    throw new ConfigError([problem], file)
  }
}
