/**
 * Every option's description, for tests that check a plugin documents each of its keys:
 * `[path, description]` per key of an options schema, nested objects (and the object of a union)
 * included, `""` where a key has none.
 *
 *   expect(optionDescriptions(options).filter(([, text]) => text.length < 10)).toEqual([])
 */
import * as v from "valibot"

type Schema = { type: string; wrapped?: Schema; pipe?: Schema[]; entries?: Record<string, Schema>; options?: Schema[] }

export function optionDescriptions(schema: unknown, path = ""): [string, string][] {
  const s = (schema as Schema).wrapped ?? (schema as Schema)
  const inner = s.pipe?.[0] ?? s
  const out: [string, string][] = path ? [[path, v.getDescription(s as never) ?? ""]] : []
  const objects = inner.type === "object" ? [inner] : inner.type === "union" ? inner.options!.filter((o) => o.type === "object") : []
  for (const object of objects)
    for (const [key, entry] of Object.entries(object.entries!)) out.push(...optionDescriptions(entry, path ? `${path}.${key}` : key))
  return out
}
