import { describe, expect, it } from "bun:test"
import { ValueSet, type SourceResult } from "../../api.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import { groupByMetric, PointMaker, ucumUnit, type Point } from "./points.ts"

function pointsOf(maker: PointMaker, results: SourceResult[]): { points: Point[]; invalid: number } {
  const points: Point[] = []
  const invalid = maker.points(results, points)
  return { points, invalid }
}

const brief = (p: Point) => [p.metric.name, p.attributes.join(","), p.value, p.time, Number.isNaN(p.start) ? "-" : p.start]

describe("ucumUnit", () => {
  it("normalises case, spaces and dashes, maps aliases, annotates unknown words", () => {
    expect(ucumUnit(" Seconds ")).toBe("s")
    expect(ucumUnit("Bits per second")).toBe("bit/s")
    expect(ucumUnit("bits-per--second")).toBe("bit/s")
    expect(ucumUnit("degrees celsius")).toBe("Cel")
    expect(ucumUnit("kWh")).toBe("kW.h")
    expect(ucumUnit("sec")).toBe("s")
    expect(ucumUnit("B")).toBe("By")
    expect(ucumUnit("")).toBe("")
    expect(ucumUnit("{odd} unit")).toBe("{odd_unit}")
    expect(ucumUnit("a}{b")).toBe("{ab}")
    expect(ucumUnit("ratio")).toBe("1")
    // a word inherited from Object.prototype is no unit
    expect(ucumUnit("constructor")).toBe("{constructor}")
  })

  it("every declared unit and alias has its UCUM code", () => {
    const codes: Record<string, string> = {
      nanoseconds: "ns",
      microseconds: "us",
      milliseconds: "ms",
      seconds: "s",
      minutes: "min",
      hours: "h",
      days: "d",
      bits: "bit",
      bytes: "By",
      kilobytes: "kBy",
      megabytes: "MBy",
      gigabytes: "GBy",
      terabytes: "TBy",
      kibibytes: "KiBy",
      mebibytes: "MiBy",
      gibibytes: "GiBy",
      tebibytes: "TiBy",
      bits_per_second: "bit/s",
      bytes_per_second: "By/s",
      per_second: "1/s",
      celsius: "Cel",
      percent: "%",
      ratio: "1",
      volts: "V",
      millivolts: "mV",
      amperes: "A",
      milliamperes: "mA",
      watts: "W",
      milliwatts: "mW",
      kilowatts: "kW",
      joules: "J",
      watt_hours: "W.h",
      kilowatt_hours: "kW.h",
      meters: "m",
      kilometers: "km",
      hertz: "Hz",
      rpm: "{rpm}",
      ns: "ns",
      us: "us",
      ms: "ms",
      s: "s",
      sec: "s",
      second: "s",
      min: "min",
      h: "h",
      d: "d",
      b: "By",
      byte: "By",
      bps: "bit/s",
      pct: "%",
      degrees_celsius: "Cel",
      wh: "W.h",
      kwh: "kW.h",
    }
    const words = Object.keys(codes)
    expect(words.map(ucumUnit)).toEqual(Object.values(codes))
  })
})

describe("PointMaker", () => {
  it("one point per value: name, labels then static labels as attributes, the result's time", () => {
    const set = new ValueSet(["disk", "kind"], { unit: "bytes", help: "Disk use" }).add(5, ["/", "used"]).add(6, ["/var", ""], "free")
    const { points, invalid } = pointsOf(new PointMaker(), [
      resultOf(set, { type: "DiskUsage", labels: { host: "h1", site: "x" }, time: 100 }),
    ])
    expect(invalid).toBe(0)
    expect(points.map(brief)).toEqual([
      ["pollect.diskusage", "disk,/,kind,used,host,h1,site,x", 5, 100, "-"],
      ["pollect.diskusage.free", "disk,/var,kind,,host,h1,site,x", 6, 100, "-"],
    ])
    expect(points[0]!.metric).toEqual({ name: "pollect.diskusage", unit: "By", description: "Disk use", monotonic: false })
    expect(points[1]!.metric).toEqual({ name: "pollect.diskusage.free", unit: "By", description: "Disk use", monotonic: false })
  })

  it("skips errored results and counts non-finite values as invalid", () => {
    const set = new ValueSet([]).add(Number.NaN, [], "a").add(1, [], "b").add(Number.POSITIVE_INFINITY, [], "c").add(-2, [], "d")
    const { points, invalid } = pointsOf(new PointMaker(), [
      resultOf(set, { type: "T" }),
      { ...resultOf(3, { type: "Err" }), error: "boom" },
    ])
    expect(invalid).toBe(2)
    expect(points.map((p) => [p.metric.name, p.value])).toEqual([
      ["pollect.t.b", 1],
      ["pollect.t.d", -2],
    ])
  })

  it("instrument names: characters outside [A-Za-z0-9_.-/] become _, a name not starting with a letter gets a leading _", () => {
    const maker = new PointMaker()
    const { points } = pointsOf(maker, [
      resultOf(new ValueSet([]).add(1, [], "a-b_c"), { type: "T", collection: "9lives" }),
      resultOf(new ValueSet([]).add(1, [], "x"), { type: "T", collection: "_c" }),
      resultOf(new ValueSet([]).add(1, [], "x"), { type: "T", collection: "Ab" }),
      resultOf(new ValueSet([]).add(1, [], "x"), { type: "T", collection: "ü" }),
    ])
    expect(points.map((p) => p.metric.name)).toEqual(["_9lives.t.a-b_c", "__c.t.x", "Ab.t.x", "__.t.x"])
  })

  it("metrics are shared by identity across ticks and sets with the same name, kind, unit and help; differ otherwise", () => {
    const maker = new PointMaker()
    const tick = (meta: ConstructorParameters<typeof ValueSet>[1], time = 1) =>
      pointsOf(maker, [resultOf(new ValueSet(["l"], meta).add(1, ["a"]).add(2, ["b"]), { type: "T", time })]).points
    const a = tick({ unit: "bytes", help: "h" })
    expect(a[0]!.metric).toBe(a[1]!.metric)
    expect(tick({ unit: "bytes", help: "h" }, 2)[0]!.metric).toBe(a[0]!.metric)
    const others = [
      tick({ unit: "seconds", help: "h" }),
      tick({ unit: "bytes", help: "other" }),
      tick({ unit: "bytes", help: "h", kind: "counter" }),
      tick({ unit: "bytes" }),
    ]
    for (const o of others) expect(o[0]!.metric).not.toBe(a[0]!.metric)
    expect(others[3]![0]!.metric.description).toBe("")
    // no help and an empty help are the same description, so the same metric
    expect(tick({ unit: "bytes", help: "" })[0]!.metric).toBe(others[3]![0]!.metric)
    expect(others[2]![0]!.metric.monotonic).toBe(true)
  })

  it("counters: start time per series, kept while the value grows, restarted on a decrease", () => {
    const maker = new PointMaker()
    const tick = (time: number, values: [string, number][]) => {
      const set = new ValueSet(["if"], { kind: "counter" })
      for (const [label, value] of values) set.add(value, [label])
      return pointsOf(maker, [resultOf(set, { type: "Net", time })]).points.map((p) => [p.attributes[1], p.start])
    }
    expect(
      tick(10, [
        ["eth0", 5],
        ["lo", 1],
      ]),
    ).toEqual([
      ["eth0", 10],
      ["lo", 10],
    ])
    expect(maker.seriesCount).toBe(2)
    expect(
      tick(20, [
        ["eth0", 5],
        ["lo", 3],
      ]),
    ).toEqual([
      ["eth0", 10],
      ["lo", 10],
    ])
    expect(
      tick(30, [
        ["eth0", 4],
        ["lo", 9],
        ["wan", 0],
      ]),
    ).toEqual([
      ["eth0", 30],
      ["lo", 10],
      ["wan", 30],
    ])
    // after a reset the new run continues from the reset's time and value
    expect(
      tick(40, [
        ["eth0", 4.5],
        ["lo", 8.99],
      ]),
    ).toEqual([
      ["eth0", 30],
      ["lo", 40],
    ])
    expect(
      tick(50, [
        ["eth0", 4.5],
        ["lo", 9],
      ]),
    ).toEqual([
      ["eth0", 30],
      ["lo", 40],
    ])
    expect(maker.seriesCount).toBe(3)
  })

  it("series are keyed by metric name and every attribute", () => {
    const maker = new PointMaker()
    const at = (time: number, name: string, labels: Record<string, string>, value: number) =>
      pointsOf(maker, [resultOf(new ValueSet([], { kind: "counter" }).add(value, [], name), { type: "T", time, labels })]).points[0]!.start
    expect(at(1, "a", { h: "x" }, 10)).toBe(1)
    expect(at(2, "b", { h: "x" }, 1)).toBe(2)
    expect(at(3, "a", { h: "y" }, 1)).toBe(3)
    expect(at(4, "a", { h: "x" }, 11)).toBe(1)
    // "a" + "h\0x" must not collide with a differently split key
    expect(at(5, "a", { "h\0x": "" }, 0)).toBe(5)
    expect(maker.seriesCount).toBe(4)
    // name and attributes are kept apart: "a"+"bc","d" is not "ab"+"c","d", nor "ab","c" the same as "a","bc"
    expect(at(6, "a", { bc: "d" }, 10)).toBe(6)
    expect(at(7, "ab", { c: "d" }, 20)).toBe(7)
    expect(at(8, "n", { ab: "c" }, 10)).toBe(8)
    expect(at(9, "n", { a: "bc" }, 20)).toBe(9)
  })

  it("remembers at most 100000 series, forgetting the oldest first", () => {
    const maker = new PointMaker()
    const set = new ValueSet(["n"], { kind: "counter" })
    for (let i = 0; i <= 100_000; i++) set.add(1, [String(i)])
    const first = pointsOf(maker, [resultOf(set, { type: "T", time: 1 })]).points
    expect(first).toHaveLength(100_001)
    expect(maker.seriesCount).toBe(100_000)
    // series 0 was forgotten: it starts anew; series 2 is still remembered
    const again = (label: string, time: number) =>
      pointsOf(maker, [resultOf(new ValueSet(["n"], { kind: "counter" }).add(2, [label]), { type: "T", time })]).points[0]!.start
    expect(again("2", 5)).toBe(1)
    expect(again("100000", 6)).toBe(1)
    expect(again("0", 7)).toBe(7)
    expect(maker.seriesCount).toBe(100_000)
  })

  it("remembers at most 50000 metrics, forgetting the oldest first", () => {
    const maker = new PointMaker()
    const set = new ValueSet([])
    for (let i = 0; i <= 50_000; i++) set.add(1, [], `m${i}`)
    set.add(2, [], "m0") // a set's values of one name share one metric even past the bound
    const first = pointsOf(maker, [resultOf(set, { type: "T" })]).points
    expect(first[50_001]!.metric).toBe(first[0]!.metric)
    const metricOf = (name: string) => pointsOf(maker, [resultOf(new ValueSet([]).add(1, [], name), { type: "T" })]).points[0]!.metric
    expect(metricOf("m2")).toBe(first[2]!.metric)
    expect(metricOf("m50000")).toBe(first[50_000]!.metric)
    expect(metricOf("m0")).not.toBe(first[0]!.metric)
    expect(metricOf("m0")).toEqual(first[0]!.metric)
  })
})

describe("groupByMetric", () => {
  it("groups by metric identity in order of first appearance, points in their order", () => {
    const m1 = { name: "a", unit: "", description: "", monotonic: false }
    const m2 = { name: "b", unit: "", description: "", monotonic: false }
    const twin = { ...m1 }
    const p = (metric: typeof m1, value: number): Point => ({ metric, attributes: [], time: 1, start: Number.NaN, value })
    const groups = groupByMetric([p(m2, 1), p(m1, 2), p(m2, 3), p(twin, 4), p(m1, 5)])
    expect(groups.map((g) => [g.metric, g.points.map((x) => x.value)])).toEqual([
      [m2, [1, 3]],
      [m1, [2, 5]],
      [twin, [4]],
    ])
    expect(groups[1]!.metric).toBe(m1)
    expect(groups[2]!.metric).toBe(twin)
    expect(groupByMetric([])).toEqual([])
  })
})
