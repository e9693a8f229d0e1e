/** config/path.ts: how a problem names the place in the config it is about. */
import { describe, expect, it } from "bun:test"
import { formatPath, MAX_KEY_SHOWN, shortKey } from "./path.ts"

describe("formatPath", () => {
  it("keys joined by dots, indexes in brackets; the empty path is the top level", () => {
    expect(formatPath(["executors", 1, "sources", 0, "url"])).toBe("executors[1].sources[0].url")
    expect(formatPath(["tickTime"])).toBe("tickTime")
    expect(formatPath([0, "a"])).toBe("[0].a")
    expect(formatPath([2, 3])).toBe("[2][3]")
    expect(formatPath([])).toBe("(top level)")
  })

  it("keys as shortKey shows them", () => {
    expect(formatPath(["labels", "a\nb"])).toBe("labels.a\\x0ab")
    expect(formatPath(["x".repeat(100)])).toBe(`${"x".repeat(64)}…(100 characters)`)
  })
})

describe("shortKey", () => {
  it("control characters (0x00-0x1f, 0x7f) as \\xNN; others as they are", () => {
    expect(shortKey("\u0000\u0009\u001b[2J\u001f\u007f")).toBe("\\x00\\x09\\x1b[2J\\x1f\\x7f")
    expect(shortKey(" ~é→")).toBe(" ~é→")
  })

  it("at most 64 characters shown, then how long the key is", () => {
    expect(MAX_KEY_SHOWN).toBe(64)
    expect(shortKey("k".repeat(64))).toBe("k".repeat(64))
    expect(shortKey("k".repeat(65))).toBe(`${"k".repeat(64)}…(65 characters)`)
    // The count is of the key as written; the cut is of what is shown.
    expect(shortKey("\u0001".repeat(20))).toBe(`${"\\x01".repeat(16)}…(20 characters)`)
  })
})
