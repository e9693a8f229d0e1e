/**
 * What extensions see as `import { Source, ValueSet, v } from "pollect"`: the same API the
 * built-in sources and writers use. `v` is valibot, so an extension can declare its options
 * without a node_modules of its own (a compiled binary has none).
 */
export { Source, Writer } from "./core/plugin.ts"
export type { CommonSourceOptions, SourceContext, WriterContext, OptionsSchema, SourceClass, WriterClass } from "./core/plugin.ts"
export { ValueSet, toValueSets } from "./core/value-set.ts"
export type { Value, ValueKind, ProbeResult } from "./core/value-set.ts"
export type { SourceResult } from "./core/source-result.ts"
export { graphitePath, promName, promLabels, snakeCase } from "./core/naming.ts"
export type { PromNameScheme } from "./core/naming.ts"
export { RateTracker, counterDelta } from "./core/rate.ts"
export type { Logger } from "./core/log.ts"
export * as v from "valibot"
