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
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker))
  return results
}
