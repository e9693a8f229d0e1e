import { describe, expect, it } from "bun:test"
import { ValueSet } from "../../core/value-set.ts"
import { topicBase, valuePayload, valueTopic } from "./topics.ts"

describe("Mqtt topicBase", () => {
  it("collection.type[.name]; an empty collection leaves no leading dot; the case is kept (valueTopic lowers it)", () => {
    expect(topicBase({ collection: "pollect", type: "LoadAvg", name: undefined })).toBe("pollect.LoadAvg")
    expect(topicBase({ collection: "pollect", type: "Http", name: "local" })).toBe("pollect.Http.local")
    expect(topicBase({ collection: "pollect", type: "Http", name: "" })).toBe("pollect.Http.")
    expect(topicBase({ collection: "", type: "Http", name: "local" })).toBe("Http.local")
    expect(topicBase({ collection: "", type: "LoadAvg", name: undefined })).toBe("LoadAvg")
  })
})

describe("Mqtt valueTopic", () => {
  it("base, /value name, /label/value for each label, /key/value for each static label, lower-cased", () => {
    const set = new ValueSet(["A", "b"]).add(1, ["X", "y"], "N")
    expect(valueTopic("Base.T", set, set.values[0]!, { Site: "S1", k: "" })).toBe("base.t/n/a/x/b/y/site/s1/k/")
    const bare = new ValueSet().add(1)
    expect(valueTopic("Base", bare, bare.values[0]!, {})).toBe("base")
  })

  it("every +, # and NUL becomes _, anywhere in the topic; other characters stay", () => {
    const set = new ValueSet(["l"]).add(1, ["a+b#c\u0000d++"], "n#")
    expect(valueTopic("p+x", set, set.values[0]!, { "k#": "v\u0000" })).toBe("p_x/n_/l/a_b_c_d__/k_/v_")
    const plain = new ValueSet(["l"]).add(1, ["a b.c$/é"])
    expect(valueTopic("p", plain, plain.values[0]!, {})).toBe("p/l/a b.c$/é")
    const bare = new ValueSet().add(1)
    expect(valueTopic("#", bare, bare.values[0]!, {})).toBe("_")
    expect(valueTopic("+#", bare, bare.values[0]!, {})).toBe("__")
  })
})

describe("Mqtt valuePayload", () => {
  it("shortest decimal text that reads back as the value", () => {
    expect([1e-7, 123456789012, -0, 0.1 + 0.2].map(valuePayload)).toEqual(["1e-7", "123456789012", "0", "0.30000000000000004"])
  })
})
