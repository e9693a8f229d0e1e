/** The generated tables of every plugin README and of docs/plugins.md match the code (`npm run docs` rewrites them). */
import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { builtinPlugins, metricRows, pluginIndex, regenerated } from "../scripts/plugin-docs.ts"
import { defineMetrics } from "../src/api.ts"

const ROOT = join(import.meta.dir, "..")

describe("generated docs", () => {
  for (const doc of builtinPlugins()) {
    it(`${relative(ROOT, doc.readme)} is fresh (npm run docs)`, () => {
      const text = readFileSync(doc.readme, "utf8")
      expect(regenerated(doc, text)).toBe(text)
    })
  }

  it("docs/plugins.md is fresh (npm run docs)", () => {
    const file = join(ROOT, "docs/plugins.md")
    const text = readFileSync(file, "utf8")
    expect(pluginIndex(builtinPlugins(), text)).toBe(text)
  })

  it("names in the tables are computed by core/naming, placeholders kept", () => {
    const specs = defineMetrics({
      bytes: { values: ["total_bytes_sent"], labels: ["interface"], kind: "counter", unit: "bytes", help: "Sent" },
      snmp: { values: ["<metric>"], labels: ["<label>"], help: "An OID's value" },
    })
    const [bytes, snmp] = metricRows(specs, { type: "Interface", collection: "pollect" })
    expect(bytes).toMatchObject({
      graphite: "pollect.interface.total_bytes_sent.<interface>",
      pollect: "pollect_Interface_total_bytes_sent{interface}",
    })
    expect(bytes!.snakeCase).toBe("pollect_interface_sent_bytes_total{interface}")
    expect(snmp).toMatchObject({ graphite: "pollect.interface.<metric>.<label>", pollect: "pollect_Interface_<metric>{<label>}" })
  })
})
