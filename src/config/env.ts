/**
 * `${VAR}` in any string value of the config is replaced from the environment; `$$` is a
 * literal `$`. Substitution runs on parsed values (not the raw text), so a value holding quotes
 * cannot break the file's syntax. An unset variable is an error naming it and where it is used.
 *
 * A range's own placeholder is not an environment variable: in an object that has
 * `range: { label: NAME }` (SnmpGet's metrics, as the Python pollect 1.2 configures them),
 * `${NAME}` in its other keys is left for the plugin, which puts each number of the range there;
 * every other `${VAR}` in those strings is still substituted.
 */
import { formatPath, type PathKey } from "./path.ts"

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"])

export function substituteEnv(raw: unknown, env: Record<string, string | undefined> = process.env): { value: unknown; problems: string[] } {
  const problems: string[] = []
  const walk = (node: unknown, path: PathKey[], kept: ReadonlySet<string>): unknown => {
    if (typeof node === "string")
      return substituteString(node, env, (name) => problems.push(`${formatPath(path)}: environment variable ${name} is not set`), kept)
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i], kept))
    if (node && typeof node === "object") {
      const out: Record<string, unknown> = {}
      const label = rangeLabel(node)
      const inner = label === undefined ? kept : new Set([...kept, label])
      for (const [key, item] of Object.entries(node)) {
        // JSON.parse makes `__proto__` an own key; copied by assignment it would become the
        // prototype and smuggle its keys (executors, a source's type) past validation.
        if (FORBIDDEN_KEYS.has(key)) problems.push(`${formatPath([...path, key])}: not allowed as a key`)
        else out[key] = walk(item, [...path, key], key === "range" ? kept : inner)
      }
      return out
    }
    return node
  }
  return { value: walk(raw, [], new Set()), problems }
}

/** `range.label` of an object that has one: the name of its own placeholder. */
function rangeLabel(node: object): string | undefined {
  const range = (node as { range?: unknown }).range
  const label = range && typeof range === "object" ? (range as { label?: unknown }).label : undefined
  return typeof label === "string" ? label : undefined
}

/** `kept`: placeholder names that are not environment variables (a range's), left as written. */
export function substituteString(
  text: string,
  env: Record<string, string | undefined>,
  onMissing: (name: string) => void,
  kept: ReadonlySet<string> = new Set(),
): string {
  if (!text.includes("$")) return text
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name?: string) => {
    if (match === "$$") return "$"
    if (kept.has(name!)) return match
    const value = env[name!]
    if (value === undefined) {
      onMissing(name!)
      return match
    }
    return value
  })
}
