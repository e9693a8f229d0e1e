/**
 * Plugins load on demand (issue 18): a config evaluates the implementations it uses and no other,
 * nor their npm dependencies; `pollect schema` and the registry itself evaluate none. Each case
 * runs in a fresh process and reads what it required (Bun lists required modules in require.cache).
 */
import { describe, expect, it } from "bun:test"
import { join } from "node:path"

const ROOT = join(import.meta.dir, "..")
const HEAVY = ["net-snmp", "systeminformation", "fast-xml-parser", "jose", "mqtt", "prom-client", "re2js"]

/** The plugin folders and heavy npm packages a script's process evaluated. */
function loadedBy(script: string): { plugins: string[]; packages: string[] } {
  const code = `${script}
const keys = Object.keys(require.cache)
const plugins = [...new Set(keys.map((k) => /src\\/(?:sources|writers)\\/([^/]+)\\/index\\.ts$/.exec(k)?.[1]).filter(Boolean))].sort()
const packages = ${JSON.stringify(HEAVY)}.filter((p) => keys.some((k) => k.includes("/node_modules/" + p + "/")))
console.log(JSON.stringify({ plugins, packages }))`
  const child = Bun.spawnSync([process.execPath, "-e", code], { cwd: ROOT, stderr: "pipe" })
  if (child.exitCode !== 0) throw new Error(child.stderr.toString())
  return JSON.parse(child.stdout.toString().trim().split("\n").at(-1) as string)
}

const imports = `import { resolveConfig } from "./src/config/index.ts"
import { builtinRegistry } from "./src/registry.ts"
import { fullConfigSchema } from "./src/config/schema.ts"`

describe("plugins load on demand", () => {
  it("the registry alone evaluates no plugin", () => {
    expect(loadedBy(`${imports}\nbuiltinRegistry()`)).toEqual({ plugins: [], packages: [] })
  })

  it("a config of LoadAvg and Prometheus evaluates those two and prom-client, nothing else", () => {
    const config = { executors: [{ sources: [{ type: "LoadAvg" }], writer: { type: "Prometheus", port: 0 } }] }
    expect(loadedBy(`${imports}\nawait resolveConfig(${JSON.stringify(config)}, builtinRegistry(), { env: {} })`)).toEqual({
      plugins: ["load-avg", "prometheus"],
      packages: ["prom-client"],
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
    expect(loaded.packages).toContain("net-snmp")
    expect(loaded.packages).toContain("fast-xml-parser")
    expect(loaded.packages).not.toContain("systeminformation")
    expect(loaded.packages).not.toContain("mqtt")
  })

  it("the JSON Schema of every plugin's options evaluates no implementation", () => {
    expect(loadedBy(`${imports}\nfullConfigSchema(builtinRegistry())`)).toEqual({ plugins: [], packages: [] })
  })
})
