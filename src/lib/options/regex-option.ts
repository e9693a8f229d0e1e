/**
 * Options that hold a regular expression (`procRegex`, SmartCtl's `devices`): checked when the
 * config is validated, so a typo is refused at startup with the engine's reason instead of
 * failing every probe.
 */
import * as v from "valibot"

/** Why `pattern` is not a valid regular expression; undefined when it is. */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern)
    return undefined
  } catch (error) {
    // JavaScriptCore says "Invalid regular expression: missing terminating ] ..."; keep the reason.
    return (error as Error).message.replace(/^Invalid regular expression:\s*/i, "")
  }
}

/** A string schema that must compile as a regular expression; `message` words the issue. */
export function regexString(message: (pattern: string, reason: string) => string) {
  return v.pipe(
    v.string(),
    v.check(
      (pattern) => regexProblem(pattern) === undefined,
      (issue) => message(String(issue.input), regexProblem(String(issue.input)) ?? ""),
    ),
  )
}
