/**
 * `npm run docs`: regenerates the Options and Metrics tables of every plugin README and the
 * plugin index (docs/plugins.md). `--check` writes nothing and exits 1 when a file is stale.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { builtinPlugins, pluginIndex, regenerated } from "./plugin-docs.ts"

const check = process.argv.includes("--check")
const ROOT = join(import.meta.dir, "..")
let stale = 0
let broken = 0
const update = (file: string, next: string) => {
  if (readFileSync(file, "utf8") === next) return
  stale++
  if (check) console.error(`stale: ${relative(ROOT, file)}`)
  else writeFileSync(file, next)
}
const plugins = builtinPlugins()
for (const doc of plugins) {
  try {
    update(doc.readme, regenerated(doc, readFileSync(doc.readme, "utf8")))
  } catch (error) {
    broken++
    process.exitCode = 1
    console.error(`${relative(ROOT, doc.readme)}: ${(error as Error).message}`)
  }
}
update(join(ROOT, "docs/plugins.md"), pluginIndex(plugins, readFileSync(join(ROOT, "docs/plugins.md"), "utf8")))
console.log(`${stale} file(s) ${check ? "stale" : "rewritten"}${broken ? `, ${broken} README(s) without the generated-table markers` : ""}`)
if (check && stale) process.exit(1)
