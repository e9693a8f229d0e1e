/**
 * Plugins load on demand (issue 18): a config evaluates the options and implementations of the
 * plugins it uses and of no other, nor other plugins' npm dependencies; `pollect schema` evaluates
 * every plugin's options and no implementation; the registry itself evaluates neither. Each case
 * runs in a fresh process and reads what it required (Bun lists required modules in require.cache).
 */
import { describe, expect, it } from "bun:test"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"

const ROOT = join(import.meta.dir, "..")
const HEAVY = ["net-snmp", "systeminformation", "fast-xml-parser", "jose", "mqtt", "prom-client", "re2js"]

/** The plugin folders whose implementation (index.ts) or options.ts, and the heavy npm packages, a script's process evaluated. */
function loadedBy(script: string): { plugins: string[]; packages: string[]; options: string[] } {
  const code = `${script}
const keys = Object.keys(require.cache)
const folders = (file) => [...new Set(keys.map((k) => new RegExp("src/(?:sources|writers)/([^/]+)/" + file + "$").exec(k)?.[1]).filter(Boolean))].sort()
const plugins = folders("index\\\\.ts")
const options = folders("options\\\\.ts")
const packages = ${JSON.stringify(HEAVY)}.filter((p) => keys.some((k) => k.includes("/node_modules/" + p + "/")))
console.log(JSON.stringify({ plugins, packages, options }))`
  const child = Bun.spawnSync([process.execPath, "-e", code], { cwd: ROOT, stderr: "pipe" })
  if (child.exitCode !== 0) throw new Error(child.stderr.toString())
  return JSON.parse(child.stdout.toString().trim().split("\n").at(-1) as string)
}

const imports = `import { resolveConfig } from "./src/config/index.ts"
import { builtinRegistry } from "./src/registry.ts"
import { fullConfigSchema } from "./src/config/schema.ts"`

describe("plugins load on demand", () => {
  it("the registry alone evaluates no plugin, not even its options", () => {
    expect(loadedBy(`${imports}\nbuiltinRegistry()`)).toEqual({ plugins: [], packages: [], options: [] })
  })

  it("a config of LoadAvg and Prometheus evaluates those two and prom-client, nothing else", () => {
    const config = { executors: [{ sources: [{ type: "LoadAvg" }], writer: { type: "Prometheus", port: 0 } }] }
    expect(loadedBy(`${imports}\nawait resolveConfig(${JSON.stringify(config)}, builtinRegistry(), { env: {} })`)).toEqual({
      plugins: ["load-avg", "prometheus"],
      packages: ["prom-client"],
      options: ["load-avg", "prometheus"],
    })
  })

  it("SnmpGet brings net-snmp; Plex brings fast-xml-parser; nothing brings the others", () => {
    const config = {
      executors: [
        {
          sources: [
            { type: "SnmpGet", host: "127.0.0.1", metrics: [{ name: "x", oids: ["1.3.6.1.2.1.1.3.0"] }] },
            { type: "Plex", url: "http://127.0.0.1:1", token: "t0ken" },
          ],
        },
      ],
    }
    const loaded = loadedBy(`${imports}\nawait resolveConfig(${JSON.stringify(config)}, builtinRegistry(), { env: {} })`)
    expect(loaded.plugins).toEqual(["plex", "snmp-get"])
    expect(loaded.options).toEqual(["plex", "snmp-get"])
    expect(loaded.packages).toContain("net-snmp")
    expect(loaded.packages).toContain("fast-xml-parser")
    expect(loaded.packages).not.toContain("systeminformation")
    expect(loaded.packages).not.toContain("mqtt")
  })

  it("the JSON Schema evaluates every plugin's options and no implementation", () => {
    const folders = ["sources", "writers"].flatMap((kind) =>
      readdirSync(join(ROOT, "src", kind)).filter((name) => existsSync(join(ROOT, "src", kind, name, "options.ts"))),
    )
    expect(folders.length).toBeGreaterThan(30)
    expect(loadedBy(`${imports}\nfullConfigSchema(builtinRegistry())`)).toEqual({ plugins: [], packages: [], options: folders.sort() })
  })
})
