import { afterAll, beforeAll, describe, expect, it } from "bun:test"
import { silentLogger } from "../../core/log.ts"
import { createSourceContext } from "../../core/source-context.ts"
import { connectTime, TcpTimeSource } from "./index.ts"
import { metrics } from "./metrics.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"

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

  it("an unknown host fails the probe", async () => {
    const { ctx } = createSourceContext({ log: silentLogger, stateDir: "/tmp", configDir: "/tmp" })
    const source = new TcpTimeSource({ type: "TcpTime", host: "no-such-host.invalid", port: 80 }, ctx)
    await expect(source.probe()).rejects.toThrow()
  })
})
