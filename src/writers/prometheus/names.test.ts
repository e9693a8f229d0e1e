/**
 * The default names equal the original's: the config the Python pollect was recorded with
 * (testdata/README.md) runs through the real agent, and every series of the
 * recording is served with the same name, labels and type.
 */
import { afterAll, expect, it } from "bun:test"
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Agent } from "../../agent.ts"
import { silentLogger } from "../../core/log.ts"
import { load } from "../../run.ts"
import type { PrometheusWriter } from "./index.ts"
import { tempDir } from "../../../test/helpers/context.ts"

const FIXTURE = join(import.meta.dir, "testdata/python-pollect-metrics.txt")

/** `name{labels}` and `name type` of every pollect_* series in an exposition text (values left out). */
function seriesShapes(text: string): { series: string[]; types: string[] } {
  const lines = text.split("\n")
  const series = lines.filter((l) => /^pollect_/.test(l)).map((l) => l.replace(/ \S+$/, ""))
  const types = lines.filter((l) => l.startsWith("# TYPE pollect_")).map((l) => l.slice("# TYPE ".length))
  return { series: series.sort(), types: types.sort() }
}

const target = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") })
afterAll(() => target.stop(true))

it("serves the original pollect's names for LoadAvg, Http and TcpTime", async () => {
  const dir = tempDir()
  const file = join(dir, "config.json")
  writeFileSync(
    file,
    JSON.stringify({
      tickTime: 1,
      writer: { type: "Prometheus", port: 0, host: "127.0.0.1" },
      executors: [
        {
          collection: "pollect",
          sources: [
            { type: "LoadAvg" },
            { type: "Http", name: "local", url: `http://127.0.0.1:${target.port}/` },
            { type: "TcpTime", name: "tcp", host: "127.0.0.1", port: target.port },
          ],
        },
      ],
    }),
  )
  const agent = new Agent(await load(file, silentLogger), { log: silentLogger })
  await agent.startWriters()
  try {
    expect(await agent.runOnce()).toBe(true)
    const writer = agent.writers[0] as PrometheusWriter
    const ours = seriesShapes(await (await fetch(`${writer.url}/metrics`)).text())
    const original = seriesShapes(readFileSync(FIXTURE, "utf8"))
    expect(original.series).toEqual([
      "pollect_Http_local",
      'pollect_LoadAvg{time="long"}',
      'pollect_LoadAvg{time="mid"}',
      'pollect_LoadAvg{time="short"}',
      "pollect_TcpTime_tcp",
    ])
    // Everything the original served, served the same; the port's additions come beside them.
    const selfMetrics = /^pollect_(probe_|ticks_skipped|build_info)/
    const additions = /^pollect_Http_local_(status|ok)\b/
    expect(ours.series.filter((s) => !selfMetrics.test(s) && !additions.test(s))).toEqual(original.series)
    expect(ours.types.filter((t) => !selfMetrics.test(t) && !additions.test(t))).toEqual(original.types)
  } finally {
    await agent.stop()
  }
})

it("two executors with the same Prometheus writer config share one exporter and both collections are served", async () => {
  const dir = tempDir()
  const file = join(dir, "config.json")
  const writer = { type: "Prometheus", port: 0, host: "127.0.0.1", names: "snake_case" }
  writeFileSync(
    file,
    JSON.stringify({
      tickTime: 1,
      executors: [
        { collection: "fast", writer, sources: [{ type: "LoadAvg" }] },
        {
          collection: "slow",
          tickTime: 2,
          writers: [{ ...writer }],
          sources: [{ type: "TcpTime", name: "local", host: "127.0.0.1", port: target.port }],
        },
      ],
    }),
  )
  const agent = new Agent(await load(file, silentLogger), { log: silentLogger })
  await agent.startWriters()
  try {
    expect(agent.writers).toHaveLength(1)
    expect(await agent.runOnce()).toBe(true)
    const text = await (await fetch(`${(agent.writers[0] as PrometheusWriter).url}/metrics`)).text()
    expect(text).toMatch(/^fast_load_avg\{time="mid"\} /m)
    expect(text).toMatch(/^slow_tcp_time_local_seconds \d/m)
  } finally {
    await agent.stop()
  }
})
