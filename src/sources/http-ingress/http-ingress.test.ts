import { describe, expect, it } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { promLabels, promName, toValueSets } from "../../api.ts"
import { redact, secretsSnapshot } from "../../core/log.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { HttpIngressSource } from "./index.ts"
import { MAX_UPDATES, parseJsonBody } from "./json-body.ts"
import { options } from "./options.ts"
import { SeriesStore } from "./series-store.ts"
import { MAX_LINE, parseSample, parseTextBody, parseValue } from "./text-body.ts"
import { checkedUpdate, MAX_LABEL_VALUE, type MetricDefinition, PushError } from "./update.ts"

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

/** `status reason: message` of the PushError `fn` throws. */
function refusal(fn: () => unknown): string {
  const error = pushError(fn)
  return `${error.status} ${error.reason}: ${error.message}`
}

describe("HttpIngress JSON bodies: more of the checks", () => {
  it("each kind of problem has its reason (the key of its one log line)", () => {
    const cases: [string, string][] = [
      ["{", "malformed JSON"],
      ["null", "malformed JSON"],
      ['{"metrics":null}', "malformed JSON"],
      ['{"metrics":{"temp":null}}', "malformed JSON"],
      ['{"metrics":{"temp":{"value":1,"labels":null}}}', "malformed JSON"],
      ['{"metrics":{"temp":{"value":null}}}', "bad value"],
      ['{"metrics":{"temp":{"value":1,"labels":{"room":{}}}}}', "bad label"],
      ['{"metrics":{"nope":{"value":1}}}', "undeclared metric"],
      ['{"metrics":{"temp":{"value":1,"labels":{"room":"k","x":"y"}}}}', "undeclared label"],
      ['{"metrics":{"temp":{"value":1}}}', "missing label"],
      [`{"metrics":{"temp":{"value":1,"labels":{"room":"${"x".repeat(1025)}"}}}}`, "label too long"],
      ['{"metrics":{"hits":{"value":-1,"labels":{"host":"a","path":"/"}}}}', "bad value"],
    ]
    for (const [body, reason] of cases)
      expect([body.slice(0, 50), pushError(() => parseJsonBody(body, defs)).reason]).toEqual([body.slice(0, 50), reason])
  })

  it("names null, an array and a boolean label value as such", () => {
    expect(refusal(() => parseJsonBody("null", defs))).toStartWith(
      '400 malformed JSON: the body must be an object with an object "metrics"',
    )
    expect(refusal(() => parseJsonBody('{"metrics":{"temp":null}}', defs))).toBe(
      '400 malformed JSON: metrics.temp: expected an object {"value": ..., "labels": {...}}',
    )
    expect(refusal(() => parseJsonBody('{"metrics":{"temp":{"value":[1],"labels":{"room":"k"}}}}', defs))).toBe(
      "400 bad value: metrics.temp.value: expected a number, got an array",
    )
    expect(refusal(() => parseJsonBody('{"metrics":{"temp":{"value":1,"labels":{"room":[]}}}}', defs))).toBe(
      "400 bad label: metrics.temp.labels.room: expected a string, got an array",
    )
    expect(parseJsonBody('{"metrics":{"temp":{"value":false,"labels":{"room":true}}}}', defs)).toEqual([
      { metric: "temp", labelValues: ["true"], value: 0 },
    ])
  })

  it(`at most ${MAX_UPDATES} series in one push`, () => {
    const push = (n: number) => JSON.stringify({ metrics: { up: Array.from({ length: n }, () => ({ value: 1 })) } })
    expect(parseJsonBody(push(MAX_UPDATES), defs)).toHaveLength(MAX_UPDATES)
    expect(refusal(() => parseJsonBody(push(MAX_UPDATES + 1), defs))).toBe(
      `413 too many updates: more than ${MAX_UPDATES} series in one push`,
    )
  })
})

describe("HttpIngress text bodies: more of the format", () => {
  it("CRLF is stripped before columns are counted; blank and indented comment lines are skipped", () => {
    expect(refusal(() => parseTextBody('temp{room="a"} 1 17\r\n', defs))).toBe(
      "400 malformed text: line 1, column 18: timestamps are not accepted (as a pushgateway refuses them)",
    )
    expect(parseTextBody('   \n\t\n  # a comment\r\ntemp{room="a"} 1\r\n', defs)).toEqual([
      { metric: "temp", labelValues: ["a"], value: 1 },
    ])
  })

  it("tabs separate like spaces: around labels and before the value", () => {
    expect(parseSample('temp\t{\troom\t=\t"a"\t}\t2', "line 1")).toEqual({ metric: "temp", labels: new Map([["room", "a"]]), value: 2 })
    expect(parseSample("up\t3", "line 1").value).toBe(3)
  })

  it("names the column of the last field of a line with a timestamp and more", () => {
    expect(refusal(() => parseSample("up 1 2 333", "line 4"))).toBe(
      "400 malformed text: line 4, column 8: timestamps are not accepted (as a pushgateway refuses them)",
    )
  })

  it("more problems, with their columns", () => {
    expect(refusal(() => parseSample('temp{room"a"} 1', "line 1"))).toBe(
      "400 malformed text: line 1, column 10: expected = after label room",
    )
    expect(refusal(() => parseSample('temp{room="a\\', "line 1"))).toBe(
      "400 malformed text: line 1, column 13: unknown escape \\ in the value of label room",
    )
    expect(refusal(() => parseSample(`up ${"9x".repeat(30)}`, "line 1"))).toBe(
      `400 malformed text: line 1, column 4: ${JSON.stringify("9x".repeat(20))} is not a number`,
    )
  })

  it("a line of exactly MAX_LINE characters is taken, one more is refused", () => {
    expect(refusal(() => parseTextBody(`# ${"x".repeat(MAX_LINE - 1)}`, defs))).toBe(
      `400 line too long: line 1: longer than ${MAX_LINE} characters`,
    )
    expect(parseTextBody(`# ${"x".repeat(MAX_LINE - 2)}`, defs)).toEqual([])
  })

  it(`at most ${MAX_UPDATES} series in one push`, () => {
    expect(parseTextBody("up 1\n".repeat(MAX_UPDATES), defs)).toHaveLength(MAX_UPDATES)
    expect(refusal(() => parseTextBody("up 1\n".repeat(MAX_UPDATES + 1), defs))).toBe(
      `413 too many updates: more than ${MAX_UPDATES} series in one push`,
    )
  })

  it("values: exponents with a sign or several digits, Inf without its sign", () => {
    expect(["1e+3", "1e-3", "2E10", ".25", "Inf", "+Inf"].map(parseValue)).toEqual([1000, 0.001, 2e10, 0.25, Infinity, Infinity])
  })
})

describe("HttpIngress declared metrics and labels", () => {
  const one = new Map<string, MetricDefinition>([
    ["bare", { type: "gauge", labels: [] }],
    ["c", { type: "counter", labels: ["a", "b"] }],
  ])
  const labels = (entries: [string, string][]) => new Map(entries)

  it("an undeclared name is cut to 200 characters in the message", () => {
    const long = "m".repeat(300)
    expect(refusal(() => checkedUpdate(one, long, labels([]), 1, "line 1"))).toBe(
      `400 undeclared metric: line 1: metric ${JSON.stringify(long).slice(0, 200)} is not declared (declared: "bare", "c")`,
    )
    expect(refusal(() => checkedUpdate(one, "bare", labels([[long, "x"]]), 1, "line 1"))).toBe(
      `400 undeclared label: line 1: label ${JSON.stringify(long).slice(0, 200)} is not declared for bare (declared: none)`,
    )
    expect(refusal(() => checkedUpdate(one, "c", labels([["z", "x"]]), 1, "line 1"))).toBe(
      '400 undeclared label: line 1: label "z" is not declared for c (declared: a, b)',
    )
    expect(refusal(() => checkedUpdate(one, "c", labels([["a", "x"]]), 1, "line 1"))).toBe(
      '400 missing label: line 1: label "b" is missing',
    )
  })

  it(`a label value of ${MAX_LABEL_VALUE} characters is taken, one more is refused`, () => {
    const at = "v".repeat(MAX_LABEL_VALUE)
    expect(
      checkedUpdate(
        one,
        "c",
        labels([
          ["b", "y"],
          ["a", at],
        ]),
        1,
        "w",
      ).labelValues,
    ).toEqual([at, "y"])
    expect(
      refusal(() =>
        checkedUpdate(
          one,
          "c",
          labels([
            ["a", `${at}v`],
            ["b", "y"],
          ]),
          1,
          "w",
        ),
      ),
    ).toBe(`400 label too long: w: label "a" is longer than ${MAX_LABEL_VALUE} characters`)
  })

  it("a counter takes 0 but not NaN or a negative value; a gauge takes both", () => {
    const ab = labels([
      ["a", "1"],
      ["b", "2"],
    ])
    expect(checkedUpdate(one, "c", ab, 0, "w").value).toBe(0)
    expect(refusal(() => checkedUpdate(one, "c", ab, Number.NaN, "w"))).toBe("400 bad value: w: a counter cannot be incremented by NaN")
    expect(refusal(() => checkedUpdate(one, "c", ab, -2, "w"))).toBe("400 bad value: w: a counter only goes up; -2 is negative")
    expect(checkedUpdate(one, "bare", labels([]), -2, "w").value).toBe(-2)
    expect(checkedUpdate(one, "bare", labels([]), Number.NaN, "w").value).toBeNaN()
  })
})

describe("HttpIngress series store: more", () => {
  it("too many series has its reason; an undeclared metric lists nothing", () => {
    const store = new SeriesStore(defs, 1)
    expect(
      pushError(() =>
        store.apply([
          { metric: "up", labelValues: [], value: 1 },
          { metric: "temp", labelValues: ["a"], value: 1 },
          { metric: "temp", labelValues: ["b"], value: 1 },
        ]),
      ).reason,
    ).toBe("too many series")
    expect(store.list("nope")).toEqual([])
  })
})

describe("HttpIngress options", () => {
  const parse = (config: Record<string, unknown>) => v.safeParse(options, { port: 0, metrics: { x: {} }, ...config })
  const problem = (config: Record<string, unknown>) => {
    const result = parse(config)
    return result.success ? "accepted" : result.issues.map((issue) => issue.message).join("; ")
  }

  it("metrics: at least one, at most 1000, labels named once", () => {
    expect(problem({ metrics: {} })).toBe("declare at least one metric")
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`m${i}`, {}]))
    expect(problem({ metrics: many(1000) })).toBe("accepted")
    expect(problem({ metrics: many(1001) })).toBe("at most 1000 metrics")
    expect(problem({ metrics: { x: { labels: ["a", "b", "a"] } } })).toBe("a label is named twice")
    expect(problem({ metrics: { x: { labels: ["a", "b"] } } })).toBe("accepted")
  })

  it("token: no white space anywhere in it", () => {
    for (const token of ["a b", " ab", "ab ", "ab\t"]) expect([token, problem({ token })]).toEqual([token, "must not contain white space"])
    expect(problem({ token: "s3cret-token" })).toBe("accepted")
  })
})

describe("HttpIngress source", () => {
  const config = { type: "HttpIngress", host: "127.0.0.1", port: 0 }

  it("the kind of each set: counter or gauge, for one metric and for several", async () => {
    const kinds = async (metrics: Record<string, unknown>) => {
      const source = makeSource<HttpIngressSource>(HttpIngressSource, { ...config, metrics })
      try {
        return source.probe().map((set) => [set.kind, set.values.length])
      } finally {
        await source.close()
      }
    }
    expect(await kinds({ c: { type: "counter" } })).toEqual([["counter", 0]])
    expect(await kinds({ g: {} })).toEqual([["gauge", 0]])
    expect(await kinds({ c: { type: "counter" }, g: { type: "gauge" } })).toEqual([
      ["counter", 0],
      ["gauge", 0],
    ])
  })

  it("listens on the first probe, logs where, logs each kind of refusal once; closed, it refuses to probe", async () => {
    const lines: string[] = []
    const source = makeSource<HttpIngressSource>(HttpIngressSource, { ...config, metrics: { x: {} } }, { log: lines })
    expect(source.port).toBeUndefined()
    source.probe()
    const port = source.port!
    expect(port).toBeGreaterThan(0)
    const url = `http://127.0.0.1:${port}/`
    try {
      for (const body of ["nope 1", "nope 2", "x 1 2", "y 1"]) await fetch(url, { method: "POST", body })
      await fetch(url, { method: "POST", body: "x 5" })
      expect(source.probe()[0]!.values.map((value) => value.value)).toEqual([5])
    } finally {
      await source.close()
    }
    expect(lines.map((line) => line.replace(/^.*\[HttpIngress\] /, ""))).toEqual([
      `taking pushes on http://127.0.0.1:${port}/`,
      'refused a push (400): line 1: metric "nope" is not declared (declared: "x") (further refusals of this kind are not logged)',
      "refused a push (400): line 1, column 5: timestamps are not accepted (as a pushgateway refuses them) (further refusals of this kind are not logged)",
    ])
    expect(source.port).toBeUndefined()
    expect(() => source.probe()).toThrow("the source is closed")
    expect(() => source.listen()).toThrow("the source is closed")
  })

  it("without host it listens on every address and says so", async () => {
    const lines: string[] = []
    const source = makeSource<HttpIngressSource>(HttpIngressSource, { type: "HttpIngress", port: 0, metrics: { x: {} } }, { log: lines })
    try {
      source.probe()
      expect(lines.at(-1)).toEndWith(`taking pushes on http://*:${source.port}/`)
    } finally {
      await source.close()
    }
  })

  it("close() ends a push still sending its body, and frees the port", async () => {
    const source = makeSource<HttpIngressSource>(HttpIngressSource, { ...config, metrics: { x: {} } })
    source.probe()
    const port = source.port!
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("# still sending\n"))
      },
    })
    const pending = fetch(`http://127.0.0.1:${port}/`, { method: "POST", body }).catch(() => "failed")
    await Bun.sleep(50)
    const closed = await Promise.race([source.close().then(() => "closed"), Bun.sleep(5000).then(() => "still open")])
    expect(closed).toBe("closed")
    await pending
    const again = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } })
    again.stop(true)
  })

  it("the token is masked in every log line", () => {
    const restore = secretsSnapshot()
    try {
      makeSource(HttpIngressSource, { ...config, metrics: { x: {} }, token: "ingress-t0k3n" })
      expect(redact("Bearer ingress-t0k3n")).toBe("Bearer ***")
    } finally {
      restore()
    }
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    const doc = { kind: "sources" as const, type: "HttpIngress", aliases: [], cls: HttpIngressSource, dir: import.meta.dir, readme }
    expect(regenerated(doc, text)).toBe(text)
  })
})
