/**
 * config/jsonc-error.ts: where JSON with comments first goes wrong (Bun.JSONC.parse says only
 * that it failed). Each message at its line and column; what JSONC allows finds nothing.
 */
import { describe, expect, it } from "bun:test"
import { findJsoncError } from "./jsonc-error.ts"

/** `line:column message`, or "ok". */
const at = (text: string) => {
  const found = findJsoncError(text)
  return found ? `${found.line}:${found.column} ${found.message}` : "ok"
}

describe("findJsoncError", () => {
  it("accepts what JSON with comments allows: comments, trailing commas, every kind of white space, a BOM", () => {
    for (const text of [
      '{"a": [1, -2, -12, 0, 2.5, 1.25, 1e3, 1e10, 1E-3, 2.5e+10, true, false, null, "s", "q\\"q", "\\\\"], "b": {}}',
      "\uFEFF{}",
      "{\r\n\t}",
      '{\n  // a comment with "quotes" and [brackets\n  "a": 1, /* a block\n comment */ "b": [1, 2,],\n}',
      "[1,] // the end",
      "[1] /* the end */",
      "{} ",
      '"just a string"',
      "42",
      "[[[]]]",
    ])
      expect([text, at(text)]).toEqual([text, "ok"])
  })

  it("names what it found and what it expected, at the line and column (1-based) of the offending character", () => {
    const cases: [string, string][] = [
      ["", "1:1 unexpected end of file, expected a value"],
      ["   ", "1:4 unexpected end of file, expected a value"],
      ['{"a": }', '1:7 unexpected "}", expected a value'],
      ['{"a": ', "1:7 unexpected end of file, expected a value"],
      ["{a: 1}", '1:2 unexpected "a", expected a quoted key or }'],
      ['{"a" 1}', '1:6 unexpected "1", expected :'],
      ['{"a": 1 "b": 2}', '1:9 unexpected "\\"", expected , or }'],
      ["[1 2]", '1:4 unexpected "2", expected , or ]'],
      ["[1,,]", '1:4 unexpected ",", expected a value'],
      ["[1", "1:3 unexpected end of file, expected , or ]"],
      ["{} x", '1:4 unexpected "x" after the end of the document'],
      ["[] []", '1:4 unexpected "[" after the end of the document'],
      ["tru", '1:1 unexpected "t", expected a value'],
      ["-", '1:1 unexpected "-", expected a value'],
      ["01", '1:2 unexpected "1" after the end of the document'],
      ["1.", '1:2 unexpected "." after the end of the document'],
      ["1e", '1:2 unexpected "e" after the end of the document'],
      ["'single'", '1:1 unexpected "\'", expected a value'],
      ['"ab\ncd"', "1:4 line break inside a string"],
      ['"abc', "1:5 unterminated string"],
      ['"a\\"', "1:5 unterminated string"],
      ["{ /* x", "1:3 unterminated comment"],
      ["[1] /* x", "1:5 unterminated comment"],
      ["/ 1", '1:1 unexpected "/", expected a value'],
      // A comment starts with its own slash, not with the character before one.
      ["[x/ 1]", '1:2 unexpected "x", expected a value'],
      ["[x* 1]", '1:2 unexpected "x", expected a value'],
      // The `*` that opens a comment does not close it.
      ["[1 /*/ 2]", "1:4 unterminated comment"],
      // A comment runs to the end of its line only.
      ["[1, // x\n 2 3]", '2:4 unexpected "3", expected , or ]'],
      ['{\n  "a": 1\n  "b": 2\n}', '3:3 unexpected "\\"", expected , or }'],
      ['{\r\n"a": x}', '2:6 unexpected "x", expected a value'],
    ]
    for (const [text, expected] of cases) expect([text, at(text)]).toEqual([text, expected])
  })

  it("a literal is read from at most 400 characters: a longer number ends there", () => {
    expect(at("1".repeat(400))).toBe("ok")
    expect(at("1".repeat(401))).toBe('1:401 unexpected "1" after the end of the document')
    expect(at(`[${"1".repeat(401)}]`)).toBe('1:402 unexpected "1", expected , or ]')
  })
})
