/** SeriesStore on its own (no HTTP): exact exposition text, aging of failing sources, conflicts and their log lines. */
import { describe, expect, it } from "bun:test"
import type { Logger } from "../../core/log.ts"
import type { SourceResult } from "../../core/source-result.ts"
import { ValueSet } from "../../core/value-set.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import { escapeHelp, escapeLabelValue, formatValue, labelText, SeriesStore } from "./series-store.ts"

const T = 1508478781

function store(scheme: "pollect" | "snake_case" = "pollect") {
  const warnings: string[] = []
  const log: Logger = { debug: () => {}, info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m), child: () => log }
  const clock = { now: T * 1000 }
  return { s: new SeriesStore(scheme, log, () => clock.now), warnings, clock }
}

function load(values: Record<string, number>, fields: Partial<SourceResult> = {}): SourceResult {
  const set = new ValueSet(["time"], { help: "Load" })
  for (const [time, value] of Object.entries(values)) set.add(value, [time])
  return resultOf([set], { type: "LoadAvg", ...fields })
}

const failed = (fields: Partial<SourceResult> = {}): SourceResult => ({ ...resultOf([]), error: "boom", ...fields })

describe("SeriesStore: text", () => {
  it("renders HELP, TYPE and the samples of each family, in the order they appeared", () => {
    const { s } = store()
    s.apply(load({ mid: 0.25, short: 0.5 }))
    s.apply(resultOf([new ValueSet([], { kind: "counter" }).add(3)], { id: "two", type: "Cnt", labels: { host: "h" } }))
    expect(s.text()).toBe(
      "# HELP pollect_LoadAvg Load\n# TYPE pollect_LoadAvg gauge\n" +
        'pollect_LoadAvg{time="mid"} 0.25\npollect_LoadAvg{time="short"} 0.5\n' +
        "# HELP pollect_Cnt pollect_Cnt\n# TYPE pollect_Cnt counter\n" +
        'pollect_Cnt{host="h"} 3\n',
    )
    expect(s.size).toBe(3)
  })

  it("escapes HELP (backslash, newline) and label values (backslash, newline, quote)", () => {
    const { s } = store()
    const set = new ValueSet(["path"], { help: "a\\b\nc" }).add(1, ['C:\\x\n"y"'])
    s.apply(resultOf([set], { type: "Disk", labels: { host: 'a"b' } }))
    expect(s.text()).toBe(
      "# HELP pollect_Disk a\\\\b\\nc\n# TYPE pollect_Disk gauge\n" + 'pollect_Disk{path="C:\\\\x\\n\\"y\\"",host="a\\"b"} 1\n',
    )
  })

  it("a set without labels renders the static labels once for all its values; none at all gives a bare name", () => {
    const { s } = store()
    const set = new ValueSet().add(1, [], "a").add(2, [], "b")
    s.apply(resultOf([set], { type: "T", labels: { z: "1", a: "2" } }))
    s.apply(resultOf([new ValueSet().add(5)], { id: "bare", type: "Bare" }))
    expect(
      s
        .text()
        .split("\n")
        .filter((line) => !line.startsWith("#")),
    ).toEqual(['pollect_T_a{z="1",a="2"} 1', 'pollect_T_b{z="1",a="2"} 2', "pollect_Bare 5", ""])
  })

  it("a set label given as a static label too: the static value wins (promLabels' rule), and the label is written once", () => {
    const { s } = store()
    const set = new ValueSet(["time", "host"]).add(1, ["mid", "from-set"]).add(2, ["short", "x"])
    s.apply(resultOf([set], { type: "LoadAvg", labels: { host: "static" } }))
    expect(s.text()).toContain('pollect_LoadAvg{time="mid",host="static"} 1\n')
    expect(s.text()).toContain('pollect_LoadAvg{time="short",host="static"} 2\n')
  })

  it("two set labels with one Prometheus name: written once, the later value wins (promLabels' rule)", () => {
    const { s } = store()
    s.apply(resultOf([new ValueSet(["a.b", "a_b"]).add(1, ["x", "y"])], { type: "T" }))
    expect(s.text()).toContain('pollect_T{a_b="y"} 1\n')
  })

  it("a missing label value is empty; static labels follow the set labels", () => {
    const { s } = store()
    const set = new ValueSet(["a", "b"]).add(2, ["y", "q\\"])
    // A value built by hand (not through add()) may lack label values.
    set.values.unshift({ value: 1, labelValues: ["x"] } as never)
    s.apply(resultOf([set], { type: "T", labels: { c: "k\n", d: "m" } }))
    const lines = s.text().split("\n")
    expect(lines).toContain('pollect_T{a="x",b="",c="k\\n",d="m"} 1')
    expect(lines).toContain('pollect_T{a="y",b="q\\\\",c="k\\n",d="m"} 2')
  })

  it("snake_case names label names and scales values to base units", () => {
    const { s } = store("snake_case")
    const set = new ValueSet(["mountPoint"], { unit: "ms", help: "Time" }).add(1500, ["/"])
    s.apply(resultOf([set], { type: "DiskTime", labels: { myHost: "h" } }))
    const samples = s
      .text()
      .split("\n")
      .filter((line) => line && !line.startsWith("#"))
    expect(samples).toHaveLength(1)
    expect(samples[0]).toMatch(/^pollect_disk_time\w*\{mount_point="\/",my_host="h"\} 1\.5$/)
  })

  it("an empty set adds nothing; an empty result drops what the source served", () => {
    const { s } = store()
    s.apply(resultOf([new ValueSet(["x"])], { type: "Empty" }))
    expect(s.text()).toBe("")
    expect(s.size).toBe(0)
    s.apply(load({ mid: 1 }))
    expect(s.size).toBe(1)
    s.apply(resultOf([]))
    expect(s.text()).toBe("")
    expect(s.size).toBe(0)
  })

  it("version changes exactly when the text does; an unchanged store returns the same text", () => {
    const { s } = store()
    const v0 = s.version
    s.apply(load({ mid: 1 }))
    const first = s.text()
    const v1 = s.version
    expect(v1).not.toBe(v0)
    expect(s.text()).toBe(first)
    expect(s.version).toBe(v1)
    s.apply(load({ mid: 2 }))
    expect(s.text()).toContain("} 2\n")
    expect(s.version).not.toBe(v1)
    const v2 = s.version
    // Another source's change rebuilds the body but keeps the cached text of untouched families.
    s.apply(resultOf([new ValueSet().add(7)], { id: "other", type: "Other" }))
    expect(s.text()).toBe(
      `${first.replace("} 1\n", "} 2\n")}# HELP pollect_Other pollect_Other\n# TYPE pollect_Other gauge\npollect_Other 7\n`,
    )
    expect(s.version).not.toBe(v2)
  })

  it("a source that stops reporting a family loses only that family", () => {
    const { s } = store()
    const two = () => [new ValueSet(["time"]).add(1, ["mid"]), new ValueSet().add(2, [], "other")]
    s.apply(resultOf(two(), { type: "L" }))
    expect(s.text()).toContain("pollect_L_other 2\n")
    s.apply(resultOf([new ValueSet(["time"]).add(3, ["mid"])], { type: "L" }))
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="mid"} 3\n')
    expect(s.size).toBe(1)
  })
})

describe("SeriesStore: failing sources", () => {
  it("an error from a source never seen is ignored", () => {
    const { s, warnings } = store()
    s.apply(failed({ id: "never" }))
    expect(s.text()).toBe("")
    expect(warnings).toEqual([])
  })

  it("keeps the values for exactly twice the timeout, counted from when the failing probe started", () => {
    const { s, warnings, clock } = store()
    s.apply(load({ mid: 1 }, { timeoutSeconds: 10 }))
    // The probe started at T and failed 5 s later; its timeout is now 3 s.
    clock.now = (T + 5) * 1000
    s.apply(failed({ time: T, timeoutSeconds: 3 }))
    clock.now = (T + 6) * 1000
    expect(s.text()).toContain("pollect_LoadAvg")
    // A second failure does not restart the age.
    s.apply(failed({ time: T + 6, timeoutSeconds: 3 }))
    clock.now = (T + 6) * 1000 // exactly 2 × 3 s after T: kept
    expect(s.text()).toContain("pollect_LoadAvg")
    expect(warnings).toEqual([])
    clock.now = (T + 6) * 1000 + 1
    expect(s.text()).toBe("")
    expect(warnings).toEqual([
      "pollect LoadAvg (executors[0].sources[0]): failing for over twice its timeout (2 × 3 s): its series are removed from /metrics until it recovers",
    ])
    // Removed once: later scrapes and failures log nothing more.
    s.text()
    s.apply(failed({ time: T + 20, timeoutSeconds: 3 }))
    expect(warnings).toHaveLength(1)
  })

  it("an error result whose time lies in the future ages from now", () => {
    const { s, clock } = store()
    s.apply(load({ mid: 1 }, { timeoutSeconds: 1 }))
    s.apply(failed({ time: T + 100, timeoutSeconds: 1 }))
    clock.now = T * 1000 + 2000
    expect(s.text()).not.toBe("")
    clock.now = T * 1000 + 2001
    expect(s.text()).toBe("")
  })

  it("the failure removes the series when it lands already too old; a success afterwards serves again and resets the age", () => {
    const { s, clock } = store()
    s.apply(load({ mid: 1 }, { timeoutSeconds: 1 }))
    clock.now = (T + 10) * 1000
    s.apply(failed({ time: T, timeoutSeconds: 1 }))
    expect(s.size).toBe(0)
    s.apply(load({ mid: 2 }, { timeoutSeconds: 1 }))
    expect(s.text()).toContain('pollect_LoadAvg{time="mid"} 2\n')
    clock.now = (T + 11) * 1000
    s.apply(failed({ time: T + 11, timeoutSeconds: 1 }))
    clock.now = (T + 12) * 1000
    expect(s.text()).toContain('pollect_LoadAvg{time="mid"} 2\n')
  })

  it("the timeout of the latest success counts (with a failure after it)", () => {
    const { s, clock } = store()
    s.apply(load({ mid: 1 }, { timeoutSeconds: 1 }))
    s.apply(load({ mid: 1 }, { timeoutSeconds: 100 }))
    s.apply(failed({ time: T, timeoutSeconds: 100 }))
    clock.now = (T + 150) * 1000
    expect(s.size).toBe(1)
    expect(s.text()).not.toBe("")
  })
})

describe("SeriesStore: conflicts", () => {
  it("values of one name with different label names in one probe: the first kind is served, logged once", () => {
    const { s, warnings } = store()
    const a = new ValueSet(["time"]).add(1, ["mid"])
    const b = new ValueSet(["cpu"]).add(2, ["0"])
    const c = new ValueSet([], { kind: "counter" }).add(3)
    s.apply(resultOf([a, b, c], { type: "L" }))
    s.apply(resultOf([a, b, c], { type: "L" }))
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="mid"} 1\n')
    expect(warnings).toEqual([
      "executors[0].sources[0]: values of pollect_L with different label names (time vs cpu) or types; serving the first only",
    ])
  })

  it("values of one name and label names but another type in one probe: the first type is served", () => {
    const { s, warnings } = store()
    s.apply(
      resultOf([new ValueSet(["time"]).add(1, ["mid"]), new ValueSet(["time"], { kind: "counter" }).add(2, ["short"])], { type: "L" }),
    )
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="mid"} 1\n')
    expect(warnings).toEqual([
      "executors[0].sources[0]: values of pollect_L with different label names (time vs time) or types; serving the first only",
    ])
  })

  it("the shape message says none for no labels", () => {
    const { s, warnings } = store()
    s.apply(resultOf([new ValueSet().add(1), new ValueSet(["x"]).add(2, ["y"])], { type: "L" }))
    s.apply(resultOf([new ValueSet(["x"]).add(2, ["y"]), new ValueSet().add(1)], { id: "b", type: "M" }))
    expect(warnings).toEqual([
      "executors[0].sources[0]: values of pollect_L with different label names (none vs x) or types; serving the first only",
      "b: values of pollect_M with different label names (x vs none) or types; serving the first only",
    ])
  })

  it("a series twice in one probe: the first is served, logged once", () => {
    const { s, warnings } = store()
    const set = new ValueSet(["time"]).add(1, ["mid"]).add(2, ["mid"]).add(3, ["short"])
    s.apply(resultOf([set], { type: "L" }))
    s.apply(resultOf([set], { type: "L" }))
    expect(s.text()).toContain('pollect_L{time="mid"} 1\npollect_L{time="short"} 3\n')
    expect(s.size).toBe(2)
    expect(warnings).toEqual(['executors[0].sources[0]: pollect_L{time="mid"} appears twice in one probe; serving the first'])
  })

  it("a reserved name is not served and is logged once; the source's other families are", () => {
    const { s, warnings } = store()
    s.reserved = new Set(["pollect_L"])
    const sets = () => [new ValueSet().add(1), new ValueSet().add(2, [], "ok")]
    s.apply(resultOf(sets(), { type: "L" }))
    s.apply(resultOf(sets(), { type: "L" }))
    expect(s.text()).toBe("# HELP pollect_L_ok pollect_L_ok\n# TYPE pollect_L_ok gauge\npollect_L_ok 2\n")
    expect(warnings).toEqual(["executors[0].sources[0]: pollect_L is one of pollect's own metric names; not served"])
    expect(s.size).toBe(1)
  })

  it("another source with other label names for a family: not served, logged once with both shapes", () => {
    const { s, warnings } = store()
    s.apply(resultOf([new ValueSet(["b", "a"]).add(1, ["1", "2"])], { id: "one", type: "L" }))
    const other = () => resultOf([new ValueSet(["c"], { kind: "counter" }).add(2, ["3"])], { id: "two", type: "L" })
    s.apply(other())
    s.apply(other())
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{b="1",a="2"} 1\n')
    expect(warnings).toEqual([
      "two: pollect_L is already served by another source with labels {a,b} (gauge); these values have {c} (counter) and are not served",
    ])
    expect(s.size).toBe(1)
  })

  it("another source with the same labels but another type: not served", () => {
    const { s, warnings } = store()
    s.apply(resultOf([new ValueSet(["a"]).add(1, ["1"])], { id: "one", type: "L" }))
    s.apply(resultOf([new ValueSet(["a"], { kind: "counter" }).add(2, ["2"])], { id: "two", type: "L" }))
    expect(s.text()).not.toContain('a="2"')
    expect(warnings[0]).toContain("with labels {a} (gauge); these values have {a} (counter)")
  })

  it("a source alone in its family may change the family's labels and type", () => {
    const { s, warnings } = store()
    s.apply(resultOf([new ValueSet(["a"], { help: "first" }).add(1, ["1"])], { type: "L" }))
    s.apply(resultOf([new ValueSet(["b"], { kind: "counter", help: "second" }).add(2, ["2"])], { type: "L" }))
    expect(s.text()).toBe('# HELP pollect_L second\n# TYPE pollect_L counter\npollect_L{b="2"} 2\n')
    expect(warnings).toEqual([])
  })

  it("the same series from two sources: the first keeps it, the other's other series are served; logged once", () => {
    const { s, warnings } = store()
    s.apply(resultOf([new ValueSet(["time"]).add(1, ["mid"])], { id: "one", type: "L" }))
    const two = () => resultOf([new ValueSet(["time"]).add(2, ["mid"]).add(3, ["short"])], { id: "two", type: "L" })
    s.apply(two())
    s.apply(two())
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="mid"} 1\npollect_L{time="short"} 3\n')
    expect(s.size).toBe(2)
    expect(warnings).toEqual(['two: pollect_L{time="mid"} is already served by one; add a label or a name to tell them apart'])
    // When the first source stops serving it, the family stays with the second's series only.
    s.apply(resultOf([], { id: "one" }))
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="short"} 3\n')
  })

  it("a source whose every series is taken serves nothing of that family, and the family goes when the first source leaves", () => {
    const { s } = store()
    s.apply(resultOf([new ValueSet(["time"]).add(1, ["mid"])], { id: "one", type: "L" }))
    s.apply(resultOf([new ValueSet(["time"]).add(2, ["mid"])], { id: "two", type: "L" }))
    expect(s.size).toBe(1)
    s.apply(resultOf([], { id: "one" }))
    expect(s.text()).toBe("")
    // Now the second source gets it.
    s.apply(resultOf([new ValueSet(["time"]).add(2, ["mid"])], { id: "two", type: "L" }))
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="mid"} 2\n')
  })

  it("a source that loses all of a shared family's series keeps the family for the other source", () => {
    const { s } = store()
    s.apply(resultOf([new ValueSet(["time"]).add(1, ["a"])], { id: "one", type: "L" }))
    s.apply(resultOf([new ValueSet(["time"]).add(2, ["b"])], { id: "two", type: "L" }))
    s.apply(resultOf([new ValueSet(["time"]).add(3, ["a"])], { id: "two", type: "L" }))
    expect(s.text()).toBe('# HELP pollect_L pollect_L\n# TYPE pollect_L gauge\npollect_L{time="a"} 1\n')
  })
})

describe("SeriesStore: each problem is logged once per source and name", () => {
  it("duplicates, reserved names, conflicts and taken series of two names (or two sources) are each logged", () => {
    const { s, warnings } = store()
    s.reserved = new Set(["pollect_R_a", "pollect_R_b"])
    s.apply(resultOf([new ValueSet().add(1, [], "a").add(2, [], "b")], { id: "r", type: "R" }))
    const dup = new ValueSet(["x"]).add(1, ["1"], "a").add(2, ["1"], "a").add(3, ["1"], "b").add(4, ["1"], "b")
    s.apply(resultOf([dup], { id: "d", type: "D" }))
    s.apply(resultOf([new ValueSet(["x"]).add(1, ["1"], "a").add(2, ["1"], "b")], { id: "one", type: "S" }))
    s.apply(resultOf([new ValueSet(["y"]).add(1, ["1"], "a").add(2, ["1"], "b")], { id: "two", type: "S" }))
    s.apply(resultOf([new ValueSet(["x"]).add(1, ["1"], "a").add(2, ["1"], "b")], { id: "three", type: "S" }))
    s.apply(resultOf([new ValueSet(["x"]).add(1, ["1"], "a").add(2, ["1"], "b")], { id: "four", type: "S" }))
    expect(warnings).toEqual([
      "r: pollect_R_a is one of pollect's own metric names; not served",
      "r: pollect_R_b is one of pollect's own metric names; not served",
      'd: pollect_D_a{x="1"} appears twice in one probe; serving the first',
      'd: pollect_D_b{x="1"} appears twice in one probe; serving the first',
      "two: pollect_S_a is already served by another source with labels {x} (gauge); these values have {y} (gauge) and are not served",
      "two: pollect_S_b is already served by another source with labels {x} (gauge); these values have {y} (gauge) and are not served",
      'three: pollect_S_a{x="1"} is already served by one; add a label or a name to tell them apart',
      'three: pollect_S_b{x="1"} is already served by one; add a label or a name to tell them apart',
      'four: pollect_S_a{x="1"} is already served by one; add a label or a name to tell them apart',
      'four: pollect_S_b{x="1"} is already served by one; add a label or a name to tell them apart',
    ])
  })

  it("the same problem of two sources is logged for each; shape problems of two names too", () => {
    const { s, warnings } = store()
    const shapes = () => [new ValueSet().add(1, [], "a").add(2, [], "b"), new ValueSet(["x"]).add(3, ["1"], "a").add(4, ["1"], "b")]
    s.apply(resultOf(shapes(), { id: "one", type: "T" }))
    s.apply(resultOf(shapes(), { id: "two", type: "U" }))
    expect(warnings).toHaveLength(4)
  })
})

describe("SeriesStore helpers", () => {
  it("formatValue: numbers as JavaScript prints them, NaN, +Inf, -Inf", () => {
    expect([3, 0.0032, -1.5, 1e21, 0].map(formatValue)).toEqual(["3", "0.0032", "-1.5", "1e+21", "0"])
    expect([NaN, Infinity, -Infinity].map(formatValue)).toEqual(["NaN", "+Inf", "-Inf"])
  })

  it("labelText, escapeLabelValue, escapeHelp", () => {
    expect(labelText({})).toBe("")
    expect(labelText({ a: "1" })).toBe('{a="1"}')
    expect(labelText({ a: "1", b: 'x"y' })).toBe('{a="1",b="x\\"y"}')
    expect(escapeLabelValue("plain")).toBe("plain")
    expect(escapeLabelValue('a\\b\nc"d\\\n""')).toBe('a\\\\b\\nc\\"d\\\\\\n\\"\\"')
    expect(escapeLabelValue("only\\")).toBe("only\\\\")
    expect(escapeLabelValue("only\n")).toBe("only\\n")
    expect(escapeLabelValue('only"')).toBe('only\\"')
    expect(['"', "\\", "\n", '""'].map(escapeLabelValue)).toEqual(['\\"', "\\\\", "\\n", '\\"\\"'])
    expect(escapeHelp('a\\b\n\nc"')).toBe('a\\\\b\\n\\nc"')
  })
})
