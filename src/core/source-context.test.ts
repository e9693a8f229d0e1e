/** core/source-context.ts: the `ctx` a source sees, and the deadline the executor arms on it. */
import { describe, expect, it } from "bun:test"
import { createSourceContext } from "./source-context.ts"
import { createLogger, registerSecret } from "./log.ts"
import { RateTracker } from "./rate.ts"

const log = createLogger({ write: () => {} })
const make = (compat?: "1.0" | "1.2") => createSourceContext({ log, stateDir: "/var/lib/pollect", configDir: "/etc/pollect", compat })

/** A server that answers every request with "ok", for the one test that needs a real fetch. */
function okServer() {
  return Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") })
}

describe("createSourceContext", () => {
  it("carries the log, the folders, its own rate tracker, registerSecret and compat (default 1.0)", () => {
    const { ctx } = make()
    expect(ctx.log).toBe(log)
    expect([ctx.stateDir, ctx.configDir, ctx.compat]).toEqual(["/var/lib/pollect", "/etc/pollect", "1.0"])
    expect(ctx.rate).toBeInstanceOf(RateTracker)
    expect(make().ctx.rate).not.toBe(ctx.rate)
    expect(ctx.registerSecret).toBe(registerSecret)
    expect(make("1.2").ctx.compat).toBe("1.2")
  })

  it("before the executor arms it: a signal that never aborted, no timeout", () => {
    const { ctx } = make()
    expect(ctx.signal).toBeInstanceOf(AbortSignal)
    expect(ctx.signal.aborted).toBe(false)
    expect(ctx.timeoutMs).toBeUndefined()
  })

  it("setSignal() arms the probe's deadline: ctx.signal and ctx.timeoutMs follow it", () => {
    const { ctx, setSignal } = make()
    const first = new AbortController().signal
    setSignal(first, 1500)
    expect(ctx.signal).toBe(first)
    expect(ctx.timeoutMs).toBe(1500)
    const second = new AbortController().signal
    setSignal(second)
    expect(ctx.signal).toBe(second)
    expect(ctx.timeoutMs).toBeUndefined()
  })

  it("ctx.spawn runs the tool and is killed by the probe's deadline", async () => {
    const { ctx, setSignal } = make()
    expect((await ctx.spawn(["/bin/sh", "-c", "echo hi"])).stdout).toBe("hi\n")
    const deadline = new AbortController()
    setSignal(deadline.signal, 1000)
    deadline.abort(new Error("timed out after 1 s"))
    expect((await ctx.spawn(["/bin/sh", "-c", "echo hi"]).catch((e) => e)).message).toBe("timed out after 1 s")
  })

  it("ctx.spawn also honours the source's own signal, and keeps its other options", async () => {
    const { ctx, setSignal } = make()
    setSignal(new AbortController().signal, 1000)
    const own = new AbortController()
    own.abort(new Error("source gave up"))
    expect((await ctx.spawn(["/bin/sh", "-c", "echo hi"], { signal: own.signal }).catch((e) => e)).message).toBe("source gave up")
    const result = await ctx.spawn(["/bin/sh", "-c", 'echo "$POLLECT_TEST"'], { env: { POLLECT_TEST: "kept" } })
    expect(result.stdout).toBe("kept\n")
    const live = new AbortController()
    expect((await ctx.spawn(["/bin/sh", "-c", "echo hi"], { signal: live.signal })).stdout).toBe("hi\n")
  })

  it("ctx.fetch fetches, and gives up at the probe's deadline or the source's own signal", async () => {
    const server = okServer()
    try {
      const url = `http://127.0.0.1:${server.port}/`
      const { ctx, setSignal } = make()
      expect(await (await ctx.fetch(url)).text()).toBe("ok")
      expect(await (await ctx.fetch(url, { method: "POST", body: "x" })).text()).toBe("ok")
      const own = new AbortController()
      own.abort(new Error("source gave up"))
      expect((await ctx.fetch(url, { signal: own.signal }).catch((e) => e)).message).toBe("source gave up")
      expect(await (await ctx.fetch(url, { signal: new AbortController().signal })).text()).toBe("ok")
      const deadline = new AbortController()
      setSignal(deadline.signal, 1000)
      deadline.abort(new Error("timed out after 1 s"))
      expect((await ctx.fetch(url).catch((e) => e)).message).toBe("timed out after 1 s")
      expect((await ctx.fetch(url, { signal: new AbortController().signal }).catch((e) => e)).message).toBe("timed out after 1 s")
    } finally {
      server.stop(true)
    }
  })
})
