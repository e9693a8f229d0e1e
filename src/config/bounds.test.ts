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
    expect(performance.now() - started).toBeLessThan(1000)
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

  it("finding URL passwords is linear: 1 MB of letters in well under a second", () => {
    expect(urlPasswords("http://admin:hunter2@box/ and ftp://u:p%40ss@h:21/")).toEqual(["hunter2", "p%40ss"])
    expect(urlPasswords("no scheme ://a:b@c, mailto:x@y, http://user@host/")).toEqual([])
    const started = performance.now()
    urlPasswords(`${"a".repeat(1_000_000)}://${"b".repeat(1000)}`)
    urlPasswords("a://".repeat(250_000))
    expect(performance.now() - started).toBeLessThan(500)
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
    it(`${what}: exit ${exit}, fast (~0.2 s here; bound 1.5 s), under 100 MB, no stack trace`, async () => {
      const result = await run(make())
      expect(result.code).toBe(exit)
      expect(result.text).toContain(says)
      expect(result.text).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m)
      // Bun's own start is part of it: ~0.2 s and ~55 MB here.
      expect(result.ms).toBeLessThan(1500)
      expect(result.rssKiB).toBeLessThan(100 * 1024)
    })
  }
})
