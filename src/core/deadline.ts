/**
 * Runs `work` (a synchronous throw becomes a rejection) and rejects with `onTimeout()`'s error if
 * it has not settled within `ms`. The work itself is not stopped (that is what a signal is for);
 * the timer never outlives the call.
 */
export async function withDeadline<T>(work: () => T | PromiseLike<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms)
  })
  try {
    return await Promise.race([Promise.resolve().then(work), deadline])
  } finally {
    clearTimeout(timer)
  }
}
