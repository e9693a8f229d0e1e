/**
 * Regular expressions that users write in a config (Process `procRegex`, SmartCtl `devices`, the
 * include/exclude lists of the system sources) are matched by RE2 (re2js, a pure-JS port), never
 * by JavaScript's backtracking RegExp: matching takes time linear in the text, so a pattern such
 * as `(.*a){20}$` against a crafted command line cannot block the event loop (and with it every
 * probe, /metrics and SIGTERM). The syntax is RE2's, which is Python's `re` (that the original
 * pollect's configs were written for) without backreferences and lookaround; inline flags
 * `(?i)`, `(?s)`, `(?m)` and named groups `(?P<name>...)` work. A pattern RE2 cannot express is
 * refused when the config is validated, with the reason.
 */
import type { RE2JS } from "re2js"
import * as v from "valibot"

/** re2js (~260 KB of JavaScript), evaluated on the first pattern compiled: a config without one never loads it. */
const re2 = (): typeof import("re2js") => require("re2js")

/**
 * Where a compiled expression must match: `search` anywhere in the text (`procRegex`), `start` at
 * its start (SmartCtl's `devices`), `whole` the whole text (include/exclude names).
 */
export type RegexAnchor = "search" | "start" | "whole"

/** A user's regular expression, compiled; `test` runs in time linear in the text's length. */
export interface UserRegex {
  /** The expression as the user wrote it. */
  readonly pattern: string
  readonly anchor: RegexAnchor
  test(text: string): boolean
}

/** How much of a pattern a message quotes. */
const SHOWN = 64
const SYNTAX = "RE2 syntax: no backreferences or lookaround, so that matching takes linear time"

/** Why RE2 refuses `pattern`, worded for a config error. */
function reasonOf(pattern: string, error: unknown): string {
  if (!(error instanceof re2().RE2JSSyntaxException)) return (error as Error).message
  const fragment = error.input ?? ""
  if (/^\\([1-9]|k)$/.test(fragment) || (fragment === "(?P" && pattern.includes("(?P="))) {
    return `backreferences (\`${fragment === "(?P" ? "(?P=" : fragment}\`) are not supported (${SYNTAX})`
  }
  const look = /^\(\?(=|!|<=|<!)/.exec(fragment)?.[0]
  if (look) return `lookahead and lookbehind (\`${look}\`) are not supported (${SYNTAX})`
  if (!fragment) return error.error
  // RE2 quotes the rest of the pattern from the error on: a pasted blob must not make a huge line.
  return `${error.error}: \`${fragment.length > SHOWN ? `${fragment.slice(0, SHOWN)}…` : fragment}\``
}

/** Compiles `pattern` for `anchor`; throws an Error whose message is the reason RE2 refuses it. */
export function compileUserRegex(pattern: string, anchor: RegexAnchor = "search"): UserRegex {
  let re: RE2JS
  try {
    const { RE2JS } = re2()
    re = RE2JS.compile(pattern)
    // Compiled alone first: a valid pattern is balanced, so wrapping it cannot change its meaning.
    if (anchor === "start") re = RE2JS.compile(`^(?:${pattern})`)
  } catch (error) {
    throw new Error(reasonOf(pattern, error))
  }
  const test = anchor === "whole" ? (text: string) => re.testExact(text) : (text: string) => re.test(text)
  return { pattern, anchor, test }
}

/** Why `pattern` is not a valid regular expression (RE2 syntax); undefined when it is. */
export function regexProblem(pattern: string): string | undefined {
  try {
    compileUserRegex(pattern)
    return undefined
  } catch (error) {
    return (error as Error).message
  }
}

/** A string option that must compile as a regular expression (RE2 syntax); `message` words the issue. */
export function regexString(message: (pattern: string, reason: string) => string) {
  return v.pipe(
    v.string(),
    v.check(
      (pattern) => regexProblem(pattern) === undefined,
      (issue) => message(String(issue.input), regexProblem(String(issue.input)) ?? ""),
    ),
  )
}
