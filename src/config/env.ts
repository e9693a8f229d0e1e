/**
 * `${VAR}` in any string value of the config is replaced from the environment; `$$` is a
 * literal `$`. Substitution runs on parsed values (not the raw text), so a value holding quotes
 * cannot break the file's syntax. An unset variable is an error naming it and where it is used.
 */
import { formatPath, type PathKey } from "./path.ts"

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"])

export function substituteEnv(raw: unknown, env: Record<string, string | undefined> = process.env): { value: unknown; problems: string[] } {
  const problems: string[] = []
  const walk = (node: unknown, path: PathKey[]): unknown => {
    if (typeof node === "string")
      return substituteString(node, env, (name) => problems.push(`${formatPath(path)}: environment variable ${name} is not set`))
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]))
    if (node && typeof node === "object") {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(node)) {
        // JSON.parse makes `__proto__` an own key; copied by assignment it would become the
        // prototype and smuggle its keys (executors, a source's type) past validation.
        if (FORBIDDEN_KEYS.has(key)) problems.push(`${formatPath([...path, key])}: not allowed as a key`)
        else out[key] = walk(item, [...path, key])
      }
      return out
    }
    return node
  }
  return { value: walk(raw, []), problems }
}

export function substituteString(text: string, env: Record<string, string | undefined>, onMissing: (name: string) => void): string {
  if (!text.includes("$")) return text
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name?: string) => {
    if (match === "$$") return "$"
    const value = env[name!]
    if (value === undefined) {
      onMissing(name!)
      return match
    }
    return value
  })
}
