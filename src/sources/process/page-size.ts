/**
 * The kernel's page size, from this process's auxiliary vector (AT_PAGESZ in /proc/self/auxv):
 * the unit of /proc/<pid>/statm. Our own /proc, not POLLECT_PROCFS: a host's /proc mounted into
 * a container belongs to the same kernel. Undefined where there is no auxv (no Linux).
 */
import { readFileSync } from "node:fs"

const AT_NULL = 0n
const AT_PAGESZ = 6n

let cached: number | null | undefined

/** The page size in bytes, read once; undefined if it cannot be known. */
export function pageSize(): number | undefined {
  if (cached === undefined) {
    try {
      cached = auxvPageSize(readFileSync("/proc/self/auxv")) ?? null
    } catch {
      cached = null
    }
  }
  return cached ?? undefined
}

/** AT_PAGESZ of an auxv image: (type, value) pairs of native 64-bit words, ending with AT_NULL. */
export function auxvPageSize(auxv: Uint8Array): number | undefined {
  const words = new BigUint64Array(auxv.buffer.slice(auxv.byteOffset, auxv.byteOffset + (auxv.byteLength & ~15)))
  for (let i = 0; i + 1 < words.length; i += 2) {
    if (words[i] === AT_NULL) break
    if (words[i] === AT_PAGESZ) {
      const size = Number(words[i + 1])
      // a power of two from 4 KiB to 1 MiB, or nothing we trust
      return size >= 4096 && size <= 1 << 20 && (size & (size - 1)) === 0 ? size : undefined
    }
  }
  return undefined
}
