/**
 * One worker pool for everything that runs many awaits with a limit: the executor's probes
 * (`threads`) and a source's own fan-out (SmartCtl's devices).
 *
 * @example
 * const sizes = await mapConcurrent(files, 4, async (file) => (await stat(file)).size)
 */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index]!, index)
    }
  }
  // A limit below 1 (or NaN, which Math.max would pass through) still means one worker.
  const workers = Math.min(items.length, limit >= 1 ? Math.floor(limit) : 1)
  await Promise.all(Array.from({ length: workers }, worker))
  return results
}
