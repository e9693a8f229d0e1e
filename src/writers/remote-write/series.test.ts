/** SeriesTracker on its own: which samples and staleness markers each result gives, with which labels. */
import { describe, expect, it } from "bun:test"
import { ValueSet, type SourceResult } from "../../api.ts"
import { resultOf } from "../../../test/helpers/context.ts"
import { SeriesTracker } from "./series.ts"

/** encodeLabels' bytes back to `name{a="1",b="2"}` (labels in the encoded order). */
function decodeLabels(bytes: Uint8Array): string {
  let i = 0
  const varint = () => {
    let n = 0
    let shift = 0
    for (;;) {
      const b = bytes[i++]!
      n += (b & 0x7f) * 2 ** shift
      if (b < 0x80) return n
      shift += 7
    }
  }
  const text = () => {
    const length = varint()
    const out = new TextDecoder().decode(bytes.subarray(i, i + length))
    i += length
    return out
  }
  const pairs: [string, string][] = []
  while (i < bytes.length) {
    i++ // 0x0a: a Label
    varint()
    i++ // 0x0a: its name
    const name = text()
    i++ // 0x12: its value
    pairs.push([name, text()])
  }
  const name = pairs.find(([key]) => key === "__name__")?.[1] ?? "?"
  const rest = pairs.filter(([key]) => key !== "__name__")
  return `${name}{${rest.map(([key, value]) => `${key}="${value}"`).join(",")}}`
}

function tracker(extra: Record<string, string> = {}) {
  const warnings: string[] = []
  const t = new SeriesTracker("snake_case", extra, (message) => warnings.push(message))
  const got: string[] = []
  const sink = {
    sample: (labels: Uint8Array, value: number) => got.push(`${decodeLabels(labels)} ${value}`),
    stale: (labels: Uint8Array) => got.push(`${decodeLabels(labels)} stale`),
  }
  /** The samples of one result and what apply() returned. */
  const apply = (result: SourceResult) => {
    got.length = 0
    const n = t.apply(result, 1000, sink)
    return { n, got: [...got] }
  }
  return { t, apply, warnings }
}

const set = (labels: string[], values: [number, string[]][], name?: string) => {
  const s = new ValueSet(labels)
  for (const [value, labelValues] of values) s.add(value, labelValues, name)
  return s
}
const result = (s: ValueSet, fields: Partial<SourceResult> = {}) => resultOf(s, { type: "T", id: "a", ...fields })

describe("SeriesTracker", () => {
  it("values that change place, name or label values between ticks keep their own series", () => {
    const { apply } = tracker()
    apply(
      result(
        set(
          ["k"],
          [
            [1, ["a"]],
            [2, ["b"]],
            [3, ["c"]],
          ],
        ),
      ),
    )
    // Reordered, one gone: each value still gets its own labels.
    expect(
      apply(
        result(
          set(
            ["k"],
            [
              [30, ["c"]],
              [10, ["a"]],
            ],
          ),
        ),
      ),
    ).toEqual({
      n: 3,
      got: ['pollect_t{k="c"} 30', 'pollect_t{k="a"} 10', 'pollect_t{k="b"} stale'],
    })
    // The same place, another label value.
    expect(
      apply(
        result(
          set(
            ["k"],
            [
              [4, ["d"]],
              [11, ["a"]],
            ],
          ),
        ),
      ),
    ).toEqual({
      n: 3,
      got: ['pollect_t{k="d"} 4', 'pollect_t{k="a"} 11', 'pollect_t{k="c"} stale'],
    })
    // Two labels, values sharing the first one, reordered.
    const two = tracker()
    two.apply(
      result(
        set(
          ["x", "y"],
          [
            [1, ["a", "1"]],
            [2, ["a", "2"]],
          ],
        ),
      ),
    )
    expect(
      two.apply(
        result(
          set(
            ["x", "y"],
            [
              [20, ["a", "2"]],
              [10, ["a", "1"]],
            ],
          ),
        ),
      ),
    ).toEqual({
      n: 2,
      got: ['pollect_t{x="a",y="2"} 20', 'pollect_t{x="a",y="1"} 10'],
    })
    expect(two.warnings).toEqual([])
    // Two sets of one source swap places.
    const sets = tracker()
    const a = set(["k"], [[1, ["v"]]], "first")
    const b = set(["k"], [[2, ["v"]]], "second")
    sets.apply({ ...result(a), sets: [a, b] })
    expect(sets.apply({ ...result(a), sets: [b, a] }).got).toEqual(['pollect_t_second{k="v"} 2', 'pollect_t_first{k="v"} 1'])
  })

  it("a value twice in one probe: the first is sent, one warning naming the series", () => {
    const { apply, warnings } = tracker()
    expect(
      apply(
        result(
          set(
            ["k", "j"],
            [
              [1, ["a", "b"]],
              [2, ["a", "b"]],
            ],
          ),
        ),
      ),
    ).toEqual({ n: 1, got: ['pollect_t{j="b",k="a"} 1'] })
    apply(
      result(
        set(
          ["k", "j"],
          [
            [1, ["a", "b"]],
            [2, ["a", "b"]],
          ],
        ),
      ),
    )
    expect(warnings).toEqual(['a: pollect_t{k="a",j="b"} appears twice in one probe; sending the first'])
  })

  it("new static labels (a reload) make every series another one: the old ones are marked stale", () => {
    const { apply, t } = tracker()
    apply(result(set(["k"], [[1, ["a"]]]), { labels: { site: "x" } }))
    expect(apply(result(set(["k"], [[2, ["a"]]]), { labels: { site: "y" } })).got).toEqual([
      'pollect_t{k="a",site="x"} stale',
      'pollect_t{k="a",site="y"} 2',
    ])
    expect(t.size).toBe(1)
  })

  it("a failing source sends nothing it still carries, and marks its series stale", () => {
    const { apply, t } = tracker()
    apply(result(set(["k"], [[1, ["a"]]])))
    expect(apply({ ...result(set(["k"], [[5, ["a"]]])), error: "down" })).toEqual({ n: 1, got: ['pollect_t{k="a"} stale'] })
    expect(t.size).toBe(0)
  })

  it("a series two sources report: the first keeps it; when it goes, the other takes it over; the other's end marks nothing of the first's", () => {
    const { apply, warnings, t } = tracker()
    const one = (id: string, value: number) => result(set(["k"], [[value, ["a"]]]), { id })
    const none = (id: string) => result(new ValueSet(["k"]), { id })
    apply(one("a", 1))
    expect(apply(one("b", 2))).toEqual({ n: 0, got: [] })
    expect(apply(one("b", 2))).toEqual({ n: 0, got: [] })
    // b's copy goes: no marker (a still sends it).
    expect(apply(none("b"))).toEqual({ n: 0, got: [] })
    apply(one("b", 2))
    expect(apply(none("a"))).toEqual({ n: 1, got: ['pollect_t{k="a"} stale'] })
    expect(apply(one("b", 3))).toEqual({ n: 1, got: ['pollect_t{k="a"} 3'] })
    expect([t.size, warnings]).toEqual([1, ['b: pollect_t{k="a"} is already sent for a; add a label or a name to tell them apart']])
  })

  it("an empty label value is the label absent (Prometheus' rule): the same series as one without it", () => {
    const { apply, warnings } = tracker({ instance: "", job: "pollect" })
    expect(apply(result(set(["k"], [[1, [""]]]), { id: "a" })).got).toEqual(['pollect_t{job="pollect"} 1'])
    expect(apply(result(new ValueSet().add(2), { id: "b" })).got).toEqual([])
    expect(warnings).toEqual(["b: pollect_t is already sent for a; add a label or a name to tell them apart"])
  })

  it("a static label named as a set label: promLabels' rule (the static one wins), so both values are one series: the first is sent", () => {
    const { apply, warnings } = tracker()
    const got = apply(
      result(
        set(
          ["site"],
          [
            [1, ["a"]],
            [2, ["b"]],
          ],
        ),
        { labels: { site: "static" } },
      ),
    ).got
    expect([got, warnings]).toEqual([
      ['pollect_t{site="static"} 1'],
      ['a: pollect_t{site="static"} is already sent for a; add a label or a name to tell them apart'],
    ])
  })

  it("two sets of one name whose label lists join to the same text (ab,c and a,bc) are two series, no duplicate", () => {
    const { apply, warnings } = tracker()
    const one = set(["ab", "c"], [[1, ["x", "y"]]])
    const two = set(["a", "bc"], [[2, ["x", "y"]]])
    expect(apply({ ...result(one), sets: [one, two] })).toEqual({
      n: 2,
      got: ['pollect_t{ab="x",c="y"} 1', 'pollect_t{a="x",bc="y"} 2'],
    })
    expect(warnings).toEqual([])
  })

  it("each duplicate and each taken series is logged once per source and name, not once for all", () => {
    const { apply, warnings } = tracker()
    const twice = (name: string) =>
      set(
        ["k"],
        [
          [1, ["v"]],
          [2, ["v"]],
        ],
        name,
      )
    const dups = [twice("p"), twice("q")]
    apply({ ...result(dups[0]!), sets: dups })
    apply({ ...result(dups[0]!), sets: dups })
    const taken = [set(["k"], [[1, ["v"]]], "first"), set(["k"], [[1, ["v"]]], "second")]
    apply({ ...result(taken[0]!, { id: "b" }), sets: taken })
    apply({ ...result(taken[0]!, { id: "c" }), sets: taken })
    apply({ ...result(taken[0]!, { id: "c" }), sets: taken })
    apply({ ...result(taken[0]!, { id: "d" }), sets: taken })
    expect(warnings).toEqual([
      'a: pollect_t_p{k="v"} appears twice in one probe; sending the first',
      'a: pollect_t_q{k="v"} appears twice in one probe; sending the first',
      'c: pollect_t_first{k="v"} is already sent for b; add a label or a name to tell them apart',
      'c: pollect_t_second{k="v"} is already sent for b; add a label or a name to tell them apart',
      'd: pollect_t_first{k="v"} is already sent for b; add a label or a name to tell them apart',
      'd: pollect_t_second{k="v"} is already sent for b; add a label or a name to tell them apart',
    ])
  })

  it("at most 1000 distinct warnings are logged (the key set stays bounded)", () => {
    const { apply, warnings } = tracker()
    const s = new ValueSet(["k"])
    for (let i = 0; i < 1002; i++) s.add(1, ["v"], `n${i}`).add(2, ["v"], `n${i}`)
    apply(result(s))
    expect(warnings.length).toBe(1000)
    expect(warnings[999]).toBe('a: pollect_t_n999{k="v"} appears twice in one probe; sending the first')
  })
})
