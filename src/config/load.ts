/** Reads a config file into a plain object: JSON with comments (the original's format) or YAML. */
import { extname } from "node:path"
import { findJsoncError } from "./jsonc-error.ts"
import { ConfigError } from "./errors.ts"

export async function readConfigFile(file: string): Promise<unknown> {
  let text: string
  try {
    text = await Bun.file(file).text()
  } catch (error) {
    const code = (error as { code?: string }).code
    const reason =
      code === "ENOENT"
        ? "file not found"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "is a directory"
            : String((error as Error).message)
    throw new ConfigError([`cannot read config: ${reason}`], file)
  }
  return parseConfigText(text, file)
}

export function parseConfigText(text: string, file = "config.json"): unknown {
  const ext = extname(file).toLowerCase()
  if (ext === ".yaml" || ext === ".yml") {
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
