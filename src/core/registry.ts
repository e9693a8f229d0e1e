import { Source, Writer, type SourceClass, type WriterClass } from "./plugin.ts"

/**
 * Which config `type` names which class. Built-ins are added from the explicit lists in
 * sources/index.ts and writers/index.ts (a compiled binary cannot scan its folders);
 * extensions are added when loaded.
 */
export class Registry {
  readonly sources = new Map<string, SourceClass>()
  readonly writers = new Map<string, WriterClass>()

  addSources(classes: Record<string, SourceClass>): this {
    for (const [type, cls] of Object.entries(classes)) {
      if (!(cls.prototype instanceof Source)) throw new TypeError(`${type}Source does not extend Source`)
      this.sources.set(type, cls)
    }
    return this
  }

  addWriters(classes: Record<string, WriterClass>): this {
    for (const [type, cls] of Object.entries(classes)) {
      if (!(cls.prototype instanceof Writer)) throw new TypeError(`${type}Writer does not extend Writer`)
      this.writers.set(type, cls)
    }
    return this
  }

  sourceTypes(): string[] {
    return [...this.sources.keys()].sort()
  }

  writerTypes(): string[] {
    return [...this.writers.keys()].sort()
  }
}
