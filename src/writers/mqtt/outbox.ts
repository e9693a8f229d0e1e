/**
 * What is still to be published: retained state, not a log. One entry per topic, the newest
 * payload wins; at most `capacity` topics, the oldest dropped first. This is the one place where
 * messages wait for the broker (a durable queue would take its place).
 */
export class LatestOutbox {
  private readonly entries = new Map<string, string>()

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size
  }

  has(topic: string): boolean {
    return this.entries.has(topic)
  }

  /** Puts the newest payload of `topic`; returns how many topics were dropped to make room (0 or 1). */
  put(topic: string, payload: string): number {
    const entries = this.entries
    if (entries.has(topic)) {
      entries.set(topic, payload)
      return 0
    }
    let dropped = 0
    if (entries.size >= this.capacity) {
      const oldest = entries.keys().next().value
      if (oldest !== undefined) entries.delete(oldest)
      dropped = 1
    }
    entries.set(topic, payload)
    return dropped
  }

  /** Puts `payload` only if the topic has nothing newer waiting (a failed send going back). */
  putBack(topic: string, payload: string): number {
    return this.entries.has(topic) ? 0 : this.put(topic, payload)
  }

  /** Puts `payload` only if the topic has nothing waiting and there is room: sending current state again never pushes out what waits. */
  offer(topic: string, payload: string): boolean {
    if (this.entries.has(topic) || this.entries.size >= this.capacity) return false
    this.entries.set(topic, payload)
    return true
  }

  /** Takes up to `max` entries, oldest first. */
  take(max: number): [topic: string, payload: string][] {
    const out: [string, string][] = []
    for (const entry of this.entries) {
      if (out.length >= max) break
      out.push(entry)
    }
    for (const [topic] of out) this.entries.delete(topic)
    return out
  }
}
