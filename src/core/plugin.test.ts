/** core/plugin.ts: what a source or writer gets for free from its base class. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { Source, Writer } from "./plugin.ts"
import { createSourceContext } from "./source-context.ts"
import { silentLogger } from "./log.ts"
import { writerContext } from "../../test/helpers/context.ts"

class PlainWriter extends Writer {
  override write() {}
}

class PlainSource extends Source {
  override probe() {
    return 1
  }
}

describe("Writer", () => {
  it("is a batch writer (the merged tick) unless it says partial; start() and stop() do nothing", async () => {
    const ctx = writerContext()
    const writer = new PlainWriter({ type: "Plain" }, ctx)
    expect(writer.partial).toBe(false)
    expect([writer.config, writer.ctx]).toEqual([{ type: "Plain" }, ctx])
    expect(await writer.start()).toBeUndefined()
    expect(await writer.stop()).toBeUndefined()
    expect(v.parse(PlainWriter.options, { any: 1 })).toEqual({})
  })
})

describe("Source", () => {
  it("keeps its config and ctx; close() does nothing; no own options or metrics", async () => {
    const { ctx } = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
    const source = new PlainSource({ type: "Plain", name: "p" }, ctx)
    expect(source.config).toEqual({ type: "Plain", name: "p" })
    expect(source.ctx).toBe(ctx)
    expect(await source.close()).toBeUndefined()
    expect(PlainSource.metrics).toEqual({})
    expect(v.parse(PlainSource.options, { any: 1 })).toEqual({})
  })
})
