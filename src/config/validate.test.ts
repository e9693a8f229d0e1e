import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { ConfigError } from "./errors.ts"
import { loadConfigFile, resolveConfig } from "./index.ts"
import { builtinRegistry } from "../registry.ts"

const fixtures = join(import.meta.dir, "../../test/fixtures/configs")

/** The problems a config is rejected with, or [] when it is accepted. */
async function problemsOf(raw: unknown, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await resolveConfig(raw, builtinRegistry(), { env })
    return []
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
}

const exec = (sources: unknown[], extra: Record<string, unknown> = {}) => ({ executors: [{ collection: "pollect", sources, ...extra }] })

describe("broken configs: every problem, by path", () => {
  const known = builtinRegistry().sourceTypes().join(", ")
  const corpus: [string, unknown, string[]][] = [
    ["not an object", [1, 2], ["(top level): expected object"]],
    ["no executors", { tickTime: 10 }, ["executors: expected array"]],
    ["executors not a list", { executors: {} }, ["executors: expected array"]],
    ["source without type", exec([{ name: "x" }]), ["executors[0].sources[0].type: expected string"]],
    ["Http without url", exec([{ type: "Http" }]), ["executors[0].sources[0] (Http): url: expected (string | array)"]],
    ["Http url of wrong type", exec([{ type: "Http", url: 42 }]), ["executors[0].sources[0] (Http): url: expected string or array"]],
    [
      "unknown type lists the known ones",
      exec([{ type: "LoadAvg" }, { type: "Nope" }]),
      [`executors[0].sources[1]: unknown source type "Nope" (known: ${known})`],
    ],
    ["negative tickTime", { tickTime: -1, executors: [] }, ["tickTime: expected >0"]],
    ["zero source timeout", exec([{ type: "LoadAvg", timeout: 0 }]), ["executors[0].sources[0] (LoadAvg): timeout: expected >0"]],
    [
      "labels must be strings",
      exec([{ type: "LoadAvg", labels: { site: 1 } }]),
      ["executors[0].sources[0] (LoadAvg): labels.site: expected string"],
    ],
    ["threads must be a whole number", { threads: 1.5, executors: [] }, ["threads: expected integer"]],
    [
      "unknown writer",
      { writer: { type: "Carbon" }, executors: [] },
      ['writer: unknown writer type "Carbon" (known: ' + builtinRegistry().writerTypes().join(", ") + ")"],
    ],
    [
      "writer as a list: each entry by index",
      { writer: [{ type: "DryRun" }, { type: "Carbon" }], executors: [] },
      ['writer[1]: unknown writer type "Carbon" (known: ' + builtinRegistry().writerTypes().join(", ") + ")"],
    ],
    ["writer neither an object nor a list", { writer: "Graphite", executors: [] }, ["writer: expected object or array"]],
    [
      "TcpTime port out of range",
      exec([{ type: "TcpTime", host: "localhost", port: 70000 }]),
      ["executors[0].sources[0] (TcpTime): port: expected <=65535"],
    ],
    [
      "all problems of all executors at once",
      {
        executors: [
          { collection: "a", sources: [{ type: "Http" }, { type: "TcpTime", host: 1 }] },
          { collection: "b", sources: [{ type: "Http", url: "http://x", name: 5 }] },
        ],
      },
      [
        "executors[0].sources[0] (Http): url: expected (string | array)",
        "executors[0].sources[1] (TcpTime): host: expected string",
        "executors[0].sources[1] (TcpTime): port: expected number",
        "executors[1].sources[0] (Http): name: expected string",
      ],
    ],
  ]
  for (const [name, raw, expected] of corpus) {
    it(name, async () => {
      expect(await problemsOf(raw)).toEqual(expected)
    })
  }

  it("an unset environment variable is named, with where it is used", async () => {
    const raw = exec([{ type: "Http", url: "http://${HOST}:${PORT}/" }])
    expect(await problemsOf(raw, { HOST: "localhost" })).toEqual(["executors[0].sources[0].url: environment variable PORT is not set"])
  })

  it("never echoes a value back (it may be a secret)", async () => {
    const problems = await problemsOf(exec([{ type: "TcpTime", host: "s3cr3t-value", port: "s3cr3t-port" }]))
    expect(problems.join("\n")).not.toContain("s3cr3t")
  })
})

describe("configs that load", () => {
  it("the seed README's example, verbatim with tabs", async () => {
    const config = await loadConfigFile(join(fixtures, "seed-readme.json"), builtinRegistry())
    expect(config.tickTime).toBe(30)
    expect(config.executors.map((e) => [e.collection, e.tickTime, e.sources.map((s) => s.type)])).toEqual([
      ["pollect", 30, ["LoadAvg"]],
      ["slowerMetrics", 120, ["Http"]],
    ])
    expect(config.executors[0]!.writers[0]!.type).toBe("Graphite")
    // One writer config, shared by both executors.
    expect(config.executors[0]!.writers[0]!.key).toBe(config.executors[1]!.writers[0]!.key)
  })

  it("YAML with ${VAR} and static labels", async () => {
    const config = await loadConfigFile(join(fixtures, "local.yaml"), builtinRegistry(), {
      env: { POLLECT_TEST_URL: "http://127.0.0.1:1/" },
    })
    const http = config.executors[0]!.sources[1]!
    expect(http.config).toMatchObject({ type: "Http", name: "local", url: "http://127.0.0.1:1/", labels: { site: "lab" } })
    expect(config.threads).toBe(5)
  })

  it("defaults: tickTime 10, threads 5, collection pollect, executor tickTime 0 means the global one", async () => {
    const config = await resolveConfig({ executors: [{ tickTime: 0, sources: [{ type: "LoadAvg" }] }] }, builtinRegistry())
    expect(config.tickTime).toBe(10)
    expect(config.executors[0]).toMatchObject({ collection: "pollect", tickTime: 10, threads: 5 })
  })

  it("$$ is a literal dollar", async () => {
    const config = await resolveConfig(exec([{ type: "Http", url: "http://localhost/$${X}" }]), builtinRegistry(), { env: {} })
    expect(config.executors[0]!.sources[0]!.config.url).toBe("http://localhost/${X}")
  })

  it("unknown keys are warnings, not errors (old configs keep working)", async () => {
    const config = await resolveConfig(exec([{ type: "LoadAvg", colour: "red" }]), builtinRegistry())
    expect(config.warnings).toContain('executors[0].sources[0] (LoadAvg): unknown key "colour" is ignored')
  })

  it("writer as a list: every entry, in order, with writers added after", async () => {
    const config = await resolveConfig(
      { writer: [{ type: "DryRun" }, { type: "Prometheus", port: 0 }], writers: [{ type: "Graphite" }], ...exec([{ type: "LoadAvg" }]) },
      builtinRegistry(),
    )
    expect(config.executors[0]!.writers.map((w) => `${w.path} ${w.type}`)).toEqual([
      "writer[0] DryRun",
      "writer[1] Prometheus",
      "writers[0] Graphite",
    ])
  })

  it("a source tickTime shorter than its executor's is warned about; one equal to it, or longer, is not", async () => {
    const shorter = "tickTime 9.5 s is shorter than the executor's 10 s; it is probed every 10 s"
    const config = await resolveConfig(
      exec(
        [
          { type: "LoadAvg", tickTime: 9.5 },
          { type: "LoadAvg", tickTime: 10 },
          { type: "LoadAvg", tickTime: 20 },
        ],
        { tickTime: 10 },
      ),
      builtinRegistry(),
    )
    expect(config.warnings.filter((w) => w.includes("tickTime"))).toEqual([`executors[0].sources[0] (LoadAvg): ${shorter}`])
  })

  it("a source's tickTime is kept for the scheduler", async () => {
    const config = await resolveConfig(exec([{ type: "LoadAvg", tickTime: 60 }]), builtinRegistry())
    expect(config.executors[0]!.sources[0]!.config.tickTime).toBe(60)
  })
})

describe("config files that cannot be read", () => {
  const read = async (file: string) => {
    try {
      await loadConfigFile(file, builtinRegistry())
    } catch (error) {
      return (error as ConfigError).describe()
    }
    return "loaded"
  }

  it("missing file", async () => {
    expect(await read("/nonexistent/pollect.json")).toBe(
      "invalid config in /nonexistent/pollect.json (1 problem):\n  - cannot read config: file not found",
    )
  })

  it("broken JSON says where", async () => {
    const file = join(import.meta.dir, "../../test/fixtures/configs/.broken.json")
    await Bun.write(file, '{\n  "executors": [\n    { "sources": [ { "type": "LoadAvg" } ]\n    "x": 1\n  ]\n}\n')
    try {
      expect(await read(file)).toContain('not valid JSON at line 4, column 5: unexpected "\\"", expected , or }')
    } finally {
      await Bun.file(file).delete()
    }
  })

  it("broken YAML says so", async () => {
    const file = join(import.meta.dir, "../../test/fixtures/configs/.broken.yaml")
    await Bun.write(file, "executors:\n  - sources: [a, b\n  - x: ]\n")
    try {
      expect(await read(file)).toContain("not valid YAML")
    } finally {
      await Bun.file(file).delete()
    }
  })
})

describe("the status key", () => {
  it("is off when absent, and takes its defaults when given empty", async () => {
    const off = await resolveConfig(exec([{ type: "LoadAvg" }]), builtinRegistry(), { env: {} })
    expect(off.status).toBeUndefined()
    const on = await resolveConfig({ status: {}, ...exec([{ type: "LoadAvg" }]) }, builtinRegistry(), { env: {} })
    expect(on.status).toEqual({ port: 9465, host: "127.0.0.1", historySeries: 2000 })
  })

  it("reports each of its problems by path, in the schema's own words where it has them", async () => {
    const problems = await problemsOf({
      status: { port: "x", historySeries: -1, basicAuth: { user: "a", passwordHash: "plain-text" } },
      ...exec([{ type: "LoadAvg" }]),
    })
    expect(problems).toContain("status.port: expected number")
    expect(problems).toContain("status.historySeries: expected >=0")
    expect(problems).toContain("status.basicAuth.passwordHash: must be a bcrypt hash ($2y$10$...), e.g. from htpasswd -nBC 10 user")
    expect(problems.join("\n")).not.toContain("plain-text")
  })
})
