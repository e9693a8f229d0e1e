/**
 * The example extensions meet the same conformance suites as the built-ins: an extension is
 * written exactly like one. (Loading them from disk as pollect does is src/config/extensions.test.ts.)
 */
import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { ValueSet } from "pollect"
import { sourceConformance } from "../test/conformance/source.ts"
import { writerConformance } from "../test/conformance/writer.ts"
import { makeSource, makeWriter, resultOf, tempDir } from "../test/helpers/context.ts"
import { MultiRandomSource, SingleRandomSource } from "./sources/random.ts"
import { JsonLinesWriter } from "./writers/json-lines.ts"

const dir = import.meta.dir

/** Runs `fn` with Math.random() returning the recorded `random.json` of a case, in order. */
async function withRecordedRandom<T>(caseDir: string, fn: () => T | Promise<T>): Promise<T> {
  const recorded = JSON.parse(readFileSync(join(caseDir, "random.json"), "utf8")) as number[]
  const original = Math.random
  let i = 0
  Math.random = () => {
    if (i >= recorded.length) throw new Error(`${caseDir}/random.json holds only ${recorded.length} numbers`)
    return recorded[i++]!
  }
  try {
    return await fn()
  } finally {
    Math.random = original
  }
}

sourceConformance({
  type: "SingleRandom",
  cls: SingleRandomSource,
  dir,
  testdata: join(dir, "testdata/single-random"),
  golden: (testCase) =>
    withRecordedRandom(testCase.dir, () => [makeSource<SingleRandomSource>(SingleRandomSource, testCase.config).probe()]),
})

sourceConformance({
  type: "MultiRandom",
  cls: MultiRandomSource,
  dir,
  testdata: join(dir, "testdata/multi-random"),
  golden: (testCase) => withRecordedRandom(testCase.dir, () => [makeSource<MultiRandomSource>(MultiRandomSource, testCase.config).probe()]),
})

/** The lines of a JSON-lines file as `path value`, for the suite's received(). */
function jsonLines(file: string): string[] {
  let text = ""
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return []
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { path: string; value: number })
    .map((point) => `${point.path} ${point.value}`)
}

writerConformance({
  type: "JsonLines",
  cls: JsonLinesWriter,
  dir,
  peer: () => {
    const file = join(tempDir("pollect-jsonl-"), "values.jsonl")
    return { config: { file }, received: () => jsonLines(file) }
  },
})

describe("examples", () => {
  it("SingleRandom stays below max, MultiRandom between 0 and 1 (live Math.random)", () => {
    for (let i = 0; i < 100; i++) {
      const single = makeSource<SingleRandomSource>(SingleRandomSource, { type: "SingleRandom", max: 5 }).probe()
      expect(single.values[0]!.value).toBeGreaterThanOrEqual(0)
      expect(single.values[0]!.value).toBeLessThan(5)
      for (const value of makeSource<MultiRandomSource>(MultiRandomSource, { type: "MultiRandom" }).probe().values) {
        expect(value.value).toBeGreaterThanOrEqual(0)
        expect(value.value).toBeLessThan(1)
      }
    }
  })

  it("JsonLines writes a recorded tick as the recorded lines (testdata/json-lines)", () => {
    const data = join(dir, "testdata/json-lines")
    const tick = JSON.parse(readFileSync(join(data, "tick.json"), "utf8")) as {
      collection: string
      type: string
      time: number
      values: { value: number; name?: string }[]
    }[]
    const out = tempDir("pollect-jsonl-")
    // A relative file is relative to the config's folder.
    const writer = makeWriter<JsonLinesWriter>(JsonLinesWriter, { type: "JsonLines", file: "values.jsonl" }, { configDir: out })
    const set = (values: { value: number; name?: string }[]) => {
      const s = new ValueSet()
      for (const value of values) s.add(value.value, [], value.name)
      return s
    }
    writer.write(tick.map((r) => resultOf(set(r.values), { collection: r.collection, type: r.type, time: r.time })))
    expect(readFileSync(join(out, "values.jsonl"), "utf8")).toBe(readFileSync(join(data, "expected.jsonl"), "utf8"))
  })
})
