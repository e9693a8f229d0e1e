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
