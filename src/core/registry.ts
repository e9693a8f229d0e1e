import { Source, Writer, type OptionsSchema, type SourceClass, type WriterClass } from "./plugin.ts"

/**
 * What the registry knows of a plugin: its `type` at once, its option schema when a config names
 * it (validation, `pollect check` and `pollect schema` need no more), its class when it runs.
 * Built-ins are listed with
 * `lazyPlugin(() => require("./load-avg/options.ts").options, () => require("./load-avg/index.ts").LoadAvgSource)`,
 * so a config that uses LoadAvg and Prometheus evaluates the options and implementations of those
 * two (and their npm dependencies) and of no other; the compiled binary still holds every plugin.
 * Evaluating every plugin's options at start cost a daemon about 8 MB (bench/RESULTS.md, "Footprint").
 */
export interface PluginEntry<C extends SourceClass | WriterClass> {
  /** The option schema: evaluates the plugin's options.ts on first use. */
  readonly options: OptionsSchema
  /** The class: evaluates the implementation on first use, the same class every time after. */
  readonly cls: C
}

/**
 * A built-in's entry: each loader runs once, on the first read of `options` or `cls`.
 *
 * @example
 * LoadAvg: lazyPlugin(
 *   () => require("./load-avg/options.ts").options,
 *   () => require("./load-avg/index.ts").LoadAvgSource,
 * )
 */
export function lazyPlugin<C extends SourceClass | WriterClass>(loadOptions: () => OptionsSchema, load: () => C): PluginEntry<C> {
  let options: OptionsSchema | undefined
  let cls: C | undefined
  return {
    get options() {
      options ??= loadOptions()
      return options
    },
    get cls() {
      cls ??= load()
      return cls
    },
  }
}

/** The entry of a class already loaded (an extension, a test's plugin). */
export function loadedPlugin<C extends SourceClass | WriterClass>(cls: C): PluginEntry<C> {
  return { options: cls.options, cls }
}

const isEntry = <C extends SourceClass | WriterClass>(x: C | PluginEntry<C>): x is PluginEntry<C> => typeof x !== "function"

/**
 * Which config `type` names which plugin. Built-ins are added from the explicit lists in
 * sources/index.ts and writers/index.ts (a compiled binary cannot scan its folders);
 * extensions are added when loaded.
 */
export class Registry {
  readonly sources = new Map<string, PluginEntry<SourceClass>>()
  readonly writers = new Map<string, PluginEntry<WriterClass>>()

  addSources(plugins: Record<string, SourceClass | PluginEntry<SourceClass>>): this {
    for (const [type, plugin] of Object.entries(plugins)) {
      if (!isEntry(plugin) && !(plugin.prototype instanceof Source)) throw new TypeError(`${type}Source does not extend Source`)
      this.sources.set(type, isEntry(plugin) ? plugin : loadedPlugin(plugin))
    }
    return this
  }

  addWriters(plugins: Record<string, WriterClass | PluginEntry<WriterClass>>): this {
    for (const [type, plugin] of Object.entries(plugins)) {
      if (!isEntry(plugin) && !(plugin.prototype instanceof Writer)) throw new TypeError(`${type}Writer does not extend Writer`)
      this.writers.set(type, isEntry(plugin) ? plugin : loadedPlugin(plugin))
    }
    return this
  }

  /** The class of source `type` (loading it), or undefined. */
  source(type: string): SourceClass | undefined {
    return this.sources.get(type)?.cls
  }

  writer(type: string): WriterClass | undefined {
    return this.writers.get(type)?.cls
  }

  sourceTypes(): string[] {
    return [...this.sources.keys()].sort()
  }

  writerTypes(): string[] {
    return [...this.writers.keys()].sort()
  }
}
