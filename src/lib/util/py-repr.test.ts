import { describe, expect, it } from "bun:test"
import { pyFloat, pyStr } from "./py-repr.ts"

describe("pyFloat matches Python's repr(float(x))", () => {
  // Pairs checked against python3 in the test below.
  const cases = [
    0,
    -0,
    0.01,
    0.1 + 0.2,
    1,
    200,
    -3.5,
    1e-4,
    1e-5,
    123456789012345.6,
    1e16,
    1.5e16,
    2 ** 53,
    1e300,
    5e-324,
    NaN,
    Infinity,
    -Infinity,
    // Either side of where Python (1e-4, 1e16) and JavaScript (1e-7, 1e21) change notation.
    9.999999999999999e-5,
    0.00010000000000000002,
    -1e-4,
    -9.999999999999999e-5,
    9999999999999998,
    1.0000000000000002e16,
    -1e16,
    1e-7,
    1e21,
    1e15 + 0.5,
  ]
  // And 2000 doubles spread over 40 decades, both signs (a fixed seed: the same every run).
  let seed = 42
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const spread = Array.from({ length: 2000 }, () => (random() < 0.5 ? -1 : 1) * random() * 10 ** Math.floor(random() * 40 - 20))
  it("for every case, as python3 prints it", async () => {
    const script = `import math\nfor x in [${cases.map((n) => (Number.isNaN(n) ? "math.nan" : n === Infinity ? "math.inf" : n === -Infinity ? "-math.inf" : Object.is(n, -0) ? "-0.0" : n.toString())).join(", ")}]: print(repr(float(x)))`
    const proc = Bun.spawnSync(["python3", "-c", script])
    expect(proc.exitCode).toBe(0)
    expect(cases.map(pyFloat)).toEqual(proc.stdout.toString().trim().split("\n"))
  })

  it("for 2000 doubles of every magnitude, as python3 prints them", () => {
    const proc = Bun.spawnSync(["python3", "-c", "import sys\nfor line in sys.stdin: print(repr(float(line)))"], {
      stdin: Buffer.from(spread.map(String).join("\n")),
    })
    expect(proc.exitCode).toBe(0)
    expect(spread.map(pyFloat)).toEqual(proc.stdout.toString().trim().split("\n"))
  })
})

describe("pyStr matches Python's repr(str)", () => {
  it("quotes like python3", () => {
    const texts = [
      "pollect.loadavg.mid",
      "it's",
      `both ' and "`,
      "tab\there",
      "back\\slash",
      "ünïcode",
      "nul\x00 esc\x1b del\x7f",
      "c1\x80\x9f nbsp\xa0 shy\xad",
      "ls\u2028 zwsp\u200b bom\ufeff ideo\u3000 pua\ue000",
      "emoji😀 tag\u{e0001} last\u{10ffff}",
      "cr\r nl\n",
    ]
    const script = `import json,sys\nfor t in json.load(sys.stdin): print(repr(t))`
    const proc = Bun.spawnSync(["python3", "-c", script], { stdin: Buffer.from(JSON.stringify(texts)) })
    expect(texts.map(pyStr)).toEqual(proc.stdout.toString().trim().split("\n"))
  })

  it("\\u escapes below U+1000 keep four digits, \\x two, \\U eight (as python3 prints them)", () => {
    // U+0378 is unassigned, U+061C ARABIC LETTER MARK a format character: Python prints '\u0378', '\u061c'.
    expect(pyStr("\u0378")).toBe("'\\u0378'")
    expect(pyStr("a\u061cb")).toBe("'a\\u061cb'")
    expect(pyStr("\u0600")).toBe("'\\u0600'")
    expect(pyStr("\x05\x85")).toBe("'\\x05\\x85'")
    expect(pyStr("\u{e0001}")).toBe("'\\U000e0001'")
  })
})
