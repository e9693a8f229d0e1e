/** lib/options/counter-bits.ts: the kernel counters' default width per CPU architecture, and the `counterBits` option. */
import { afterEach, describe, expect, it } from "bun:test"
import * as v from "valibot"
import { counterBitsField, kernelCounterBits } from "./counter-bits.ts"

const realArch = Object.getOwnPropertyDescriptor(process, "arch")!

function onArch(arch: string): void {
  Object.defineProperty(process, "arch", { ...realArch, value: arch })
}

afterEach(() => {
  Object.defineProperty(process, "arch", realArch)
})

describe("kernelCounterBits", () => {
  // Node's names of the 64-bit CPUs Linux runs on, where `unsigned long` is 64 bits.
  it.each(["x64", "arm64", "ppc64", "s390x", "riscv64", "loong64", "mips64el"])("%s: 64 bits", (arch) => {
    onArch(arch)
    expect(kernelCounterBits()).toBe(64)
  })
  it.each(["ia32", "arm", "mips", "mipsel", "ppc", "s390", "riscv32", ""])(
    "%s: undefined (rate.ts tells a wrap from the values)",
    (arch) => {
      onArch(arch)
      expect(kernelCounterBits()).toBeUndefined()
    },
  )
  it("this host's architecture is read when called", () => {
    expect(kernelCounterBits()).toBe(
      ["x64", "arm64", "ppc64", "s390x", "riscv64", "loong64", "mips64el"].includes(process.arch) ? 64 : undefined,
    )
  })
  it("the configured width wins on any architecture", () => {
    onArch("arm")
    expect(kernelCounterBits(64)).toBe(64)
    expect(kernelCounterBits(32)).toBe(32)
    onArch("x64")
    expect(kernelCounterBits(32)).toBe(32)
    expect(kernelCounterBits(64)).toBe(64)
    expect(kernelCounterBits(undefined)).toBe(64)
  })
})

describe("counterBitsField", () => {
  const schema = v.object({ counterBits: counterBitsField })
  it("takes 32 and 64, and no value", () => {
    expect(v.parse(schema, { counterBits: 32 })).toEqual({ counterBits: 32 })
    expect(v.parse(schema, { counterBits: 64 })).toEqual({ counterBits: 64 })
    expect(v.parse(schema, {})).toEqual({})
  })
  it.each([16, 63, 128, 0, "64", null])("refuses %p", (bits) => {
    expect(v.safeParse(schema, { counterBits: bits }).success).toBe(false)
  })
})
