/**
 * include/exclude lists as the system sources take them: each entry is an exact name (as in the
 * original pollect) or a regular expression that must match the whole name (`eth.*`, `sd[a-z]`).
 */
import * as v from "valibot"

/** The `include` and `exclude` option fields, to spread into a source's options object. */
export const nameFilterFields = {
  /** Names or regexes (`eth.*`, `sd[a-z]`); only these are reported, even ones hidden by default. */
  include: v.optional(v.array(v.string())),
  exclude: v.optional(v.array(v.string())),
}

export type NameMatcher = (...names: string[]) => boolean

/** True when one of `names` equals an entry or fully matches it as a regex. */
export function nameMatcher(patterns: readonly string[]): NameMatcher {
  const exact = new Set(patterns)
  const regexes = patterns.flatMap((pattern) => {
    try {
      return [new RegExp(`^(?:${pattern})$`)]
    } catch {
      return [] // not a valid regex: the exact match above is all it can mean
    }
  })
  return (...names) => names.some((name) => exact.has(name) || regexes.some((re) => re.test(name)))
}

export interface NameFilterOptions {
  include?: readonly string[]
  exclude?: readonly string[]
}

/**
 * Builds the accept test for one item known by one or more names (a mount point and its device):
 * with an `include` list only listed items pass, even ones hidden by default (loopback,
 * partitions, tmpfs); otherwise all but the hidden ones. `exclude` always wins.
 */
export function nameFilter(options: NameFilterOptions): (names: readonly string[], hiddenByDefault?: boolean) => boolean {
  const include = options.include?.length ? nameMatcher(options.include) : undefined
  const exclude = options.exclude?.length ? nameMatcher(options.exclude) : undefined
  return (names, hiddenByDefault = false) => {
    if (exclude?.(...names)) return false
    if (include) return include(...names)
    return !hiddenByDefault
  }
}
