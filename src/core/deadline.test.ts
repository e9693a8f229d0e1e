/** core/deadline.ts: a deadline around one piece of work (a probe, a writer's write). */
import { describe, expect, it } from "bun:test"
import { withDeadline } from "./deadline.ts"

const never = () => new Promise<never>(() => {})

describe("withDeadline", () => {
  it("resolves with the work's value, a plain one or a promise's", async () => {
    expect(
      await withDeadline(
        () => 7,
        1000,
        () => new Error("late"),
      ),
    ).toBe(7)
    expect(
      await withDeadline(
        async () => (await Bun.sleep(1), "done"),
        10_000,
        () => new Error("late"),
      ),
    ).toBe("done")
  })

  it("the work's rejection or synchronous throw is its rejection", async () => {
    const boom = new Error("boom")
    expect(
      await withDeadline(
        () => {
          throw boom
        },
        1000,
        () => new Error("late"),
      ).catch((e) => e),
    ).toBe(boom)
    expect(
      await withDeadline(
        () => Promise.reject(boom),
        1000,
        () => new Error("late"),
      ).catch((e) => e),
    ).toBe(boom)
  })

  it("rejects with onTimeout()'s error once `ms` have passed without the work settling", async () => {
    const late = new Error("timed out after 0.02 s")
    let calls = 0
    const error = await withDeadline(never, 20, () => (calls++, late)).catch((e) => e)
    expect(error).toBe(late)
    expect(calls).toBe(1)
  })

  it("does not wait for the deadline when the work is done, and never calls onTimeout then", async () => {
    let calls = 0
    // A deadline far beyond the test's own timeout: the call returns with the work, not with the timer.
    expect(
      await withDeadline(
        () => 1,
        3_600_000,
        () => (calls++, new Error("late")),
      ),
    ).toBe(1)
    expect(
      await withDeadline(
        () => 2,
        20,
        () => (calls++, new Error("late")),
      ),
    ).toBe(2)
    // The timer is cleared: 20 ms later (and a later timer after it), onTimeout was still never called.
    await Bun.sleep(60)
    expect(calls).toBe(0)
  })

  it("calls the work once", async () => {
    let calls = 0
    await withDeadline(
      () => ++calls,
      1000,
      () => new Error("late"),
    )
    expect(calls).toBe(1)
  })
})
