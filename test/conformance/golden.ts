/**
 * Golden cases: `testdata/<case>/` holds `config.json` (the source's config entry), the recorded
 * inputs the plugin's test replays (tool output, server replies, a /proc tree) and
 * `expected.txt`, the values those inputs must give, one `graphite.path value` line each, per
 * probe. `UPDATE_GOLDEN=1 npm test` rewrites the expectations when a change is intended.
 *
 * A `"compat"` key in config.json is the config's top-level `compat` (`"1.2"`: pollect 1.2's
 * names), not an option of the source: it is taken out of `config` into `compat`, which the
 * plugin's golden function passes to makeSource (`makeSource(cls, testCase.config, { compat: testCase.compat })`).
 */
import { expect } from "bun:test"
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { SourceResult } from "../../src/api.ts"
import { graphitePaths } from "../../src/api.ts"

export interface GoldenCase {
  name: string
  /** The case's folder: the recorded inputs are read from here. */
  dir: string
  /** config.json: the source's config entry (`type` and its options). */
  config: Record<string, unknown>
  /** config.json's `"compat"` (the config's top-level key, see above); default "1.0". */
  compat: "1.0" | "1.2"
  /** Compares the results with expected.txt (or writes it under UPDATE_GOLDEN=1). */
  compare(results: SourceResult[]): void
}

/** `# probe 1` then `path value` per value, for each probe. */
export function goldenText(results: SourceResult[]): string {
  const lines: string[] = []
  results.forEach((result, i) => {
    lines.push(`# probe ${i + 1}`)
    const path = graphitePaths(result)
    for (const set of result.sets) for (const value of set.values) lines.push(`${path(value)} ${value.value}`)
  })
  return lines.join("\n") + "\n"
}

/** The golden cases under `root` (default `<pluginDir>/testdata`), by name. */
export function goldenCases(pluginDir: string, root = join(pluginDir, "testdata")): GoldenCase[] {
  if (!existsSync(root)) return []
  return readdirSync(root)
    .filter((name) => statSync(join(root, name)).isDirectory() && existsSync(join(root, name, "config.json")))
    .sort()
    .map((name) => {
      const dir = join(root, name)
      const expectedFile = join(dir, "expected.txt")
      const { compat = "1.0", ...config } = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>
      if (compat !== "1.0" && compat !== "1.2") throw new Error(`${dir}/config.json: compat must be "1.0" or "1.2"`)
      return {
        name,
        dir,
        config,
        compat,
        compare(results) {
          const actual = goldenText(results)
          if (process.env.UPDATE_GOLDEN === "1") writeFileSync(expectedFile, actual)
          if (!existsSync(expectedFile)) throw new Error(`${expectedFile} is missing: run UPDATE_GOLDEN=1 npm test -- ${pluginDir}`)
          expect(actual).toBe(readFileSync(expectedFile, "utf8"))
        },
      }
    })
}
