/**
 * Hostile config files end in exit 2 with a clear message, fast and small: devices, FIFOs,
 * oversized files, deep nesting, recursive or exploding YAML aliases, long strings (the secret
 * scan used to be quadratic).
 */
import { describe, expect, it } from "bun:test"
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { bracketDepth, MAX_CONFIG_BYTES, treeProblem, yamlProblem } from "./bounds.ts"
import { ConfigError } from "./errors.ts"
import { parseConfigText, readConfigFile } from "./load.ts"
import { urlPasswords } from "./secrets.ts"

const dir = mkdtempSync(join(tmpdir(), "pollect-bounds-"))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

async function problemOf(read: () => unknown): Promise<string> {
  try {
    await read()
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join("\n")
    throw error
  }
  return ""
}

describe("config bounds", () => {
  it("a device, a FIFO: not a regular file, at once (a FIFO is never opened)", async () => {
    expect(await problemOf(() => readConfigFile("/dev/zero"))).toBe("cannot read config: not a regular file (a device, FIFO or socket)")
    const fifo = join(dir, "config.fifo")
    execFileSync("mkfifo", [fifo])
    const started = performance.now()
    expect(await problemOf(() => readConfigFile(fifo))).toContain("not a regular file")
    // Opening the FIFO would wait for a writer forever; the bound is generous for a loaded machine (~1 ms here).
    expect(performance.now() - started).toBeLessThan(10_000)
  })

  it("a file over 1 MiB is refused before it is read", async () => {
    const big = file("big.json", " ".repeat(MAX_CONFIG_BYTES + 1))
    expect(await problemOf(() => readConfigFile(big))).toBe(
      `cannot read config: ${MAX_CONFIG_BYTES + 1} bytes; a config may have at most ${MAX_CONFIG_BYTES} (1 MiB)`,
    )
  })

  it("10,000 nested arrays: too deep, before the parser recurses", async () => {
    const deep = file("deep.json", "[".repeat(10_000) + "]".repeat(10_000))
    expect(await problemOf(() => readConfigFile(deep))).toBe("config too complex: nested deeper than 64 levels")
    expect(await problemOf(() => parseConfigText("[".repeat(65) + "]".repeat(65)))).toContain("deeper than 64")
    expect(await problemOf(() => parseConfigText("[".repeat(60) + "]".repeat(60)))).toBe("")
  })

  it("brackets inside strings and comments do not count", () => {
    expect(bracketDepth(`{"a": "[[[[[[", "b": ["]]]"]} // {{{{`)).toBe(2)
    expect(bracketDepth(`{"a": "\\"[[["}`)).toBe(1)
  })

  it("a recursive YAML alias is refused instead of recursing until the stack overflows", async () => {
    expect(await problemOf(() => parseConfigText("a: &a [*a]\n", "c.yaml"))).toBe(
      "config too complex: the alias *a is used inside the node it names (it would repeat without end)",
    )
    expect(yamlProblem("a: &a\n  b: *a\n")).toContain("inside the node it names")
    // Used after its node ended: fine, as YAML merge keys are used in real configs.
    expect(yamlProblem("defaults: &d {tickTime: 5}\nexecutors:\n  - <<: *d\n    sources: []\n")).toBeUndefined()
    expect(yamlProblem("a: &a\n  x: 1\nb: *a\n")).toBeUndefined()
  })

  it("an anchor inside a flow collection names only its own node: aliases after it are fine, inside it are refused", async () => {
    for (const text of [
      "{a: &x [1], b: *x}",
      "a: [&x 1, *x]",
      "a: [&x [1], *x]",
      "a: {p: &x 1, q: *x}",
      "a: [[&x 1], *x]",
      "a: &x [1]\nb: *x",
    ]) {
      expect(yamlProblem(text)).toBeUndefined()
      expect(await problemOf(() => parseConfigText(text, "c.yaml"))).toBe("")
    }
    expect(parseConfigText("{a: &x [1, 2], b: *x}", "c.yaml")).toEqual({ a: [1, 2], b: [1, 2] })
    // An alias in a comment after a quoted value is no alias.
    expect(yamlProblem("a: &y\n  b: \"q\" # *y\n  c: '#' # *y")).toBeUndefined()
    for (const text of [
      "a: &a [*a]",
      "a: &a {b: *a}",
      "x: [&a [*a]]",
      "a: [&a {b: [1, *a]}]",
      "a: &a !!seq [*a]",
      "x: [&a !!seq [*a]]",
      "a: [&a\n  [*a]]",
      "a: &a\n  b: *a",
    ])
      expect(yamlProblem(text)).toContain("is used inside the node it names")
  })

  it("nesting limits: compact `- - -` sequences count each dash; a parsed value 65 levels deep is the most allowed", () => {
    expect(yamlProblem(`${"- ".repeat(65)}x`)).toBe("nested deeper than 64 levels")
    expect(yamlProblem(`${"- ".repeat(20)}x`)).toBeUndefined()
    // Flow nesting spread over lines (bracketDepth, which load.ts asks first, sees it on one line too).
    expect(yamlProblem(`a:\n${"  [\n".repeat(65)}${"  ]\n".repeat(65)}`)).toBe("nested deeper than 64 levels")
    expect(yamlProblem(`a:\n${"  [\n".repeat(64)}${"  ]\n".repeat(64)}`)).toBeUndefined()
    const nest = (levels: number): unknown => (levels === 0 ? 1 : [nest(levels - 1)])
    expect(treeProblem(nest(65))).toBeUndefined()
    expect(treeProblem(nest(66))).toBe("nested deeper than 64 levels")
  })

  it("bracketDepth: stray closing brackets do not hide later nesting; `#` starts a comment only at a line start or after a space", () => {
    expect(bracketDepth("]]]]]] [[[")).toBe(3)
    expect(bracketDepth("url: a#[[[")).toBe(3)
    expect(bracketDepth("[1] # [[[[\n[[2]]")).toBe(2)
    expect(bracketDepth("#[[[[\n[")).toBe(1)
  })

  it("a billion laughs is refused (more than 100 aliases, or too many values once expanded)", async () => {
    const lines = ["a0: &a0 [1,2,3,4,5,6,7,8,9,10]"]
    for (let i = 1; i < 12; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      )
    expect(yamlProblem(lines.join("\n"))).toBe("more than 100 aliases")
    const shared = [1, 2, 3]
    const wide = Array.from({ length: 40_000 }, () => shared)
    expect(treeProblem(wide)).toBe("more than 100000 values (with aliases expanded)")
  })

  it("a value that contains itself is refused", () => {
    const loop: unknown[] = []
    loop.push(loop)
    expect(treeProblem(loop)).toBe("a value contains itself")
    expect(treeProblem({ a: [1, { b: 2 }], c: "x" })).toBeUndefined()
  })

  it("NUL bytes: not a text file", async () => {
    expect(await problemOf(() => parseConfigText('{"a": 1}\0\0'))).toBe("not a text file (it holds NUL bytes)")
  })

  it("finding URL passwords is linear: 1 MB of letters in milliseconds, not minutes", () => {
    expect(urlPasswords("http://admin:hunter2@box/ and ftp://u:p%40ss@h:21/")).toEqual(["hunter2", "p%40ss"])
    expect(urlPasswords("no scheme ://a:b@c, mailto:x@y, http://user@host/")).toEqual([])
    const started = performance.now()
    urlPasswords(`${"a".repeat(1_000_000)}://${"b".repeat(1000)}`)
    urlPasswords("a://".repeat(250_000))
    // ~10 ms here; the quadratic regular expression this replaced took 4 s for 100 KB (~400 s for
    // 1 MB), so a bound generous enough for a loaded machine still tells the two apart.
    expect(performance.now() - started).toBeLessThan(10_000)
  })
})

describe("hostile config files through pollect check", () => {
  const main = join(import.meta.dir, "../main.ts")
  const run = async (config: string) => {
    const child = Bun.spawn(["/usr/bin/time", "-f", "maxrss_kb=%M", process.execPath, main, "check", "--config", config], {
      stdout: "pipe",
      stderr: "pipe",
    })
    const started = performance.now()
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited])
    return { code, text: out + err, ms: performance.now() - started, rssKiB: Number(/maxrss_kb=(\d+)/.exec(err)?.[1]) }
  }
  const hostile: [string, () => string, number, string][] = [
    ["/dev/zero", () => "/dev/zero", 2, "not a regular file"],
    ["/dev/urandom", () => "/dev/urandom", 2, "not a regular file"],
    [
      "a FIFO",
      () => {
        const fifo = join(dir, "cli.fifo")
        execFileSync("mkfifo", [fifo])
        return fifo
      },
      2,
      "not a regular file",
    ],
    ["10,000 nested arrays", () => file("cli-deep.json", "[".repeat(10_000) + "]".repeat(10_000)), 2, "deeper than 64"],
    ["a: &a [*a]", () => file("cli-recursive.yaml", "a: &a [*a]\n"), 2, "inside the node it names"],
    [
      "a 1 MB string value (valid)",
      () => file("cli-long.json", JSON.stringify({ executors: [{ sources: [{ type: "LoadAvg", name: "a".repeat(1_000_000) }] }] })),
      0,
      "OK",
    ],
  ]
  for (const [what, make, exit, says] of hostile) {
    it(`${what}: exit ${exit}, fast (~0.2 s here; bound 20 s), under 100 MB, no stack trace`, async () => {
      const result = await run(make())
      expect(result.code).toBe(exit)
      expect(result.text).toContain(says)
      expect(result.text).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m)
      // Bun's own start is part of it: ~0.2 s and ~55 MB here. The bound is for a loaded machine
      // (bun starts in seconds at load 14); what it catches never ends (a FIFO opened, a recursive
      // alias) or takes minutes (the old quadratic secret scan on 1 MB).
      expect(result.ms).toBeLessThan(20_000)
      expect(result.rssKiB).toBeLessThan(100 * 1024)
    })
  }
})

describe("bracketDepth, edge by edge", () => {
  it("quotes: both kinds hide brackets; a backslash escapes only in double quotes (YAML's single quotes have no escapes)", () => {
    expect(bracketDepth("{'[[[': 1}")).toBe(1)
    expect(bracketDepth(`{"[[[": 1}`)).toBe(1)
    expect(bracketDepth("['a\\', [1]]")).toBe(2)
    expect(bracketDepth('["a\\"", [1]]')).toBe(2)
  })

  it("closing braces and brackets both close: siblings are not nesting", () => {
    expect(bracketDepth("{} {} {}")).toBe(1)
    expect(bracketDepth("[] [] []")).toBe(1)
    expect(bracketDepth("{[]} {[]}")).toBe(2)
  })

  it("`//` starts a comment, a single `/` does not; `#` only after white space or at the start", () => {
    expect(bracketDepth("/[[")).toBe(2)
    expect(bracketDepth("a/ [[")).toBe(2)
    expect(bracketDepth("[ // [[[\n]")).toBe(1)
    expect(bracketDepth("a #[[")).toBe(0)
    expect(bracketDepth("a# [[")).toBe(2)
  })

  it("stops at the limit: the limit itself is the answer once reached", () => {
    expect(bracketDepth("[[[[[", 3)).toBe(3)
    expect(bracketDepth("[[", 3)).toBe(2)
    expect(bracketDepth("[".repeat(1000))).toBe(65)
  })
})

describe("yamlProblem, edge by edge", () => {
  it("blank, white-space-only and comment lines do not end a block node", () => {
    expect(yamlProblem("a: &x\n\n  b: *x")).toContain("inside the node it names")
    expect(yamlProblem("a: &x\n    \n  # a comment\n  b: *x")).toContain("inside the node it names")
    expect(yamlProblem("x:\n  a: &x\n  \n    b: *x")).toContain("inside the node it names")
  })

  it("block nesting: 64 levels by indentation or by compact dashes is the most allowed", () => {
    const mapping = (levels: number) => Array.from({ length: levels }, (_, k) => `${"  ".repeat(k)}a:`).join("\n")
    expect(yamlProblem(mapping(65))).toBeUndefined() // the deepest key at indent 128: 64 levels
    expect(yamlProblem(mapping(66))).toBe("nested deeper than 64 levels")
    expect(yamlProblem(mapping(40))).toBeUndefined()
    expect(yamlProblem(`${"- ".repeat(64)}x`)).toBeUndefined()
    expect(yamlProblem(`${"- ".repeat(40)}x`)).toBeUndefined()
    // Dashes after indentation, and dashes spaced wider, count too.
    expect(yamlProblem(`a:\n  ${"- ".repeat(64)}x`)).toBe("nested deeper than 64 levels")
    expect(yamlProblem(`${"-   ".repeat(65)}x`)).toBe("nested deeper than 64 levels")
  })

  it("a long line is not deep; deep indentation inside a flow collection is not block nesting", () => {
    expect(yamlProblem(`key: ${"x".repeat(200)}`)).toBeUndefined()
    expect(yamlProblem(`a: [\n${" ".repeat(140)}1]`)).toBeUndefined()
  })

  it("anchor and alias names are whole words: *ac is not *ab; flow mappings nest like sequences", () => {
    expect(yamlProblem("a: &ab\n  b: *ac")).toBeUndefined()
    expect(yamlProblem("a: &ab\n  b: *ab")).toBe("the alias *ab is used inside the node it names (it would repeat without end)")
    expect(yamlProblem(`a:\n${"  {a:\n".repeat(65)}${"  }\n".repeat(65)}`)).toBe("nested deeper than 64 levels")
  })

  it("quoted strings hold no alias, however long", () => {
    expect(yamlProblem("a: &x\n  b: \"see *x here\"\n  c: 'and *x there'")).toBeUndefined()
  })

  it("an anchored flow collection ends with its own bracket, not an inner one", () => {
    expect(yamlProblem("a: &x [[1], *x]")).toContain("inside the node it names")
    expect(yamlProblem("a: &x\n  b: [1]\n  c: *x")).toContain("inside the node it names")
  })

  it("an anchor inside a flow collection ends with that collection, on its line or a later one", async () => {
    for (const text of ["{a: [[&x !!str v], *x]}", "{a: [&x\n 1], b: *x}", "{a: &x  [1], b: *x}", "a: [&x  1, *x]", "a: [&x 1, *x, [2]]"]) {
      expect([text, yamlProblem(text)]).toEqual([text, undefined])
      expect(await problemOf(() => parseConfigText(text, "c.yaml"))).toBe("")
    }
  })

  it("an anchor on a scalar names only it: `&x key:` in a block (the key), `&x |` (a block scalar), a redefined anchor", async () => {
    expect(parseConfigText("- &x a: 1\n  b: *x", "c.yaml")).toEqual([{ a: 1, b: "a" }])
    for (const text of ["- &x a: 1\n  b: *x", "&x a:\n  b: *x", "script: &x |\n  ls *x", "a: &x\n  b: [&x 1, *x]"]) {
      expect([text, yamlProblem(text)]).toEqual([text, undefined])
      expect(await problemOf(() => parseConfigText(text, "c.yaml"))).toBe("")
    }
  })

  it("closing brackets bring the count back to zero, never below (block anchors still end by indentation)", () => {
    expect(yamlProblem("a: [[1]]\nb: &b\n  c: 1\nd: *b")).toBeUndefined()
    expect(parseConfigText("a: [[1]]\nb: &b\n  c: 1\nd: *b", "c.yaml")).toEqual({ a: [[1]], b: { c: 1 }, d: { c: 1 } })
    expect(yamlProblem("a: [[1]]]]\nb: &b\n  c: 1\nd: *b")).toBeUndefined()
  })

  it("100 aliases are allowed, 101 are not; quoted strings are no aliases", () => {
    const aliases = (count: number) => `a: &a 1\nb: [${Array(count).fill("*a").join(", ")}]`
    expect(yamlProblem(aliases(100))).toBeUndefined()
    expect(yamlProblem(aliases(101))).toBe("more than 100 aliases")
    expect(yamlProblem(`a: [${Array(150).fill('"s"').join(", ")}]`)).toBeUndefined()
  })

  it("comments: `#` inside either kind of quotes is text; in a word it is text; at the line start or after a space it starts one", () => {
    expect(yamlProblem("a: &x\n  b: [' #', *x]")).toContain("inside the node it names")
    expect(yamlProblem('a: &x\n  b: [" #", *x]')).toContain("inside the node it names")
    expect(yamlProblem("a: &x\n  b: [x#y, *x]")).toContain("inside the node it names")
    expect(yamlProblem(`#${"[".repeat(70)}\na: 1`)).toBeUndefined()
    expect(yamlProblem(`a: 1 #${"[".repeat(70)}`)).toBeUndefined()
  })
})

describe("treeProblem, edge by edge", () => {
  it("100,000 values are allowed, 100,001 are not (the array itself counts)", () => {
    expect(treeProblem(Array(99_999).fill(0))).toBeUndefined()
    expect(treeProblem(Array(100_000).fill(0))).toBe("more than 100000 values (with aliases expanded)")
  })
})
