/** core/registry.ts: which config `type` names which plugin; built-ins load on first use. */
import { describe, expect, it } from "bun:test"
import * as v from "valibot"
import { lazyPlugin, loadedPlugin, Registry } from "./registry.ts"
import { Source, Writer, type SourceClass, type WriterClass } from "./plugin.ts"

class OneSource extends Source {
  static override readonly options = v.object({ path: v.string() })
  override probe() {
    return 1
  }
}

class TwoSource extends Source {
  override probe() {
    return 2
  }
}

class OneWriter extends Writer {
  static override readonly options = v.object({ host: v.string() })
  override write() {}
}

class NotAPlugin {
  static readonly options = v.object({})
}

describe("lazyPlugin", () => {
  it("loads the options only on the first read of options, the class on the first read of cls, each once", () => {
    let optionLoads = 0
    let loads = 0
    const options = v.object({ x: v.number() })
    const entry = lazyPlugin<SourceClass>(
      () => (optionLoads++, options),
      () => (loads++, OneSource),
    )
    expect(optionLoads).toBe(0)
    expect(entry.options).toBe(options)
    expect(entry.options).toBe(options)
    expect(optionLoads).toBe(1)
    expect(loads).toBe(0)
    expect(entry.cls).toBe(OneSource)
    expect(entry.cls).toBe(OneSource)
    expect(loads).toBe(1)
    expect(optionLoads).toBe(1)
  })
})

describe("loadedPlugin", () => {
  it("takes the class's own options", () => {
    const entry = loadedPlugin<SourceClass>(OneSource)
    expect(entry.cls).toBe(OneSource)
    expect(entry.options).toBe(OneSource.options)
  })
})

describe("Registry", () => {
  it("maps types to source and writer classes, classes and lazy entries alike", () => {
    let loads = 0
    const registry = new Registry()
      .addSources({
        One: OneSource,
        Two: lazyPlugin<SourceClass>(
          () => TwoSource.options,
          () => (loads++, TwoSource),
        ),
      })
      .addWriters({
        Out: OneWriter,
        Lazy: lazyPlugin<WriterClass>(
          () => OneWriter.options,
          () => OneWriter,
        ),
      })
    expect(registry.sources.get("One")!.options).toBe(OneSource.options)
    expect(loads).toBe(0)
    expect(registry.source("One")).toBe(OneSource)
    expect(registry.source("Two")).toBe(TwoSource)
    expect(loads).toBe(1)
    expect(registry.writer("Out")).toBe(OneWriter)
    expect(registry.writer("Lazy")).toBe(OneWriter)
    expect(registry.source("Out")).toBeUndefined()
    expect(registry.writer("One")).toBeUndefined()
  })

  it("lists its types sorted", () => {
    const registry = new Registry()
      .addSources({ Zeta: OneSource, Alpha: TwoSource, Mid: OneSource })
      .addWriters({ Prometheus: OneWriter, Graphite: OneWriter, Mqtt: OneWriter })
    expect(registry.sourceTypes()).toEqual(["Alpha", "Mid", "Zeta"])
    expect(registry.writerTypes()).toEqual(["Graphite", "Mqtt", "Prometheus"])
  })

  it("a later entry of a type replaces the earlier one", () => {
    const registry = new Registry().addSources({ One: OneSource }).addSources({ One: TwoSource })
    expect(registry.source("One")).toBe(TwoSource)
    expect(registry.sourceTypes()).toEqual(["One"])
  })

  it("refuses a class that does not extend Source or Writer, naming it", () => {
    const registry = new Registry()
    expect(() => registry.addSources({ Foo: NotAPlugin as unknown as SourceClass })).toThrow(
      new TypeError("FooSource does not extend Source"),
    )
    expect(() => registry.addWriters({ Bar: NotAPlugin as unknown as WriterClass })).toThrow(
      new TypeError("BarWriter does not extend Writer"),
    )
    expect(() => registry.addSources({ Out: OneWriter as unknown as SourceClass })).toThrow("OutSource does not extend Source")
    expect(() => registry.addWriters({ One: OneSource as unknown as WriterClass })).toThrow("OneWriter does not extend Writer")
    expect(registry.sourceTypes()).toEqual([])
    expect(registry.writerTypes()).toEqual([])
  })
})
