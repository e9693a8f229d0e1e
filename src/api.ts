/**
 * The public API: what extensions import as `import { Source, ValueSet, v } from "pollect"`,
 * and the only door through which the built-in plugins reach pollect (test/architecture.test.ts
 * fails when a plugin imports core/ directly). `v` is valibot, so an extension can declare its
 * options without a node_modules of its own (a compiled binary has none).
 *
 * @example
 * import { defineMetrics, Source, ValueSet, v } from "pollect"
 *
 * const metrics = defineMetrics({ temperature: { labels: ["room"], unit: "celsius", help: "Room temperature" } })
 *
 * export class RoomsSource extends Source<{ url: string }> {
 *   static override readonly options = v.object({ url: v.pipe(v.string(), v.description("Where the thermostat answers")) })
 *   static override readonly metrics = metrics
 *   override async probe() {
 *     const rooms: Record<string, number> = await (await this.ctx.fetch(this.config.url)).json()
 *     const set = new ValueSet(metrics.temperature)
 *     for (const [room, celsius] of Object.entries(rooms)) set.add(celsius, [room])
 *     return set
 *   }
 * }
 */
import pkg from "../package.json" with { type: "json" }

/** pollect's version, as `pollect --version` prints it. */
export const version: string = pkg.version

// The plugin contract
export { Source, Writer } from "./core/plugin.ts"
export type {
  CommonSourceOptions,
  SourceContext,
  WriterContext,
  WriterStatus,
  OptionsSchema,
  SourceClass,
  WriterClass,
} from "./core/plugin.ts"
export { ValueSet, toValueSets } from "./core/value-set.ts"
export type { Value, ValueKind, ValueSetMeta, ProbeResult } from "./core/value-set.ts"
export { defineMetrics } from "./core/metrics.ts"
export type { MetricSpec, MetricSpecs } from "./core/metrics.ts"
export type { SourceResult } from "./core/source-result.ts"
export { describeSource, resultTimeMs } from "./core/source-result.ts"
export type { SpawnOptions, SpawnResult } from "./core/spawn.ts"

// Naming (writers)
export { graphitePath, graphitePaths, promName, promLabels, promLabelName, promSafe, promScaler, snakeCase } from "./core/naming.ts"
export type { PromNameScheme } from "./core/naming.ts"

// Helpers a plugin needs
export { RateTracker, counterDelta } from "./core/rate.ts"
export type { CounterWidth, RateOptions } from "./core/rate.ts"
export { errorMessage } from "./core/log.ts"
/** Masks a value (a header token a writer got from the environment) in every log line from now on. */
export { registerSecret } from "./core/log.ts"
export type { Logger } from "./core/log.ts"
/** Text to stdout without Node's stream machinery (what DryRun prints with); EPIPE ends the process with 0. */
export { writeStdout } from "./core/stdio.ts"
export { FailureLatch } from "./core/failure-latch.ts"
export type { FailureLatchWording } from "./core/failure-latch.ts"
export { mapConcurrent } from "./core/concurrency.ts"
export type { ProbeStat, SelfMetrics, SelfMetricsSnapshot } from "./core/self-metrics.ts"

// Option helpers shared by several plugins
export { nameFilter, nameFilterFields, nameMatcher, namePattern } from "./lib/options/name-filter.ts"
export type { NameFilterOptions, NameMatcher } from "./lib/options/name-filter.ts"
export { compileUserRegex, regexProblem, regexString } from "./lib/options/user-regex.ts"
export type { RegexAnchor, UserRegex } from "./lib/options/user-regex.ts"
export { optionWarning, optionWarnings } from "./lib/options/option-warning.ts"
export type { OptionWarning } from "./lib/options/option-warning.ts"
export { counterBitsField, kernelCounterBits } from "./lib/options/counter-bits.ts"

export * as v from "valibot"
