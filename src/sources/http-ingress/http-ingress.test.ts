import { describe, expect, it } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { promLabels, promName, toValueSets } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { HttpIngressSource } from "./index.ts"
import { parseJsonBody } from "./json-body.ts"
import { SeriesStore } from "./series-store.ts"
import { MAX_LINE, parseTextBody, parseValue } from "./text-body.ts"
import { type MetricDefinition, PushError } from "./update.ts"

const failingConfig = { type: "HttpIngress", host: "127.0.0.1", port: 0, metrics: { x: {} } }

sourceConformance({
  type: "HttpIngress",
  cls: HttpIngressSource,
  dir: import.meta.dir,
  // A probe before any push, then one after each push of pushes/.
  golden: async (testCase) => {
    const port = freePort()
    const source = makeSource<HttpIngressSource>(HttpIngressSource, { ...testCase.config, host: "127.0.0.1", port })
    try {
      const probes = [source.probe()]
      for (const file of readdirSync(join(testCase.dir, "pushes")).sort()) {
        const body = readFileSync(join(testCase.dir, "pushes", file))
        const type = file.endsWith(".json") ? "application/json" : "text/plain; version=0.0.4"
        const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "Content-Type": type }, body })
        expect({ file, status: response.status }).toEqual({ file, status: 200 })
        probes.push(source.probe())
      }
      return probes
    } finally {
      await source.close()
    }
  },
  failing: {
    config: failingConfig,
    // Something else holds the port: the probe says so (makeSource reads the config after setup).
    setup: () => {
      const holder = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
      failingConfig.port = holder.port
      return () => holder.stop(true)
    },
    message: /port \d+ on 127\.0\.0\.1 is already in use/,
  },
})

const defs = new Map<string, MetricDefinition>([
  ["temp", { type: "gauge", labels: ["room"] }],
  ["hits", { type: "counter", labels: ["host", "path"] }],
  ["up", { type: "gauge", labels: [] }],
])

function pushError(fn: () => unknown): PushError {
  try {
    fn()
  } catch (error) {
    if (error instanceof PushError) return error
    throw error
  }
  throw new Error("expected a PushError")
}

describe("HttpIngress JSON bodies", () => {
  it("reads 1.2's shape, a list per metric, and orders labels as declared", () => {
    expect(parseJsonBody('{"metrics":{"temp":{"value":21.5,"labels":{"room":"k"}}}}', defs)).toEqual([
      { metric: "temp", labelValues: ["k"], value: 21.5 },
    ])
    const body =
      '{"metrics":{"hits":[{"value":1,"labels":{"path":"/","host":"a"}},{"value":true,"labels":{"host":"b","path":3}}],"up":{"value":1}}}'
    expect(parseJsonBody(body, defs)).toEqual([
      { metric: "hits", labelValues: ["a", "/"], value: 1 },
      { metric: "hits", labelValues: ["b", "3"], value: 1 },
      { metric: "up", labelValues: [], value: 1 },
    ])
  })

  it("names the exact problem", () => {
    const cases: [string, string][] = [
      ["{", "the body is not JSON: "],
      ["[]", 'the body must be an object with an object "metrics"'],
      ['{"metrics":[]}', 'the body must be an object with an object "metrics"'],
      ['{"metrics":{"nope":{"value":1}}}', 'metrics.nope: metric "nope" is not declared (declared: "temp", "hits", "up")'],
      [
        '{"metrics":{"temp":{"value":1,"labels":{"room":"k","x":"y"}}}}',
        'metrics.temp: label "x" is not declared for temp (declared: room)',
      ],
      ['{"metrics":{"temp":{"value":1}}}', 'metrics.temp: label "room" is missing'],
      ['{"metrics":{"temp":{"labels":{"room":"k"}}}}', "metrics.temp.value: expected a number, got nothing"],
      ['{"metrics":{"temp":{"value":"1","labels":{"room":"k"}}}}', "metrics.temp.value: expected a number, got string"],
      ['{"metrics":{"temp":{"value":1,"labels":{"room":null}}}}', "metrics.temp.labels.room: expected a string, got null"],
      ['{"metrics":{"temp":{"value":1,"labels":["room"]}}}', "metrics.temp.labels: expected an object of label values"],
      ['{"metrics":{"temp":5}}', 'metrics.temp: expected an object {"value": ..., "labels": {...}}'],
      ['{"metrics":{"hits":[{"value":-1,"labels":{"host":"a","path":"/"}}]}}', "metrics.hits[0]: a counter only goes up; -1 is negative"],
    ]
    for (const [body, message] of cases) {
      const error = pushError(() => parseJsonBody(body, defs))
      expect({ body, status: error.status, message: error.message.slice(0, message.length) }).toEqual({ body, status: 400, message })
    }
    const long = JSON.stringify({ metrics: { temp: { value: 1, labels: { room: "x".repeat(1025) } } } })
    expect(pushError(() => parseJsonBody(long, defs)).message).toBe('metrics.temp: label "room" is longer than 1024 characters')
  })
})

describe("HttpIngress text bodies", () => {
  it("reads samples with escapes, comments, CRLF, spaces and special values", () => {
    const text = [
      "# HELP temp x",
      "# TYPE temp gauge",
      "",
      'temp{room="a \\"b\\" \\\\ c\\nd"} 1.5e1\r',
      '  hits { path = "/x" , host="h", } +3',
      "up NaN",
      'temp{room="inf"} +Inf',
    ].join("\n")
    const updates = parseTextBody(text, defs)
    expect(updates.map((u) => [u.metric, u.labelValues, u.value])).toEqual([
      ["temp", ['a "b" \\ c\nd'], 15],
      ["hits", ["h", "/x"], 3],
      ["up", [], Number.NaN],
      ["temp", ["inf"], Number.POSITIVE_INFINITY],
    ])
  })

  it("names the line, the column and the problem", () => {
    const cases: [string, string][] = [
      ['temp{room="a"}', "line 1, column 15: expected a space and the value"],
      ['\ntemp{room="a"} 1 1700000000000', "line 2, column 18: timestamps are not accepted"],
      ['temp{room="a} 1', 'line 1, column 16: the value of label room is not closed with "'],
      ["temp{room=a} 1", 'line 1, column 11: expected " to open the value of label room'],
      ['temp{room="a\\t"} 1', "line 1, column 13: unknown escape \\t in the value of label room"],
      ['temp{room="a",room="b"} 1', "line 1, column 22: label room given twice"],
      ['temp{room="a" x="b"} 1', "line 1, column 15: expected , or } after a label value"],
      ['temp{1="a"} 1', "line 1, column 6: expected a label name or }"],
      ["9temp 1", "line 1, column 1: expected a metric name"],
      ['temp{room="a"} one', 'line 1, column 16: "one" is not a number'],
      ['temp{room="a"} 0x10', 'line 1, column 16: "0x10" is not a number'],
      ["nope 1", 'line 1: metric "nope" is not declared'],
      ['temp{room="a",floor="1"} 1', 'line 1: label "floor" is not declared for temp'],
      ["temp 1", 'line 1: label "room" is missing'],
      [`temp{room="${"x".repeat(MAX_LINE)}"} 1`, `line 1: longer than ${MAX_LINE} characters`],
    ]
    for (const [text, message] of cases) {
      const error = pushError(() => parseTextBody(text, defs))
      expect({ text: text.slice(0, 40), status: error.status, message: error.message.slice(0, message.length) }).toEqual({
        text: text.slice(0, 40),
        status: 400,
        message,
      })
    }
  })

  it("parses values as Prometheus writes them, nothing else", () => {
    expect([parseValue("1"), parseValue("-2.5"), parseValue(".5"), parseValue("1e3"), parseValue("-Inf")]).toEqual([
      1,
      -2.5,
      0.5,
      1000,
      -Infinity,
    ])
    for (const bad of ["", "1,5", "1e", "Infinity", "nan", "1_000", "--1"]) expect(parseValue(bad)).toBeUndefined()
  })
})

describe("HttpIngress series store", () => {
  it("counters add, gauges set, per label set", () => {
    const store = new SeriesStore(defs, 10)
    store.apply([
      { metric: "hits", labelValues: ["a", "/"], value: 2 },
      { metric: "hits", labelValues: ["b", "/"], value: 1 },
      { metric: "temp", labelValues: ["k"], value: 20 },
    ])
    store.apply([
      { metric: "hits", labelValues: ["a", "/"], value: 3 },
      { metric: "temp", labelValues: ["k"], value: 18 },
    ])
    expect(store.list("hits")).toEqual([
      { labelValues: ["a", "/"], value: 5 },
      { labelValues: ["b", "/"], value: 1 },
    ])
    expect(store.list("temp")).toEqual([{ labelValues: ["k"], value: 18 }])
  })

  it("refuses a push that would exceed maxSeries, and applies none of it", () => {
    const store = new SeriesStore(defs, 2)
    store.apply([{ metric: "temp", labelValues: ["a"], value: 1 }])
    const error = pushError(() =>
      store.apply([
        { metric: "temp", labelValues: ["a"], value: 5 },
        { metric: "temp", labelValues: ["b"], value: 1 },
        { metric: "temp", labelValues: ["c"], value: 1 },
      ]),
    )
    expect([error.status, error.message]).toEqual([400, "metric temp would have 3 series, more than maxSeries (2); nothing was updated"])
    expect(store.list("temp")).toEqual([{ labelValues: ["a"], value: 1 }])
    // Updating existing series is always fine.
    store.apply([{ metric: "temp", labelValues: ["b"], value: 1 }])
    store.apply([{ metric: "temp", labelValues: ["a"], value: 9 }])
    expect(store.list("temp").map((s) => s.value)).toEqual([9, 1])
  })
})

describe("HttpIngress side by side with pollect 1.2", () => {
  it("gives the names and labels 1.2 served for the README's single-metric source", async () => {
    const recorded = readFileSync(join(import.meta.dir, "testdata/python-1.2/metrics.txt"), "utf8")
    const config = JSON.parse(readFileSync(join(import.meta.dir, "testdata/python-1.2/pollect.json"), "utf8")).executors[0].sources[0]
    const port = freePort()
    const source = makeSource<HttpIngressSource>(HttpIngressSource, { ...config, host: "127.0.0.1", port })
    try {
      source.probe()
      // 1.2 kept only the last push's series (host b); this port keeps both: compare b.
      for (const body of [
        '{"metrics":{"sample_metric":{"value":124,"labels":{"host":"a"}}}}',
        '{"metrics":{"sample_metric":{"value":1,"labels":{"host":"b"}}}}',
      ])
        await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "Content-Type": "application/json" }, body })
      const result = resultOf(toValueSets(source.probe()), { type: "HttpIngress", name: "Ingress" })
      const lines = result.sets.flatMap((set) =>
        set.values.map((value) => {
          const labels = Object.entries(promLabels(result, set, value)).map(([k, v]) => `${k}="${v}"`)
          return `${promName(result, set, value, "pollect")}{${labels.join(",")}}`
        }),
      )
      expect(lines).toEqual(['pollect_HttpIngress_Ingress{host="a"}', 'pollect_HttpIngress_Ingress{host="b"}'])
      expect(recorded).toContain('pollect_HttpIngress_Ingress{host="b"} ')
    } finally {
      await source.close()
    }
  })
})
