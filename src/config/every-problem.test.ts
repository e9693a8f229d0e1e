/**
 * One report lists every problem of every stage (${ENV}, extensions, structure, each source and
 * writer): a stage's problems never hide a later stage's.
 */
import { describe, expect, it } from "bun:test"
import { builtinRegistry } from "../registry.ts"
import { ConfigError } from "./errors.ts"
import { resolveConfig } from "./index.ts"

async function problemsOf(raw: unknown, env: Record<string, string> = {}, file?: string): Promise<string[]> {
  try {
    await resolveConfig(raw, builtinRegistry(), { env, file })
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
}

describe("every problem at once", () => {
  it("ten problems in structure, writers and sources are ten lines", async () => {
    const raw = {
      tickTime: -1,
      threads: 0,
      writer: { type: "Prometheus", port: 70000 },
      executors: [
        { collection: 5, sources: [{ type: "Http", url: 5 }, { type: "Nope" }, { type: "Process" }] },
        { tickTime: "x", sources: [{ type: "TcpTime", host: "127.0.0.1", port: -1 }] },
      ],
    }
    const problems = await problemsOf(raw)
    expect(problems).toContain("tickTime: expected >0")
    expect(problems).toContain("threads: expected >=1")
    expect(problems).toContain("executors[0].collection: expected string")
    expect(problems).toContain("executors[1].tickTime: expected number")
    expect(problems).toContain("writer (Prometheus): port: expected <=65535")
    expect(problems).toContain("executors[0].sources[0] (Http): url: expected string or array")
    expect(problems.some((p) => p.startsWith('executors[0].sources[1]: unknown source type "Nope"'))).toBe(true)
    expect(problems).toContain("executors[0].sources[2] (Process): procRegex: expected string")
    expect(problems).toContain("executors[1].sources[0] (TcpTime): port: expected >=1")
    expect(problems.length).toBe(9)
  })

  it("an unset ${VAR} does not hide the other problems, nor is its placeholder reported again", async () => {
    const raw = {
      executors: [
        {
          sources: [
            { type: "Http", url: "${NOT_SET}" },
            { type: "TcpTime", host: "h", port: -1 },
          ],
        },
      ],
    }
    expect(await problemsOf(raw)).toEqual([
      "executors[0].sources[0].url: environment variable NOT_SET is not set",
      "executors[0].sources[1] (TcpTime): port: expected >=1",
    ])
  })

  it("a missing extension does not hide the other problems", async () => {
    const raw = { extensions: ["nowhere.ts"], executors: [{ sources: [{ type: "Http" }] }] }
    const problems = await problemsOf(raw, {}, "/tmp/pollect-every-problem/config.json")
    expect(problems.length).toBe(2)
    expect(problems[0]).toStartWith("extensions[0]: ")
    expect(problems[1]).toBe("executors[0].sources[0] (Http): url: expected (string | array)")
  })

  it("entries that are not objects keep the indexes of the others", async () => {
    const raw = { executors: [{ sources: [7, { type: "Http" }] }], writers: ["x", { type: "Prometheus", port: "p" }] }
    const problems = await problemsOf(raw)
    expect(problems).toContain("executors[0].sources[0]: expected object")
    expect(problems).toContain("executors[0].sources[1] (Http): url: expected (string | array)")
    expect(problems).toContain("writers[1] (Prometheus): port: expected number")
  })
})

describe("keys and values that would slip past validation", () => {
  it("__proto__ cannot smuggle executors or a source's type", async () => {
    const raw = JSON.parse('{"__proto__": {"executors": [{"sources": [{"type": "LoadAvg"}]}]}}')
    expect(await problemsOf(raw)).toEqual(["__proto__: not allowed as a key", "executors: expected array"])
    const source = JSON.parse('{"executors": [{"sources": [{"__proto__": {"type": "LoadAvg"}}]}]}')
    expect(await problemsOf(source)).toEqual([
      "executors[0].sources[0].__proto__: not allowed as a key",
      "executors[0].sources[0].type: expected string",
    ])
  })

  it("intervals beyond the timer range (or YAML .inf) are refused, not scheduled as a warning flood", async () => {
    const at = (tickTime: number) =>
      problemsOf({ tickTime, executors: [{ tickTime, sources: [{ type: "LoadAvg", tickTime, timeout: tickTime }] }] })
    expect(await at(1e12)).toEqual([
      "tickTime: expected <=2073600",
      "executors[0].tickTime: expected <=2073600",
      "executors[0].sources[0] (LoadAvg): tickTime: expected <=2073600",
      "executors[0].sources[0] (LoadAvg): timeout: expected <=2073600",
    ])
    expect((await at(Number.POSITIVE_INFINITY)).length).toBe(4)
    expect(await at(24 * 86400)).toEqual([])
  })
})

describe("what a message echoes is bounded and visible", () => {
  it("a 1 MB unknown key or type is cut in the warning and the problem", async () => {
    const key = "k".repeat(1_000_000)
    const config = await resolveConfig({ executors: [{ sources: [{ type: "LoadAvg", [key]: 1 }] }] }, builtinRegistry())
    expect(config.warnings[0]).toBe(`executors[0].sources[0] (LoadAvg): unknown key "${"k".repeat(64)}…(1000000 characters)" is ignored`)
    const problems = await problemsOf({ executors: [{ sources: [{ type: "\u001b[2J" + "t".repeat(500) }] }] })
    expect(problems[0]!.length).toBeLessThan(600)
    expect(problems[0]).toContain('unknown source type "\\x1b[2Jttt')
  })
})
