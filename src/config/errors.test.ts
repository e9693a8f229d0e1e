/** config/errors.ts: what `pollect check` prints for a broken config (main.ts prints describe() and exits 2). */
import { describe, expect, it } from "bun:test"
import { ConfigError } from "./errors.ts"

describe("ConfigError", () => {
  it("one problem: the file, then the problem", () => {
    const error = new ConfigError(["tickTime: expected >0"], "/etc/pollect.yml")
    expect(error.describe()).toBe("invalid config in /etc/pollect.yml (1 problem):\n  - tickTime: expected >0")
  })

  it("several problems: counted, one per line, in order; without a file (the embedded default) no `in`", () => {
    const error = new ConfigError(["a: expected string", "b: expected number"])
    expect(error.describe()).toBe("invalid config (2 problems):\n  - a: expected string\n  - b: expected number")
    expect(new ConfigError(["x"], "").describe()).toBe("invalid config (1 problem):\n  - x")
  })

  it("is an Error named ConfigError whose message is the problems, one per line", () => {
    const error = new ConfigError(["a", "b"], "c.json")
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe("ConfigError")
    expect(error.message).toBe("a\nb")
    expect(error.problems).toEqual(["a", "b"])
    expect(error.file).toBe("c.json")
  })
})
