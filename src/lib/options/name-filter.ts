/**
 * include/exclude lists as the system sources take them: each entry is an exact name (as in the
 * original pollect) or a regular expression (RE2 syntax, see user-regex.ts) that must match the
 * whole name (`eth.*`, `sd[a-z]`, `(?i)eth0`). An entry that is no valid expression still
 * matches its exact name, and config validation warns about it by its path.
 */
import * as v from "valibot"
import { optionWarning } from "./option-warning.ts"
import { compileUserRegex, regexProblem, type UserRegex } from "./user-regex.ts"

/** How much of a pattern a warning quotes: a pasted blob must not make a huge log line. */
const SHOWN = 64

/** One include/exclude entry: a name or a regex; one that is no valid regex is warned about at load. */
export const namePattern = v.pipe(
  v.string(),
  optionWarning((pattern: string) => {
    const reason = regexProblem(pattern)
    if (reason === undefined) return undefined
    const shown = pattern.length > SHOWN ? `${JSON.stringify(pattern.slice(0, SHOWN))}…` : JSON.stringify(pattern)
    return `${shown} is not a valid regular expression (${reason}); it matches only that exact name`
  }),
)

/** The `include` and `exclude` option fields, to spread into a source's options object. */
export const nameFilterFields = {
  /** Names or regexes (`eth.*`, `sd[a-z]`); only these are reported, even ones hidden by default. */
  include: v.optional(v.array(namePattern)),
  exclude: v.optional(v.array(namePattern)),
}

export type NameMatcher = (...names: string[]) => boolean

/** True when one of `names` equals an entry or fully matches it as a regex (in linear time). */
export function nameMatcher(patterns: readonly string[]): NameMatcher {
  const exact = new Set(patterns)
  const regexes = patterns.flatMap((pattern): UserRegex[] => {
    try {
      return [compileUserRegex(pattern, "whole")]
    } catch {
      return [] // not a valid regex (warned about at load): the exact match above is all it can mean
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
