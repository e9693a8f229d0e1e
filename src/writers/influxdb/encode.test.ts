import { describe, expect, it } from "bun:test"
import { ValueSet } from "../../api.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import { batches, encodeResults } from "./encode.ts"

const T = 1508478781000
const ms = (tags: Record<string, string> = {}) => ({ precision: "ms" as const, tags })

describe("encodeResults", () => {
  it("leaves out writer and source tags with an empty key or value, and set labels with an empty name", () => {
    const set = new ValueSet(["", "k"]).add(1, ["lost", "v"])
    const { lines } = encodeResults([resultOf(set, { labels: { s: "", "": "y" } })], ms({ "": "x", e: "", w: "1" }))
    expect(lines).toEqual([`pollect_Test,k=v,w=1 value=1 ${T}`])
  })

  it("sorts tags by key whatever order they come in, and joins several fixed tags with commas", () => {
    const { lines } = encodeResults([resultOf(2, { labels: { d: "4", b: "2" } })], ms({ e: "5", c: "3", a: "1" }))
    expect(lines).toEqual([`pollect_Test,a=1,b=2,c=3,d=4,e=5 value=2 ${T}`])
    const set = new ValueSet(["z", "y", "x"]).add(1, ["1", "2", "3"])
    expect(encodeResults([resultOf(set)], ms({ w: "0" })).lines).toEqual([`pollect_Test,w=0,x=3,y=2,z=1 value=1 ${T}`])
  })

  it("one set of one value name: a repeated label tuple gives two lines (not merged)", () => {
    const set = new ValueSet(["k"]).add(1, ["a"]).add(2, ["a"])
    expect(encodeResults([resultOf(set)], ms()).lines).toEqual([`pollect_Test,k=a value=1 ${T}`, `pollect_Test,k=a value=2 ${T}`])
  })

  it("one set of one value name: NaN and ±Infinity are skipped and counted", () => {
    const set = new ValueSet().add(Number.NaN).add(3).add(Number.NEGATIVE_INFINITY)
    expect(encodeResults([resultOf(set)], ms())).toEqual({ lines: [`pollect_Test value=3 ${T}`], invalid: 2 })
  })

  it("every set of a result is written, each with its own labels", () => {
    const a = new ValueSet(["k"]).add(1, ["a"])
    const b = new ValueSet(["j"]).add(2, ["b"])
    expect(encodeResults([resultOf([a, b])], ms()).lines).toEqual([`pollect_Test,k=a value=1 ${T}`, `pollect_Test,j=b value=2 ${T}`])
  })

  it("several value names: fields grouped per series, an unnamed value is field `value`, a repeated field keeps the last", () => {
    const first = new ValueSet().add(5)
    const set = new ValueSet(["k"]).add(1, ["x"], "a").add(2, ["x"], "b").add(3, ["x"], "a").add(4, ["x"])
    expect(encodeResults([resultOf([first, set])], ms()).lines).toEqual([
      `pollect_Test value=5 ${T}`,
      `pollect_Test,k=x a=3,b=2,value=4 ${T}`,
    ])
  })

  it("a result without sets, or with one empty set, gives no lines", () => {
    expect(encodeResults([resultOf(null), resultOf(new ValueSet(["k"]))], ms({ h: "1" }))).toEqual({ lines: [], invalid: 0 })
  })

  it("a value with fewer label values than the set has labels leaves the missing tags out", () => {
    const set = new ValueSet(["a", "b"])
    set.values.push({ value: 1, labelValues: ["x"] })
    set.values.push({ value: 2, labelValues: ["y"] })
    expect(encodeResults([resultOf(set)], ms()).lines).toEqual([`pollect_Test,a=x value=1 ${T}`, `pollect_Test,a=y value=2 ${T}`])
  })
})

describe("batches", () => {
  it("splits lines into bodies of at most batchSize lines, each ending in a newline, no empty batch", () => {
    expect(batches([], 2)).toEqual([])
    expect(batches(["a", "b"], 2)).toEqual([{ body: "a\nb\n", points: 2 }])
    expect(batches(["a", "b", "c"], 2)).toEqual([
      { body: "a\nb\n", points: 2 },
      { body: "c\n", points: 1 },
    ])
  })
})
