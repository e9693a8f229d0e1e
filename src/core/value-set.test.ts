import { describe, expect, it } from "bun:test"
import { toValueSets, ValueSet } from "./value-set.ts"

describe("toValueSets", () => {
  it("a number is one unnamed value; a boolean 1/0", () => {
    expect(toValueSets(3.5)[0]!.values).toEqual([{ value: 3.5, labelValues: [], name: undefined }])
    expect(toValueSets(true)[0]!.values[0]!.value).toBe(1)
  })
  it("a record is one named value per key, in order", () => {
    expect(toValueSets({ b: 1, a: false })[0]!.values.map((v) => [v.name, v.value])).toEqual([
      ["b", 1],
      ["a", 0],
    ])
  })
  it("ValueSet and lists pass through; null and undefined are no values", () => {
    const set = new ValueSet(["x"]).add(1, ["y"])
    expect(toValueSets(set)).toEqual([set])
    expect(toValueSets([set, set])).toHaveLength(2)
    expect(toValueSets(null)).toEqual([])
    expect(toValueSets(undefined)).toEqual([])
  })
  it("rejects what is not a result, saying what", () => {
    expect(() => toValueSets({ a: "1" } as never)).toThrow('key "a" is not a number')
    expect(() => toValueSets([1] as never)).toThrow("other than ValueSet")
    expect(() => toValueSets("x" as never)).toThrow("probe returned string")
  })
  it("a value must carry one label value per label", () => {
    expect(() => new ValueSet(["a", "b"]).add(1, ["x"])).toThrow("1 label values, the set has 2 labels")
  })
})

describe("ValueSet from a declaration", () => {
  const spec = { labels: ["declared"], unit: "bytes", kind: "counter" as const, help: "Bytes sent" }
  it("takes its labels, unit, kind and help from the declaration", () => {
    const set = new ValueSet(spec)
    expect([set.labels, set.unit, set.kind, set.help, set.spec]).toEqual([["declared"], "bytes", "counter", "Bytes sent", spec])
  })
  it("labels the config names replace the declared ones (and are copied)", () => {
    const labels = ["host", "port"]
    const set = new ValueSet(spec, { labels })
    expect(set.labels).toEqual(["host", "port"])
    labels.push("x")
    expect(set.labels).toEqual(["host", "port"])
    expect(() => set.add(1, ["a"])).toThrow("1 label values, the set has 2 labels")
  })
})

describe("ValueSet without a declaration", () => {
  it("no arguments: no labels, no unit, kind or help, no values", () => {
    const set = new ValueSet()
    expect([set.labels, set.unit, set.kind, set.help, set.spec, set.values]).toEqual([[], undefined, undefined, undefined, undefined, []])
    expect(set.add(2).values).toEqual([{ value: 2, labelValues: [], name: undefined }])
  })

  it("takes the caller's label array as it is (no copy) and unit, kind and help from meta", () => {
    const labels = ["time"]
    const set = new ValueSet(labels, { unit: "seconds", kind: "counter", help: "Load" })
    expect(set.labels).toBe(labels)
    expect([set.unit, set.kind, set.help, set.spec]).toEqual(["seconds", "counter", "Load", undefined])
  })

  it("add() keeps the value, its label values and its name, and returns the set for chaining", () => {
    const set = new ValueSet(["a", "b"])
    expect(set.add(1.5, ["x", "y"], "rtt")).toBe(set)
    set.add(false, ["p", "q"]).add(true, ["r", "s"], "up")
    expect(set.values).toEqual([
      { value: 1.5, labelValues: ["x", "y"], name: "rtt" },
      { value: 0, labelValues: ["p", "q"], name: undefined },
      { value: 1, labelValues: ["r", "s"], name: "up" },
    ])
    expect(() => set.add(1)).toThrow(new Error("value has 0 label values, the set has 2 labels"))
    expect(() => new ValueSet().add(1, ["x"])).toThrow(new Error("value has 1 label values, the set has 0 labels"))
  })
})

describe("ValueSet from a declaration without labels", () => {
  it("has no labels (and meta's unit, kind and help are the declaration's, not meta's)", () => {
    const spec = { help: "Uptime", unit: "seconds" }
    const set = new ValueSet(spec, { unit: "bytes", help: "other" } as never)
    expect([set.labels, set.unit, set.kind, set.help, set.spec]).toEqual([[], "seconds", undefined, "Uptime", spec])
    expect(set.add(3).values).toHaveLength(1)
  })

  it("copies the declared labels: a set's labels never alias the declaration's", () => {
    const spec = { labels: ["time"], help: "Load" }
    const set = new ValueSet(spec)
    expect(set.labels).toEqual(["time"])
    expect(set.labels).not.toBe(spec.labels)
  })
})

describe("toValueSets, more", () => {
  it("a list of ValueSets is returned as it is; an empty list is no values", () => {
    const list = [new ValueSet().add(1), new ValueSet(["x"]).add(2, ["y"])]
    expect(toValueSets(list)).toBe(list)
    expect(toValueSets([])).toEqual([])
  })

  it("a record of booleans and numbers; false and 0 are values too", () => {
    expect(toValueSets({ up: true, n: 2 })[0]!.values).toEqual([
      { value: 1, labelValues: [], name: "up" },
      { value: 2, labelValues: [], name: "n" },
    ])
    expect(toValueSets(false)[0]!.values).toEqual([{ value: 0, labelValues: [], name: undefined }])
    expect(toValueSets(0)[0]!.values).toEqual([{ value: 0, labelValues: [], name: undefined }])
  })

  it("says which key of a record, which kind of array item or which type is wrong", () => {
    expect(() => toValueSets({ ok: 1, bad: null } as never)).toThrow(
      new TypeError('probe returned a record whose key "bad" is not a number'),
    )
    expect(() => toValueSets([new ValueSet(), 1] as never)).toThrow(
      new TypeError("probe returned an array that holds something other than ValueSet"),
    )
    expect(() => toValueSets("x" as never)).toThrow(
      new TypeError("probe returned string; expected a number, a record of numbers or ValueSet(s)"),
    )
    expect(() => toValueSets((() => 1) as never)).toThrow(
      new TypeError("probe returned function; expected a number, a record of numbers or ValueSet(s)"),
    )
    expect(() => toValueSets(1n as never)).toThrow("probe returned bigint")
  })
})
