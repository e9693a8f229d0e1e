/** Deterministic input bytes for the snappy tests, so a failure can be reproduced. */

/** A pseudo-random generator (xorshift32) in [0, 1). */
export function random(seed: number): () => number {
  let x = seed
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 2 ** 32
  }
}

/** `n` bytes, byte `i` being `fill(i)`. */
export function bytes(n: number, fill: (i: number) => number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = fill(i)
  return out
}
