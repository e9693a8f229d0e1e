/**
 * include/exclude lists as the system sources take them: each entry is an exact name (as in the
 * original pollect) or a regular expression that must match the whole name (`eth.*`, `sd[a-z]`).
 */

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
  /** Applies when `include` is empty: names hidden unless listed in `include` (loopback, partitions). */
  hiddenByDefault?: (name: string) => boolean
}

/**
 * Builds the accept test: with an `include` list only its names pass (even ones hidden by
 * default); otherwise everything but the default-hidden ones. `exclude` always wins.
 */
export function nameFilter(options: NameFilterOptions): (...names: string[]) => boolean {
  const include = options.include?.length ? nameMatcher(options.include) : undefined
  const exclude = options.exclude?.length ? nameMatcher(options.exclude) : undefined
  const hidden = options.hiddenByDefault
  return (...names) => {
    if (exclude?.(...names)) return false
    if (include) return include(...names)
    return !(hidden && names.some((name) => hidden(name)))
  }
}
