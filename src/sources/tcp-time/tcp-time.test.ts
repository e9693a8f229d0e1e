import { afterAll, beforeAll, describe, expect, it, spyOn } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { connect } from "node:net"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { silentLogger } from "../../core/log.ts"
import { createSourceContext } from "../../core/source-context.ts"
import { connectTime, TcpTimeSource } from "./index.ts"
import { metrics } from "./metrics.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { stuckListener } from "../../../test/helpers/stuck-listener.ts"

const CLOSED_PORT = freePort()

sourceConformance({
  type: "TcpTime",
  cls: TcpTimeSource,
  dir: import.meta.dir,
  // A listener on loopback stands in for config.json's host:port. The connect time is the one
  // value that varies between runs: checked to lie within the deadline, then written as 0.
  golden: async (testCase) => {
    let connections = 0
    const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void connections++, data() {} } })
    try {
      const set = await makeSource<TcpTimeSource>(TcpTimeSource, { ...testCase.config, port: server.port }).probe()
      expect(set.values).toHaveLength(1) // one connect time per probe
      for (const value of set.values) {
        expect(set.spec).toBe(metrics.time)
        expect(value.value).toBeGreaterThanOrEqual(0)
        expect(value.value).toBeLessThan(5000)
        value.value = 0
      }
      await Bun.sleep(20)
      expect(connections).toBe(1)
      return [set]
    } finally {
      server.stop(true)
    }
  },
  failing: {
    config: { type: "TcpTime", host: "127.0.0.1", port: CLOSED_PORT },
    message: new RegExp(`connect to 127\\.0\\.0\\.1:${CLOSED_PORT} failed`),
  },
})

let listener: Bun.TCPSocketListener<undefined>
let accepted = 0

beforeAll(() => {
  listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void accepted++, data() {} } })
})
afterAll(() => listener.stop(true))

describe("TcpTime", () => {
  it("measures the time to connect, in ms, and closes the connection", async () => {
    const before = accepted
    const source = makeSource<TcpTimeSource>(TcpTimeSource, { type: "TcpTime", host: "127.0.0.1", port: listener.port })
    const set = await source.probe()
    expect(set.values[0]!.value).toBeGreaterThanOrEqual(0)
    expect(set.values[0]!.value).toBeLessThan(1000)
    expect(set.unit).toBe("milliseconds")
    await Bun.sleep(20)
    expect(accepted).toBe(before + 1)
  })

  it("a refused connection fails the probe with a clear message", async () => {
    const port = freePort()
    const source = makeSource<TcpTimeSource>(TcpTimeSource, { type: "TcpTime", host: "127.0.0.1", port })
    await expect(source.probe()).rejects.toThrow(`connect to 127.0.0.1:${port} failed`)
  })

  it("gives up when the probe's deadline has passed", async () => {
    const controller = new AbortController()
    controller.abort()
    const pending = connectTime("127.0.0.1", listener.port, controller.signal)
    await expect(pending).rejects.toThrow("timed out")
  })

  it("reports the milliseconds between start and connect, rounded to 3 decimals", async () => {
    // The clock read at the start says 1000 ms, every later read 1012.3456789 ms: 12.346 ms.
    let reads = 0
    const now = spyOn(performance, "now").mockImplementation(() => (reads++ === 0 ? 1000 : 1012.3456789))
    try {
      const source = makeSource<TcpTimeSource>(TcpTimeSource, { type: "TcpTime", host: "127.0.0.1", port: listener.port })
      const set = await source.probe()
      expect(set.values.map((v) => v.value)).toEqual([12.346])
    } finally {
      now.mockRestore()
    }
  })

  it("leaves no listener on the probe's signal once connected (a long-lived signal would collect one per probe)", async () => {
    const controller = new AbortController()
    const added: unknown[] = []
    const removed: unknown[] = []
    const add = spyOn(controller.signal, "addEventListener").mockImplementation((type, listener) => void added.push([type, listener]))
    const remove = spyOn(controller.signal, "removeEventListener").mockImplementation(
      (type, listener) => void removed.push([type, listener]),
    )
    try {
      expect(await connectTime("127.0.0.1", listener.port, controller.signal)).toBeGreaterThanOrEqual(0)
      expect(added.length).toBe(1)
      expect((added[0] as unknown[])[0]).toBe("abort")
      expect(removed).toEqual(added)
    } finally {
      add.mockRestore()
      remove.mockRestore()
    }
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "TcpTime", aliases: [], cls: TcpTimeSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })

  it("an unknown host fails the probe", async () => {
    const { ctx } = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
    const source = new TcpTimeSource({ type: "TcpTime", host: "no-such-host.invalid", port: 80 }, ctx)
    await expect(source.probe()).rejects.toThrow()
  })
})

const openFds = () => readdirSync("/proc/self/fd").length

describe.skipIf(process.platform !== "linux")("TcpTime against a peer that never answers the SYN", () => {
  it("destroys the socket at the deadline: the fd count stays flat", async () => {
    const listener = stuckListener()
    try {
      // Fill the accept queue: this connection completes and stays queued, never accepted.
      const filler = connect({ host: "127.0.0.1", port: listener.port })
      await new Promise<void>((resolve, reject) => filler.once("connect", resolve).once("error", reject))
      // From now on a connect hangs: the probe gives up at its deadline.
      await expect(connectTime("127.0.0.1", listener.port, AbortSignal.timeout(100))).rejects.toThrow(
        `connect to 127.0.0.1:${listener.port} timed out`,
      )
      const before = openFds()
      for (let i = 0; i < 40; i++) {
        await expect(connectTime("127.0.0.1", listener.port, AbortSignal.timeout(20))).rejects.toThrow("timed out")
      }
      await Bun.sleep(50)
      // Before the fix each probe's socket stayed open until the kernel's connect timeout (+40).
      expect(openFds()).toBeLessThanOrEqual(before + 2)
      filler.destroy()
    } finally {
      listener.close()
    }
  })
})
