/**
 * config/schema.ts: pollect's own keys and their defaults, how a valibot issue reads, what a
 * config that validates carries (writers shared by identity, warnings), what a structurally
 * broken config still gets checked for, and the schema `pollect schema` prints.
 */
import { describe, expect, it } from "bun:test"
import { toJsonSchema } from "@valibot/to-json-schema"
import * as v from "valibot"
import { Source, type SourceClass } from "../core/plugin.ts"
import { builtinRegistry } from "../registry.ts"
import { canonical, describeIssue, fullConfigSchema, MAX_SECONDS, validateConfig, type PollectConfig } from "./schema.ts"

const registry = builtinRegistry()
const valid = (raw: unknown): PollectConfig => {
  const result = validateConfig(raw, registry)
  if ("problems" in result) throw new Error(result.problems.join("\n"))
  return result
}
const problems = (raw: unknown): string[] => {
  const result = validateConfig(raw, registry)
  return "problems" in result ? result.problems : []
}
const load = { type: "LoadAvg" }

describe("pollect's own keys", () => {
  it("defaults: tickTime 10, threads 5, no extensions, compat 1.0, no stateDir, no status", () => {
    const config = valid({ executors: [] })
    expect(config).toEqual({
      tickTime: 10,
      threads: 5,
      extensions: [],
      stateDir: undefined,
      compat: "1.0",
      executors: [],
      status: undefined,
      warnings: [],
    })
  })

  it("what is given is kept: tickTime, threads, extensions, stateDir, compat 1.2; an executor's threads and tickTime over the global ones", () => {
    const config = valid({
      tickTime: 30,
      threads: 2,
      extensions: ["ext"],
      stateDir: "state",
      compat: "1.2",
      executors: [{ collection: "a", tickTime: 60, threads: 3, sources: [load] }, { sources: [load] }],
      writer: { type: "DryRun" },
    })
    expect([config.tickTime, config.threads, config.extensions, config.stateDir, config.compat]).toEqual([30, 2, ["ext"], "state", "1.2"])
    expect(config.executors.map((e) => [e.path, e.collection, e.tickTime, e.threads])).toEqual([
      ["executors[0]", "a", 60, 3],
      ["executors[1]", "pollect", 30, 2],
    ])
  })

  it("each key's own problem", () => {
    expect(
      problems({ $schema: 5, stateDir: 5, compat: "2.0", extensions: "x", executors: [{ threads: 0, tickTime: -1, sources: [] }] }),
    ).toEqual([
      "$schema: expected string",
      "extensions: expected array",
      "stateDir: expected string",
      'compat: expected ("1.0" | "1.2")',
      "executors[0].tickTime: expected >=0",
      "executors[0].threads: expected >=1",
    ])
    expect(problems({ threads: 1.5, executors: [{ threads: 2.5, sources: [] }] })).toEqual([
      "threads: expected integer",
      "executors[0].threads: expected integer",
    ])
  })

  it("intervals: more than 0, at most 24 days, for the global, an executor's (0 allowed: the global) and a source's tickTime and timeout", () => {
    expect(MAX_SECONDS).toBe(24 * 86400)
    const at = (t: number) => problems({ tickTime: t, executors: [{ tickTime: t, sources: [{ ...load, tickTime: t, timeout: t }] }] })
    expect(at(MAX_SECONDS)).toEqual([])
    expect(at(0.001)).toEqual([])
    expect(at(MAX_SECONDS + 1)).toHaveLength(4)
    expect(at(0)).toEqual([
      "tickTime: expected >0",
      "executors[0].sources[0] (LoadAvg): tickTime: expected >0",
      "executors[0].sources[0] (LoadAvg): timeout: expected >0",
    ])
  })

  it("a source's common keys: name a string, labels strings, all of them kept", () => {
    const config = valid({
      executors: [{ sources: [{ type: "LoadAvg", name: "n", labels: { site: "lab" }, tickTime: 20, timeout: 5 }] }],
      writer: { type: "DryRun" },
    })
    expect(config.executors[0]!.sources[0]!.config).toEqual({
      type: "LoadAvg",
      name: "n",
      labels: { site: "lab" },
      tickTime: 20,
      timeout: 5,
    })
    expect(config.warnings).toEqual([])
    expect(problems({ executors: [{ sources: [{ type: "LoadAvg", name: 1, labels: "x" }] }] })).toEqual([
      "executors[0].sources[0] (LoadAvg): name: expected string",
      "executors[0].sources[0] (LoadAvg): labels: expected object",
    ])
  })
})

describe("warnings", () => {
  it("unknown keys of sources and writers (a writer's only common key is type); an option's own warning by its path", () => {
    const config = valid({
      writer: { type: "DryRun", colour: 1 },
      executors: [{ sources: [{ type: "Interface", include: ["eth[0"], name: "n", shade: 2 }] }],
    })
    expect(config.warnings).toEqual([
      'writer (DryRun): unknown key "colour" is ignored',
      'executors[0].sources[0] (Interface): include[0]: "eth[0" is not a valid regular expression (missing closing ]: `[0`); it matches only that exact name',
      'executors[0].sources[0] (Interface): unknown key "shade" is ignored',
    ])
  })

  it("an executor without a writer, globally or its own, goes to DryRun, and says so", () => {
    expect(valid({ executors: [{ sources: [load] }] }).warnings).toEqual([
      "executors[0]: no writer configured (globally or here); values go to DryRun (stdout)",
    ])
  })
})

describe("writers", () => {
  it("an executor's own writers replace the global ones; the others share the global ones, one identity for equal configs", () => {
    const config = valid({
      writer: { type: "Prometheus", port: 9001 },
      executors: [{ sources: [load] }, { sources: [load], writers: [{ type: "DryRun" }] }, { sources: [load] }],
    })
    expect(config.executors.map((e) => e.writers.map((w) => `${w.path} ${w.type}`))).toEqual([
      ["writer Prometheus"],
      ["executors[1].writers[0] DryRun"],
      ["writer Prometheus"],
    ])
    const same = valid({ writers: [{ type: "Prometheus", port: 1, path: "/m" }], executors: [{ sources: [load] }] })
    const reordered = valid({ writers: [{ path: "/m", port: 1, type: "Prometheus" }], executors: [{ sources: [load] }] })
    expect(same.executors[0]!.writers[0]!.key).toBe(reordered.executors[0]!.writers[0]!.key)
    expect(same.executors[0]!.writers[0]!.key).toBe(canonical(same.executors[0]!.writers[0]!.config))
  })

  it("canonical: sorted keys at every depth, lists in order, undefined as null", () => {
    expect(canonical({ b: 1, a: [2, { d: "x", c: undefined }] })).toBe('{"a":[2,{"c":null,"d":"x"}],"b":1}')
    expect(canonical([3, 1])).toBe("[3,1]")
    expect(canonical(undefined)).toBe("null")
    expect(canonical(null)).toBe("null")
  })
})

describe("a structurally broken config is still checked plugin by plugin", () => {
  it("every writer place and every source, by its own index, behind a top-level problem", () => {
    const bad = { type: "Prometheus", port: "p" }
    expect(
      problems({
        tickTime: "x",
        writer: [7, bad],
        writers: [bad],
        executors: [5, { collection: 1, sources: [null, { type: "TcpTime", host: 1, port: 1 }], writer: bad, writers: ["x", bad] }],
      }),
    ).toEqual([
      "tickTime: expected number",
      "executors[0]: expected object",
      "executors[1].collection: expected string",
      "executors[1].sources[0]: expected object",
      "executors[1].writers[0]: expected object",
      'writer: expected "type" or object',
      // The structure's problems first, then each plugin's, by the index the user sees.
      "writer[1] (Prometheus): port: expected number",
      "writers[0] (Prometheus): port: expected number",
      "executors[1].sources[1] (TcpTime): host: expected string",
      "executors[1].writer (Prometheus): port: expected number",
      "executors[1].writers[1] (Prometheus): port: expected number",
    ])
  })

  it("a single writer object, and sources that are no list", () => {
    expect(problems({ tickTime: "x", writer: { type: "Prometheus", port: "p" }, executors: [{ sources: 5 }] })).toEqual([
      "tickTime: expected number",
      "executors[0].sources: expected array",
      "writer (Prometheus): port: expected number",
    ])
  })

  it("a top level that is no object", () => {
    for (const raw of [null, "text", 5, [1]]) expect(problems(raw)).toEqual(["(top level): expected object"])
  })
})

describe("describeIssue", () => {
  const first = (schema: v.GenericSchema, input: unknown) => {
    const result = v.safeParse(schema, input)
    if (result.success) throw new Error("valid")
    return describeIssue(result.issues[0], schema)
  }

  it("valibot's type names in lower case (object, array, date, blob), its own messages where a schema gave one", () => {
    expect(first(v.object({ a: v.date() }), { a: 1 })).toBe("a: expected date")
    expect(first(v.object({ a: v.blob() }), { a: 1 })).toBe("a: expected blob")
    expect(first(v.object({ a: v.array(v.string()) }), { a: 1 })).toBe("a: expected array")
    expect(first(v.object({ a: v.object({}) }), { a: 1 })).toBe("a: expected object")
    expect(first(v.object({ a: v.pipe(v.string(), v.minLength(2)) }), { a: "x" })).toBe("a: expected >=2")
    expect(first(v.object({ a: v.pipe(v.string(), v.minLength(2, "too short")) }), { a: "x" })).toBe("a: too short")
    expect(
      first(
        v.pipe(
          v.string(),
          v.check(() => false, "Invalid on purpose"),
        ),
        "x",
      ),
    ).toBe("(top level): Invalid on purpose")
  })

  it("a missing key says what it should be, looking through optional, pipe, array and record wrappers", () => {
    const schema = v.object({
      list: v.optional(v.array(v.pipe(v.object({ need: v.pipe(v.array(v.string()), v.minLength(1)) })))),
      map: v.record(v.string(), v.object({ need: v.number() })),
    })
    expect(first(schema, { list: [{}], map: {} })).toBe("list[0].need: expected array")
    expect(first(schema, { map: { k: {} } })).toBe("map.k.need: expected number")
  })

  it("a union lists its alternatives once each; a prefix goes before the path", () => {
    const schema = v.object({ a: v.union([v.string(), v.pipe(v.string(), v.email()), v.array(v.number())]) })
    expect(first(schema, { a: 1 })).toBe("a: expected string or array")
    const result = v.safeParse(schema, { a: 1 })
    expect(describeIssue(result.issues![0], schema, ["executors", 0])).toBe("executors[0].a: expected string or array")
  })

  it("a missing key whose schema cannot be found: `a valid value`", () => {
    const issue = { kind: "schema", type: "object", received: "undefined", expected: "never", message: "", path: [{ key: "gone" }] }
    expect(describeIssue(issue as unknown as v.BaseIssue<unknown>, v.object({}))).toBe("gone: expected a valid value")
  })
})

describe("the schema `pollect schema` prints", () => {
  const json = toJsonSchema(fullConfigSchema(registry), { errorMode: "ignore", typeMode: "input" }) as {
    properties: Record<string, any>
    required: string[]
  }
  const sourceVariants = json.properties.executors.items.properties.sources.items.anyOf as {
    properties: Record<string, { const?: string; description?: string }>
  }[]

  it("one variant per source type, sorted, each with the common keys and their descriptions", () => {
    const types = sourceVariants.map((variant) => variant.properties.type!.const)
    expect(types).toEqual([...registry.sources.keys()].sort((a, b) => a.localeCompare(b)))
    const loadAvg = sourceVariants.find((variant) => variant.properties.type!.const === "LoadAvg")!
    expect(Object.fromEntries(["name", "labels", "tickTime", "timeout"].map((k) => [k, loadAvg.properties[k]!.description]))).toEqual({
      name: "Part of every metric name of this source: pollect.http.<name>, pollect_Http_<name>",
      labels: "Static labels added to every value (Prometheus)",
      tickTime: "Seconds between probes; a multiple of the executor's tickTime",
      timeout: "Seconds a probe may take; default: the source's own default, at most the tick",
    })
  })

  it("pollect's own keys, compat described; writers at the top and in executors as a type or a list", () => {
    expect(Object.keys(json.properties)).toEqual([
      "$schema",
      "tickTime",
      "threads",
      "extensions",
      "stateDir",
      "compat",
      "executors",
      "status",
      "writer",
      "writers",
    ])
    expect(json.required).toEqual(["executors"])
    expect(json.properties.compat.description).toStartWith("Which pollect's metric names sources give where they differ")
    expect(json.properties.compat.default).toBe("1.0")
    const executor = json.properties.executors.items.properties
    expect(Object.keys(executor)).toEqual(["collection", "tickTime", "threads", "sources", "writer", "writers"])
    const writerTypes = (json.properties.writers.items.anyOf as { properties: { type: { const: string } } }[]).map(
      (w) => w.properties.type.const,
    )
    expect(writerTypes).toEqual([...registry.writers.keys()].sort((a, b) => a.localeCompare(b)))
    expect(json.properties.writer.anyOf).toHaveLength(2)
  })

  it("validates like validateConfig: a good config passes, an unknown type or a bad option does not", () => {
    const schema = fullConfigSchema(registry)
    expect(v.safeParse(schema, { writer: { type: "DryRun" }, executors: [{ sources: [{ type: "LoadAvg", name: "x" }] }] }).success).toBe(
      true,
    )
    expect(v.safeParse(schema, { executors: [{ sources: [{ type: "Nope" }] }] }).success).toBe(false)
    expect(v.safeParse(schema, { executors: [{ sources: [{ type: "LoadAvg", name: 5 }] }] }).success).toBe(false)
    expect(v.safeParse(schema, { writers: [{ type: "Prometheus", port: "x" }], executors: [] }).success).toBe(false)
  })
})

describe("describeIssue: whose words", () => {
  const first = (schema: v.GenericSchema, input: unknown) => {
    const result = v.safeParse(schema, input)
    if (result.success) throw new Error("valid")
    return describeIssue(result.issues[0], schema)
  }

  it("a validation's own words when they do not start with `Invalid`; a type's own message gives way to `expected`", () => {
    expect(first(v.object({ a: v.pipe(v.string(), v.minLength(2, "Too short. Invalid input")) }), { a: "x" })).toBe(
      "a: Too short. Invalid input",
    )
    expect(first(v.object({ a: v.string("a string, please") }), { a: 1 })).toBe("a: expected string")
  })
})

describe("plugins whose options are no plain object", () => {
  it("a union of objects validates, and no key is called unknown", () => {
    class EitherSource extends Source {
      static override readonly options = v.union([v.looseObject({ a: v.number() }), v.looseObject({ b: v.string() })])
      override probe() {
        return 1
      }
    }
    const own = builtinRegistry().addSources({ Either: EitherSource as unknown as SourceClass })
    const result = validateConfig({ writer: { type: "DryRun" }, executors: [{ sources: [{ type: "Either", b: "x", name: "n" }] }] }, own)
    expect("problems" in result ? result.problems : result.warnings).toEqual([])
  })
})

describe("a structurally broken config: entries without a string type are the structure's problem only", () => {
  it("writers that are null or have no type, a writer without a type", () => {
    expect(problems({ tickTime: "x", writers: [null, {}], executors: [{ sources: [load], writer: {} }] })).toEqual([
      "tickTime: expected number",
      // The union's alternatives: an object with a "type" key, or a list.
      'executors[0].writer: expected "type" or array',
      "writers[0]: expected object",
      "writers[1].type: expected string",
    ])
  })
})
