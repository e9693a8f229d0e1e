/**
 * Reads a file the config names (a key file, a credentials file), relative to the config's
 * folder. A failure names the option and the path with the errno code, never the content.
 */
import { readFileSync } from "node:fs"
import { resolve } from "node:path"

export function readConfigFile(configDir: string, file: string, option: string): { path: string; text: string } {
  const path = resolve(configDir, file)
  try {
    return { path, text: readFileSync(path, "utf8") }
  } catch (error) {
    throw new Error(`cannot read ${option} ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`)
  }
}
