/**
 * Limits on what a config may be, checked before and after parsing, so a hostile or broken file
 * (a device, a FIFO, 10,000 nested arrays, a recursive YAML alias, a billion laughs) ends in a
 * clear message in milliseconds instead of eating gigabytes or hanging. Real configs are a few
 * kilobytes, a dozen levels deep.
 */

/** Bytes a config file may have. */
export const MAX_CONFIG_BYTES = 1024 * 1024
/** Levels of objects and arrays. */
export const MAX_DEPTH = 64
/** YAML aliases (`*name`) a config may use. */
export const MAX_ALIASES = 100
/** Values after aliases are expanded (each use of an alias counts its whole node again). */
export const MAX_NODES = 100_000

/**
 * The deepest nesting of `[`/`{` outside strings, in one linear pass; stops counting at `limit`.
 * Good for JSON and for YAML's flow collections.
 */
export function bracketDepth(text: string, limit = MAX_DEPTH + 1): number {
  let depth = 0
  let max = 0
  let quote = ""
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      if (c === "\\" && quote === '"') i++
      else if (c === quote) quote = ""
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === "[" || c === "{") {
      if (++depth > max && (max = depth) >= limit) return max
    } else if (c === "]" || c === "}") depth = Math.max(0, depth - 1)
    else if (c === "/" && text[i + 1] === "/") i = lineEnd(text, i)
    else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]!))) i = lineEnd(text, i)
  }
  return max
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from)
  return end < 0 ? text.length : end
}

/**
 * YAML's own ways to blow up, found in the text before Bun's parser sees it: too many aliases,
 * an alias used inside the node its anchor names (`a: &a [*a]`, which recurses without end),
 * block nesting deeper than the limit (indentation or compact `- - -` sequences).
 */
export function yamlProblem(text: string): string | undefined {
  const lines = text.split("\n")
  // closesAt: for an anchor on a flow collection (`&a [1, 2]`), the depth at which that collection ends.
  const open = new Map<string, { indent: number; line: number; flowDepth: number; closesAt?: number }>()
  let aliases = 0
  let flowDepth = 0
  for (let n = 0; n < lines.length; n++) {
    const line = stripComment(lines[n]!)
    if (!line.trim()) continue
    const indent = line.length - line.trimStart().length
    if (flowDepth === 0) {
      // A block node ends at the first later line indented no deeper than its anchor's line.
      for (const [name, anchor] of open) if (n > anchor.line && indent <= anchor.indent) open.delete(name)
      const dashes = /^(?:-\s+)*/.exec(line.trimStart())![0].split("-").length - 1
      if (indent / 2 + dashes > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`
    }
    for (const token of line.matchAll(/(["'])(?:\\.|(?!\1).)*\1|[&*][^\s,[\]{}]+|[[\]{}]/g)) {
      const t = token[0]
      if (t === "[" || t === "{") flowDepth++
      else if (t === "]" || t === "}") {
        flowDepth = Math.max(0, flowDepth - 1)
        for (const [name, anchor] of open) {
          // An anchor inside a flow collection names a node in it: the node ended when the collection did.
          const ended = anchor.closesAt !== undefined ? flowDepth <= anchor.closesAt : anchor.flowDepth > flowDepth
          if (ended) open.delete(name)
        }
      } else if (t[0] === "&") {
        const rest = line.slice(token.index! + t.length)
        // The node an anchor names: a flow collection right after it ends with its bracket; a
        // plain, quoted or block scalar (`[&a 1, *a]`, `a: &a |`) holds no alias at all, and in
        // a block `&a key: ...` names the key (a scalar), not the mapping.
        if (/^\s*[[{]/.test(rest)) open.set(t.slice(1), { indent, line: n, flowDepth, closesAt: flowDepth })
        else if (/^\s*[^\s![{]/.test(rest)) open.delete(t.slice(1))
        else open.set(t.slice(1), { indent, line: n, flowDepth })
      } else if (t[0] === "*") {
        if (++aliases > MAX_ALIASES) return `more than ${MAX_ALIASES} aliases`
        if (open.has(t.slice(1))) return `the alias ${t} is used inside the node it names (it would repeat without end)`
      }
    }
    if (flowDepth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`
  }
  return undefined
}

function stripComment(line: string): string {
  let quote = ""
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = ""
    } else if (c === '"' || c === "'") quote = c
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i)
  }
  return line
}

/**
 * The parsed value's shape: depth, number of values with aliases expanded, and no cycles.
 * Everything after this (the ${ENV} pass, validation, secret masking) walks the tree, so this
 * bounds them all.
 */
export function treeProblem(value: unknown): string | undefined {
  let nodes = 0
  const path = new Set<object>()
  const walk = (node: unknown, depth: number): string | undefined => {
    if (++nodes > MAX_NODES) return `more than ${MAX_NODES} values (with aliases expanded)`
    if (!node || typeof node !== "object") return undefined
    if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`
    if (path.has(node)) return "a value contains itself"
    path.add(node)
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      const problem = walk(child, depth + 1)
      if (problem) return problem
    }
    path.delete(node)
    return undefined
  }
  return walk(value, 0)
}
