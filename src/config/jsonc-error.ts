/**
 * Bun.JSONC.parse reports no position, so when it fails this scanner finds where: the line and
 * column of the first token that JSON-with-comments (trailing commas allowed) does not accept.
 */

export interface TextPosition {
  line: number
  column: number
  message: string
}

export function findJsoncError(text: string): TextPosition | undefined {
  let i = 0
  const fail = (message: string): never => {
    throw Object.assign(new Error(message), { offset: i })
  }
  const skip = () => {
    for (;;) {
      const c = text[i]
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") i++
      else if (c === "/" && text[i + 1] === "/") while (i < text.length && text[i] !== "\n") i++
      else if (c === "/" && text[i + 1] === "*") {
        const end = text.indexOf("*/", i + 2)
        if (end < 0) fail("unterminated comment")
        i = end + 2
      } else return
    }
  }
  const describe = () => (i >= text.length ? "end of file" : JSON.stringify(text[i]))
  const value = (): void => {
    skip()
    const c = text[i]
    if (c === "{") return container("}", true)
    if (c === "[") return container("]", false)
    if (c === '"') return string()
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400))
    if (!literal) fail(`unexpected ${describe()}, expected a value`)
    i += literal![0].length
  }
  const string = () => {
    i++
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\n") fail("line break inside a string")
      i += text[i] === "\\" ? 2 : 1
    }
    if (i >= text.length) fail("unterminated string")
    i++
  }
  const container = (close: string, isObject: boolean) => {
    i++
    skip()
    while (text[i] !== close) {
      if (isObject) {
        if (text[i] !== '"') fail(`unexpected ${describe()}, expected a quoted key or ${close}`)
        string()
        skip()
        if (text[i] !== ":") fail(`unexpected ${describe()}, expected :`)
        i++
      }
      value()
      skip()
      if (text[i] === ",") {
        i++
        skip()
      } else if (text[i] !== close) fail(`unexpected ${describe()}, expected , or ${close}`)
    }
    i++
  }
  try {
    value()
    skip()
    if (i < text.length) fail(`unexpected ${describe()} after the end of the document`)
    return undefined
  } catch (error) {
    const offset = (error as { offset?: number }).offset ?? i
    const before = text.slice(0, offset).split("\n")
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1, message: (error as Error).message }
  }
}
