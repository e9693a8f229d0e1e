// Types of stryker.config.mjs for scripts/mutate.ts (tsc does not read .mjs files here).
import type { PartialStrykerOptions } from "@stryker-mutator/api/core"

/** The `mutate` patterns (includes, then `!` excludes). */
export declare const mutatePatterns: string[]
declare const config: PartialStrykerOptions & { tempDirName: string }
export default config
