/**
 * Width of the kernel's `unsigned long` counters (/proc/net/dev, /proc/diskstats): 64 bit on
 * 64-bit kernels, where a drop is a reset, never a wrap. Elsewhere undefined: core/rate.ts then
 * tells a 32-bit wrap from a reset by the values.
 */
import * as v from "valibot"
import type { CounterWidth } from "../../api.ts"

const ARCH_64 = new Set(["x64", "arm64", "ppc64", "s390x", "riscv64", "loong64", "mips64el"])

export function kernelCounterBits(configured?: CounterWidth): CounterWidth | undefined {
  return configured ?? (ARCH_64.has(process.arch) ? 64 : undefined)
}

/** The `counterBits` option: the counters' width, for a host where the default guesses wrong. */
export const counterBitsField = v.optional(v.picklist([32, 64]))
