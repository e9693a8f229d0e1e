/**
 * Option warnings: a value that a plugin accepts but that is probably not what the user meant
 * (an include entry that is no valid regular expression, so only an exact name). valibot knows
 * only errors, so a warning is declared as metadata in the option's pipe and leaves parsing
 * alone (`v.parse` and `safeParse` still succeed); config validation walks the validated options
 * with their schema and reports each warning by its path, as it reports errors:
 * `executors[0].sources[1] (Interface): include[2]: "(" is not a valid regular expression ...`.
 *
 * @example
 * v.array(v.pipe(v.string(), optionWarning((name: string) => (name.includes(" ") ? "has a space" : undefined))))
 */
import * as v from "valibot"

const WARN = Symbol("pollect.optionWarning")

type Warn = (value: never) => string | undefined

/** A pipe item: `warn(value)` returns a warning about a valid value, or undefined. */
export function optionWarning<T>(warn: (value: T) => string | undefined): v.MetadataAction<T, Record<string, unknown>> {
  // A symbol key: JSON Schema (`pollect schema`, the docs) copies metadata's string keys.
  return v.metadata<T, Record<string, unknown>>({ [WARN]: warn as Warn })
}

export interface OptionWarning {
  /** Keys from the options object down to the value (`["include", 2]`). */
  path: (string | number)[]
  message: string
}

interface SchemaNode {
  kind?: string
  pipe?: SchemaNode[]
  wrapped?: SchemaNode
  entries?: Record<string, SchemaNode>
  item?: SchemaNode
  value?: SchemaNode
  metadata?: { [WARN]?: Warn }
}

/**
 * The warnings that `schema`'s `optionWarning`s give on `value` (its validated output), in
 * document order. Looks through pipes, wrappers (optional, nullable, ...), objects, arrays and
 * records; a value that is absent is not looked at.
 */
export function optionWarnings(schema: unknown, value: unknown): OptionWarning[] {
  const found: OptionWarning[] = []
  const visit = (node: SchemaNode | undefined, value: unknown, path: (string | number)[]) => {
    if (!node || value === undefined || value === null) return
    if (node.pipe) {
      for (const item of node.pipe) {
        // WARN is this module's own key, set only on optionWarning's metadata actions.
        const message = item.metadata?.[WARN]?.(value as never)
        if (message) found.push({ path, message })
      }
      // pipe[0] is the schema being piped (it may be a pipe itself); the node copies its fields.
      if (node.pipe[0] !== node) return visit(node.pipe[0], value, path)
    }
    if (node.wrapped) return visit(node.wrapped, value, path)
    if (node.entries && typeof value === "object") {
      for (const [key, entry] of Object.entries(node.entries)) visit(entry, (value as Record<string, unknown>)[key], [...path, key])
    } else if (node.item && Array.isArray(value)) {
      value.forEach((item, index) => visit(node.item, item, [...path, index]))
    } else if (node.value?.kind === "schema" && typeof value === "object") {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) visit(node.value, item, [...path, key])
    }
  }
  visit(schema as SchemaNode, value, [])
  return found
}
