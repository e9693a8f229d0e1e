/**
 * `promtool check metrics` (Debian package prometheus) on what the exporter serves: pollect's own
 * metrics and the process metrics find no remark in either naming mode, and the original's
 * camelCase names are flagged (why `names: "snake_case"` exists). Each source's snake_case
 * output is checked by the source conformance suite (test/conformance/source.ts), on the values
 * its golden cases give.
 */
import { afterAll, describe, expect } from "bun:test"
import { SelfMetrics } from "../../core/self-metrics.ts"
import { ValueSet } from "../../core/value-set.ts"
import { PrometheusWriter } from "./index.ts"
import { makeWriter, resultOf } from "../../../test/helpers/context.ts"
import { promtoolCheck } from "../../../test/helpers/prom-exposition.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"

const writers: PrometheusWriter[] = []
afterAll(async () => {
  await Promise.all(writers.map((w) => w.stop()))
})

async function exporter(names: "pollect" | "snake_case", processMetrics = false) {
  const selfMetrics = new SelfMetrics()
  const writer = makeWriter<PrometheusWriter>(
    PrometheusWriter,
    { type: "Prometheus", port: 0, host: "127.0.0.1", names, processMetrics },
    selfMetrics,
  )
  await writer.start()
  writers.push(writer)
  return { writer, selfMetrics }
}

async function scrape(writer: PrometheusWriter): Promise<string> {
  return (await fetch(`${writer.url}/metrics`)).text()
}

describe("promtool check metrics", () => {
  for (const names of ["pollect", "snake_case"] as const) {
    itWithTools(["promtool"], `finds no problem in pollect's own and the process metrics (names: ${names})`, async () => {
      const { writer, selfMetrics } = await exporter(names, true)
      selfMetrics.observeProbe("pollect", "Http.local", 0.25, false)
      selfMetrics.tickSkipped("pollect")
      selfMetrics.count("pollect_points_dropped_total", { writer: "Graphite" }, 3)
      // A bad request, so that the exporter's own counter of them is served too.
      expect((await fetch(`${writer.url}/nope`)).status).toBe(404)
      const text = await scrape(writer)
      expect(text).toContain("process_resident_memory_bytes ")
      expect(text).toContain("pollect_points_dropped_total{")
      expect(text).toContain('pollect_http_requests_failed_total{reason="not_found"} 1\n')
      const verdict = await promtoolCheck(text)
      expect(verdict.output).toBe("")
      expect(verdict.code).toBe(0)
    })
  }

  itWithTools(["promtool"], "flags the original's camelCase names (why snake_case exists)", async () => {
    const { writer } = await exporter("pollect")
    writer.write([resultOf(new ValueSet(["time"]).add(1, ["mid"]), { type: "LoadAvg" })])
    const verdict = await promtoolCheck(await scrape(writer))
    expect(verdict.output).toContain("pollect_LoadAvg metric names should be written in 'snake_case' not 'camelCase'")
  })
})
