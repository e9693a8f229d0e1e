/** The top-level `compat` key: validated, defaulted, and handed to every source as `ctx.compat`. */
import { describe, expect, it } from "bun:test"
import { Agent } from "../src/agent.ts"
import { resolveConfig } from "../src/config/index.ts"
import { ConfigError } from "../src/config/errors.ts"
import { silentLogger } from "../src/core/log.ts"
import { Source, type SourceContext } from "../src/core/plugin.ts"
import { builtinRegistry } from "../src/registry.ts"
import { makeSource } from "./helpers/context.ts"

class CompatSource extends Source {
  static seen: SourceContext["compat"][] = []
  constructor(config: { type: string }, ctx: SourceContext) {
    super(config, ctx)
    CompatSource.seen.push(ctx.compat)
  }
  probe() {
    return 1
  }
}

const registry = () => builtinRegistry().addSources({ Compat: CompatSource })
const config = (extra: Record<string, unknown>) =>
  resolveConfig({ ...extra, writer: { type: "DryRun" }, executors: [{ sources: [{ type: "Compat" }] }] }, registry())

describe('top-level "compat"', () => {
  it('defaults to "1.0"; "1.2" reaches every source as ctx.compat', async () => {
    expect((await config({})).compat).toBe("1.0")
    CompatSource.seen = []
    new Agent(await config({}), { log: silentLogger })
    new Agent(await config({ compat: "1.2" }), { log: silentLogger })
    expect(CompatSource.seen).toEqual(["1.0", "1.2"])
  })

  it("a wrong value is a problem with its path", async () => {
    for (const compat of ["1.1", 1.2]) {
      const error = await config({ compat }).catch((e) => e)
      expect(error).toBeInstanceOf(ConfigError)
      expect(error.problems).toEqual(['compat: expected ("1.0" | "1.2")'])
    }
  })

  it("a reload that changes compat builds the sources again", async () => {
    CompatSource.seen = []
    const agent = new Agent(await config({}), { log: silentLogger })
    await agent.reload(await config({ compat: "1.2" }))
    expect(CompatSource.seen).toEqual(["1.0", "1.2"])
    await agent.stop()
  })

  it('makeSource: "1.0" unless told', () => {
    expect(makeSource<Source>(CompatSource, { type: "Compat" }).ctx.compat).toBe("1.0")
    expect(makeSource<Source>(CompatSource, { type: "Compat" }, { compat: "1.2" }).ctx.compat).toBe("1.2")
  })
})
