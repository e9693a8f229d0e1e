import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { toValueSets } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { goldenText } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { exposedSeries, pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { loadRegisterMap, mbapFrame, startFakeModbus, type FakeModbusServer } from "./fake-modbus-server.ts"
import { buildSets, SmaPvModbusSource } from "./index.ts"
import { ModbusTcpClient } from "./modbus-client.ts"
import {
  decodeReadResponse,
  describeRequest,
  encodeReadRequest,
  exceptionName,
  frameLength,
  functionName,
  maxResponseLength,
  ModbusException,
  type ReadRequest,
} from "./modbus-frame.ts"
import { planReads } from "./read-plan.ts"
import { decodeSmaValue, SMA_REGISTERS, wordsOf } from "./sma-registers.ts"

const TESTDATA = join(import.meta.dir, "testdata")
const FULL_MAP = loadRegisterMap(join(TESTDATA, "full-map", "registers.json"))
const never = () => new AbortController().signal

async function withFake<T>(server: FakeModbusServer, fn: (server: FakeModbusServer) => Promise<T>): Promise<T> {
  try {
    return await fn(server)
  } finally {
    server.stop()
  }
}

sourceConformance({
  type: "SmaPvModbus",
  cls: SmaPvModbusSource,
  dir: import.meta.dir,
  // The raw fake serves the case's registers.json (the integration test serves the same maps
  // with pymodbus and compares with the same expected.txt).
  golden: (testCase) =>
    withFake(startFakeModbus(loadRegisterMap(join(testCase.dir, "registers.json"))), async (server) => {
      const source = makeSource<SmaPvModbusSource>(SmaPvModbusSource, { ...testCase.config, port: server.port })
      try {
        return [await source.probe()]
      } finally {
        await source.close()
      }
    }),
  failing: {
    config: { type: "SmaPvModbus", host: "127.0.0.1", port: freePort() },
    message: /connect to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/,
  },
})

describe("SmaPvModbus: SMA values", () => {
  it("decodes signed, unsigned and 64-bit words with FIXn scaling", () => {
    expect(decodeSmaValue(SMA_REGISTERS.temperature, [0xffff, 0xffcc])).toBe(-5.2)
    expect(decodeSmaValue(SMA_REGISTERS.temperature, [0, 453])).toBe(45.3)
    expect(decodeSmaValue(SMA_REGISTERS.voltageL1, [0, 23105])).toBe(231.05)
    expect(decodeSmaValue(SMA_REGISTERS.dcCurrentA, [0, 7891])).toBe(7.891)
    expect(decodeSmaValue(SMA_REGISTERS.frequency, [0x0001, 0x0000])).toBe(655.36)
    expect(decodeSmaValue(SMA_REGISTERS.energy, [0x0001, 0x0000, 0x0000, 0x0002])).toBe(2 ** 48 + 2)
    expect(decodeSmaValue({ address: 1, type: "S16", format: "FIX1", channel: "x" }, [0xfff6])).toBe(-1)
    expect(decodeSmaValue({ address: 1, type: "U16", format: "FIX0", channel: "x" }, [0xfff6])).toBe(65526)
  })

  it("SMA's NaN of each type is missing, not a huge number or 0", () => {
    expect(decodeSmaValue({ address: 1, type: "S16", format: "FIX0", channel: "x" }, [0x8000])).toBeUndefined()
    expect(decodeSmaValue({ address: 1, type: "U16", format: "FIX0", channel: "x" }, [0xffff])).toBeUndefined()
    expect(decodeSmaValue(SMA_REGISTERS.power, [0x8000, 0x0000])).toBeUndefined()
    expect(decodeSmaValue(SMA_REGISTERS.frequency, [0xffff, 0xffff])).toBeUndefined()
    expect(decodeSmaValue(SMA_REGISTERS.energy, [0xffff, 0xffff, 0xffff, 0xffff])).toBeUndefined()
    expect(decodeSmaValue(SMA_REGISTERS.health, [0x00ff, 0xfffd])).toBeUndefined()
    // Next to a NaN, but a value: S32 -1, U32 0xFFFFFFFE, U64 with one word off.
    expect(decodeSmaValue(SMA_REGISTERS.power, [0xffff, 0xffff])).toBe(-1)
    expect(decodeSmaValue(SMA_REGISTERS.frequency, [0xffff, 0xfffe])).toBe(42949672.94)
    expect(decodeSmaValue(SMA_REGISTERS.energy, [0xffff, 0xffff, 0xffff, 0xfffe])).toBe(2 ** 64 - 2)
  })

  it("refuses words of the wrong count", () => {
    expect(() => decodeSmaValue(SMA_REGISTERS.energy, [0, 0])).toThrow("needs 4 words, got 2")
  })

  it("reads every register in 4 requests of at most 125 registers", () => {
    const spans = Object.values(SMA_REGISTERS).map((r) => ({ address: r.address, count: wordsOf(r.type) }))
    expect(planReads(spans)).toEqual([
      { address: 30201, count: 2 },
      { address: 30513, count: 8 },
      { address: 30769, count: 36 },
      { address: 30953, count: 30 },
    ])
    expect(
      planReads([
        { address: 0, count: 100 },
        { address: 100, count: 50 },
      ]),
    ).toEqual([
      { address: 0, count: 100 },
      { address: 100, count: 50 },
    ])
    expect(
      planReads([
        { address: 10, count: 2 },
        { address: 0, count: 2 },
        { address: 11, count: 4 },
      ]),
    ).toEqual([{ address: 0, count: 15 }])
    expect(
      planReads([
        { address: 0, count: 2 },
        { address: 20, count: 2 },
      ]),
    ).toEqual([
      { address: 0, count: 2 },
      { address: 20, count: 2 },
    ])
    expect(() => planReads([{ address: 0, count: 126 }])).toThrow("does not fit")
  })
})

describe("SmaPvModbus: Modbus TCP framing", () => {
  const request: ReadRequest = { transactionId: 0x1234, unitId: 3, fn: 0x03, address: 30775, count: 2 }

  it("encodes a read request with its MBAP header", () => {
    expect([...encodeReadRequest(request)]).toEqual([0x12, 0x34, 0, 0, 0, 6, 3, 0x03, 0x78, 0x37, 0, 2])
    expect(() => encodeReadRequest({ ...request, count: 126 })).toThrow("not 1..125")
    expect(() => encodeReadRequest({ ...request, address: 65535 })).toThrow("not 0..65535")
  })

  it("decodes an answer and refuses one that does not fit the request", () => {
    const good = mbapFrame(0x1234, 3, [0x03, 4, 0, 0, 0x1d, 0xe6])
    expect(frameLength(good, request)).toBe(good.length)
    expect([...decodeReadResponse(good, request)]).toEqual([0, 7654])
    expect(frameLength(good.subarray(0, 6), request)).toBeUndefined()
    expect(() => decodeReadResponse(mbapFrame(0x1235, 3, [0x03, 4, 0, 0, 0, 0]), request)).toThrow("transaction id 4661, expected 4660")
    expect(() => decodeReadResponse(mbapFrame(0x1234, 4, [0x03, 4, 0, 0, 0, 0]), request)).toThrow("from unit 4")
    expect(() => decodeReadResponse(mbapFrame(0x1234, 3, [0x04, 4, 0, 0, 0, 0]), request)).toThrow("function 0x04")
    expect(() => decodeReadResponse(mbapFrame(0x1234, 3, [0x03, 2, 0, 0]), request)).toThrow("2 data bytes")
    expect(() => frameLength(mbapFrame(0x1234, 3, [0x03, 6, 0, 0, 0, 0, 0, 0]), request)).toThrow("longer than the 13")
    const http = new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n")
    expect(() => frameLength(http, request)).toThrow("not a Modbus TCP answer")
  })

  it("an exception response names its code", () => {
    const error = (() => {
      try {
        decodeReadResponse(mbapFrame(0x1234, 3, [0x83, 2]), request)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(ModbusException)
    expect((error as ModbusException).code).toBe(2)
    expect((error as Error).message).toBe("Modbus exception 2 (illegal data address) for read holding registers 30775..30776 (2) on unit 3")
  })
})

describe("SmaPvModbus: against a raw fake", () => {
  const probeOf = (port: number, extra: Record<string, unknown> = {}) =>
    makeSource<SmaPvModbusSource>(SmaPvModbusSource, { type: "SmaPvModbus", host: "127.0.0.1", port, ...extra })

  it("keeps one connection across ticks and asks for the unit id once per connection", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const source = probeOf(server.port)
      for (let i = 0; i < 3; i++) await source.probe()
      expect(server.connections()).toBe(1)
      expect(server.requests.map((r) => `${r.unitId}:${r.address}+${r.count}`)).toEqual([
        "1:42109+4",
        ...Array.from({ length: 3 }, () => ["3:30201+2", "3:30513+8", "3:30769+36", "3:30953+30"]).flat(),
      ])
      expect(new Set(server.requests.map((r) => r.transactionId)).size).toBe(server.requests.length)
      await source.close()
      await source.close()
    }))

  it("uses function 0x04 for registerType input, and a configured unit id without asking", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const source = probeOf(server.port, { registerType: "input", unitId: 3 })
      await source.probe()
      expect(server.requests.map((r) => r.fn)).toEqual([4, 4, 4, 4])
      await source.close()
    }))

  it("falls back to unit id 3 when unit 1 refuses the discovery read", () =>
    withFake(startFakeModbus({ units: { "3": FULL_MAP.units["3"]! } }), async (server) => {
      const lines: string[] = []
      const source = makeSource<SmaPvModbusSource>(
        SmaPvModbusSource,
        { type: "SmaPvModbus", host: "127.0.0.1", port: server.port },
        { log: lines },
      )
      const sets = await source.probe()
      expect(sets.length).toBeGreaterThan(10)
      expect(lines.join("\n")).toContain("using SMA's default 3")
      await source.close()
    }))

  it("an exception answer names the code; the connection stays and the next tick succeeds", async () => {
    let refuse = true
    await withFake(
      startFakeModbus(FULL_MAP, {
        answer: (r) => (refuse && r.address === 30769 ? mbapFrame(r.transactionId, r.unitId, [r.fn | 0x80, 2]) : undefined),
      }),
      async (server) => {
        const source = probeOf(server.port)
        await expect(source.probe()).rejects.toThrow(
          `Modbus exception 2 (illegal data address) for read holding registers 30769..30804 (36) on unit 3 from 127.0.0.1:${server.port}`,
        )
        refuse = false
        expect((await source.probe()).length).toBeGreaterThan(10)
        expect(server.connections()).toBe(1)
        await source.close()
      },
    )
  })

  it("a server that closes the connection: a clear failure this tick, a new connection next tick", () =>
    withFake(startFakeModbus(FULL_MAP, { answer: (r) => (r.connection === 1 && r.index === 3 ? "close" : undefined) }), async (server) => {
      const source = probeOf(server.port)
      await expect(source.probe()).rejects.toThrow(
        `connection closed by 127.0.0.1:${server.port} before answering to read holding registers 30513..30520 (8) on unit 3`,
      )
      const sets = await source.probe()
      expect(goldenText([resultOf(toValueSets(sets), { type: "SmaPvModbus" })])).toBe(
        await Bun.file(join(TESTDATA, "full-map", "expected.txt")).text(),
      )
      expect(server.connections()).toBe(2)
      // The new connection asked for the unit id again, as 1.2 does after connecting.
      expect(server.requests.filter((r) => r.address === 42109).map((r) => r.connection)).toEqual([1, 2])
      await source.close()
    }))

  it("a truncated answer that never completes ends at the deadline", () =>
    withFake(
      startFakeModbus(FULL_MAP, { answer: (r, normal) => (r.address === 30769 ? normal.subarray(0, 20) : undefined) }),
      async (server) => {
        const client = new ModbusTcpClient("127.0.0.1", server.port)
        await expect(client.read(3, 3, 30769, 36, AbortSignal.timeout(300))).rejects.toThrow(
          `timed out waiting for the answer to read holding registers 30769..30804 (36) on unit 3 from 127.0.0.1:${server.port}`,
        )
        client.close()
      },
    ))

  it("a truncated answer followed by the server closing names the truncation", () =>
    withFake(
      startFakeModbus(FULL_MAP, { answer: (r, normal) => (r.address === 30769 ? normal.subarray(0, 20) : undefined) }),
      async (server) => {
        // The fake sends 20 bytes, then the test closes the server's side by stopping it.
        const client = new ModbusTcpClient("127.0.0.1", server.port)
        const pending = client.read(3, 3, 30769, 36, never())
        await Bun.sleep(50)
        server.stop()
        await expect(pending).rejects.toThrow(
          `after 20 bytes of the answer (truncated) to read holding registers 30769..30804 (36) on unit 3`,
        )
        client.close()
      },
    ))

  it("garbage, an oversized answer and a wrong transaction id are refused, bounded, and the next read reconnects", async () => {
    const hostile: Record<string, (r: { transactionId: number; unitId: number }) => Uint8Array> = {
      "not a Modbus TCP answer (protocol id 21584": () => new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"),
      "not a Modbus TCP answer (protocol id 16705": () => new Uint8Array(1 << 20).fill(0x41),
      "bytes after the answer to read holding registers 30775..30776": (r) =>
        new Uint8Array([...mbapFrame(r.transactionId, r.unitId, [0x03, 4, 0, 0, 0, 1]), ...new Uint8Array(1 << 20)]),
      "longer than the 13 an answer": (r) => mbapFrame(r.transactionId, r.unitId, [0x03, 200, ...new Array(200).fill(0)]),
      "transaction id": (r) => mbapFrame(r.transactionId ^ 0xff, r.unitId, [0x03, 4, 0, 0, 0, 0]),
      "bytes after the answer": (r) => new Uint8Array([...mbapFrame(r.transactionId, r.unitId, [0x03, 4, 0, 0, 0, 1]), 0, 0]),
    }
    for (const [message, bytes] of Object.entries(hostile)) {
      let first = true
      await withFake(
        startFakeModbus(FULL_MAP, {
          answer: (r) => {
            if (!first) return undefined
            first = false
            return bytes(r)
          },
        }),
        async (server) => {
          const client = new ModbusTcpClient("127.0.0.1", server.port)
          await expect(client.read(3, 3, 30775, 2, never())).rejects.toThrow(message)
          const registers = await client.read(3, 3, 30775, 2, never())
          expect([...registers]).toEqual([0, 7654])
          expect(server.connections()).toBe(2)
          client.close()
        },
      )
    }
  })

  it("a server that never answers fails at the probe's deadline and leaves no connection", () =>
    withFake(startFakeModbus(FULL_MAP, { answer: () => "silent" }), async (server) => {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      const started = performance.now()
      await expect(client.read(3, 3, 30775, 2, AbortSignal.timeout(200))).rejects.toThrow("timed out waiting for the answer")
      expect(performance.now() - started).toBeLessThan(2000)
      // The late connection is gone: the next read opens a new one.
      const next = client.read(3, 3, 30775, 2, AbortSignal.timeout(200))
      await expect(next).rejects.toThrow("timed out")
      expect(server.connections()).toBe(2)
      client.close()
    }))

  it("a refused connection names host and port", async () => {
    const port = freePort()
    await expect(probeOf(port).probe()).rejects.toThrow(`connect to 127.0.0.1:${port} failed`)
  })
})

describe("SmaPvModbus: side by side with pollect 1.2 (testdata/python-1.2)", () => {
  const ours = (testCase: string) =>
    withFake(startFakeModbus(loadRegisterMap(join(TESTDATA, testCase, "registers.json"))), async (server) => {
      const source = makeSource<SmaPvModbusSource>(SmaPvModbusSource, { type: "SmaPvModbus", host: "127.0.0.1", port: server.port })
      try {
        return pollectExposition([resultOf(await source.probe(), { type: "SmaPvModbus" })])
      } finally {
        await source.close()
      }
    })
  const recorded = (testCase: string) => Bun.file(join(TESTDATA, "python-1.2", `${testCase}.metrics.txt`)).text()

  it("full map: exactly 1.2's series (names, labels), the values equal but for 1.2's float scaling", async () => {
    const { python, ours: mine } = sideBySide(await recorded("full-map"), await ours("full-map"))
    expect(python.size).toBe(9)
    expect([...mine.keys()].sort()).toEqual([...python.keys()].sort())
    for (const [series, value] of python) expect(mine.get(series)!).toBeCloseTo(value, 9)
    expect(python.get("pollect_SmaPvModbus_temp{}")).toBe(45.300000000000004)
    expect(mine.get("pollect_SmaPvModbus_temp{}")).toBe(45.3)
  })

  it("NaN markers: where 1.2 reports 0 (or −5.2 °C as 429496724.4) ours leaves the series out (or is right)", async () => {
    const python = exposedSeries(await recorded("nan-markers"))
    const mine = exposedSeries(await ours("nan-markers"))
    const zeroIn12 = [...python].filter(([, value]) => value === 0).map(([series]) => series)
    expect(zeroIn12.sort()).toEqual([
      'pollect_SmaPvModbus_ac_voltage{phase="2"}',
      'pollect_SmaPvModbus_ac_voltage{phase="3"}',
      "pollect_SmaPvModbus_dc_current{}",
      "pollect_SmaPvModbus_dc_voltage{}",
      "pollect_SmaPvModbus_frequency{}",
      "pollect_SmaPvModbus_power{}",
    ])
    for (const series of zeroIn12) expect(mine.has(series)).toBe(false)
    expect(python.get("pollect_SmaPvModbus_temp{}")).toBe(429496724.40000004)
    expect(mine.get("pollect_SmaPvModbus_temp{}")).toBe(-5.2)
    expect(mine.get("pollect_SmaPvModbus_energy{}")).toBe(python.get("pollect_SmaPvModbus_energy{}")!)
    expect(mine.get('pollect_SmaPvModbus_ac_voltage{phase="1"}')).toBeCloseTo(python.get('pollect_SmaPvModbus_ac_voltage{phase="1"}')!, 9)
  })
})

describe("SmaPvModbus: its README", () => {
  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(
      regenerated({ kind: "sources", type: "SmaPvModbus", aliases: [], cls: SmaPvModbusSource, dir: import.meta.dir, readme }, text),
    ).toBe(text)
  })
})

/** A raw Modbus TCP server on loopback: `onRequest` gets each 12-byte request and its socket, and answers as it likes. */
function rawServer(onRequest: (socket: import("bun").Socket<undefined>, request: { transactionId: number; unitId: number }) => void) {
  let connections = 0
  const listener = Bun.listen<undefined>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open() {
        connections++
      },
      data(socket, chunk) {
        onRequest(socket, { transactionId: (chunk[0]! << 8) | chunk[1]!, unitId: chunk[6]! })
      },
    },
  })
  return { port: listener.port, connections: () => connections, stop: () => listener.stop(true) }
}

/** The normal answer to a read of 30775 (2 registers): 0, 7654. */
const answer30775 = (r: { transactionId: number; unitId: number }) => mbapFrame(r.transactionId, r.unitId, [0x03, 4, 0, 0, 0x1d, 0xe6])

const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "no error",
    (e: Error) => e.message,
  )

describe("SmaPvModbus: the Modbus TCP client", () => {
  it("numbers requests 1, 2, 3 ... and wraps after 65535 to 1; counts its connections", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      for (let i = 0; i < 3; i++) await client.read(3, 3, 30775, 2, never())
      expect(client.connections).toBe(1)
      ;(client as unknown as { nextTransactionId: number }).nextTransactionId = 0xffff
      await client.read(3, 3, 30775, 2, never())
      await client.read(3, 3, 30775, 2, never())
      expect(server.requests.map((r) => r.transactionId)).toEqual([1, 2, 3, 0xffff, 1])
      client.close()
      expect(client.isOpen).toBe(false)
      await client.read(3, 3, 30775, 2, never())
      expect([client.connections, server.connections()]).toEqual([2, 2])
      client.close()
    }))

  it("a deadline already passed fails at once, without connecting", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      const gone = new AbortController()
      gone.abort()
      expect(await failureOf(client.read(3, 3, 30775, 2, gone.signal))).toBe(
        `timed out before read holding registers 30775..30776 (2) on unit 3 from 127.0.0.1:${server.port}`,
      )
      await Bun.sleep(50)
      expect(server.connections()).toBe(0)
      expect(client.isOpen).toBe(false)
    }))

  it("a deadline while connecting says so", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      const deadline = new AbortController()
      const pending = client.read(3, 3, 30775, 2, deadline.signal)
      // A few microtasks: the read has started to connect, and no I/O could have completed it.
      for (let i = 0; i < 5; i++) await Promise.resolve()
      deadline.abort()
      expect(await failureOf(pending)).toBe(`connect to 127.0.0.1:${server.port} timed out`)
      expect(client.isOpen).toBe(false)
      expect(client.connections).toBe(0)
    }))

  it("close() fails the read in flight; the next read connects again", () =>
    withFake(startFakeModbus(FULL_MAP, { answer: (r) => (r.connection === 1 ? "silent" : undefined) }), async (server) => {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      const pending = client.read(3, 3, 30775, 2, never())
      await Bun.sleep(50)
      client.close()
      expect(await failureOf(pending)).toBe(`connection to 127.0.0.1:${server.port} closed`)
      expect([...(await client.read(3, 3, 30775, 2, never()))]).toEqual([0, 7654])
      expect(server.connections()).toBe(2)
      client.close()
    }))

  it("a deadline that passes after its read answered leaves the connection alone", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      const first = new AbortController()
      await client.read(3, 3, 30775, 2, first.signal)
      await client.read(3, 3, 30775, 2, first.signal)
      first.abort()
      expect(client.isOpen).toBe(true)
      expect([...(await client.read(3, 3, 30775, 2, never()))]).toEqual([0, 7654])
      expect(server.connections()).toBe(1)
      client.close()
    }))

  it("the server closing an idle connection: forgotten quietly, the next read connects again", () =>
    withFake(startFakeModbus(FULL_MAP), async (first) => {
      const client = new ModbusTcpClient("127.0.0.1", first.port)
      await client.read(3, 3, 30775, 2, never())
      first.stop()
      const deadline = Date.now() + 5000
      while (client.isOpen && Date.now() < deadline) await Bun.sleep(10)
      expect(client.isOpen).toBe(false)
      client.close()
    }))

  it("a reset connection names the reset", async () => {
    const server = rawServer((socket) => socket.terminate())
    try {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      expect(await failureOf(client.read(3, 3, 30775, 2, never()))).toBe(
        `connection closed by 127.0.0.1:${server.port} (ECONNRESET) before answering to read holding registers 30775..30776 (2) on unit 3`,
      )
      expect(client.isOpen).toBe(false)
    } finally {
      server.stop()
    }
  })

  it("bytes after the answer: how many, in one chunk or later", async () => {
    for (const [extra, more] of [
      [2, 0],
      [1 << 16, 0],
      [3, 40],
    ] as const) {
      const server = rawServer((socket, r) => {
        socket.write(new Uint8Array([...answer30775(r), ...new Uint8Array(more ? 0 : extra)]))
        if (more) setTimeout(() => socket.write(new Uint8Array(extra)), more)
      })
      try {
        const client = new ModbusTcpClient("127.0.0.1", server.port)
        if (more) {
          // The answer alone is whole: the read succeeds; the late bytes drop the connection.
          expect([...(await client.read(3, 3, 30775, 2, never()))]).toEqual([0, 7654])
          const deadline = Date.now() + 5000
          while (client.isOpen && Date.now() < deadline) await Bun.sleep(10)
          expect(client.isOpen).toBe(false)
        } else {
          expect(await failureOf(client.read(3, 3, 30775, 2, never()))).toBe(
            `127.0.0.1:${server.port} sent ${extra} bytes after the answer to read holding registers 30775..30776 (2) on unit 3`,
          )
        }
        client.close()
      } finally {
        server.stop()
      }
    }
  })

  it("an answer in pieces, the first shorter than the header, is waited for", async () => {
    const server = rawServer((socket, r) => {
      const frame = answer30775(r)
      socket.write(frame.subarray(0, 3))
      setTimeout(() => socket.write(frame.subarray(3, 9)), 30)
      setTimeout(() => socket.write(frame.subarray(9)), 60)
    })
    try {
      const client = new ModbusTcpClient("127.0.0.1", server.port)
      expect([...(await client.read(3, 3, 30775, 2, never()))]).toEqual([0, 7654])
      client.close()
    } finally {
      server.stop()
    }
  })
})

describe("SmaPvModbus: Modbus TCP framing, every rule", () => {
  const request: ReadRequest = { transactionId: 0x1234, unitId: 3, fn: 0x03, address: 30775, count: 2 }
  const problem = (fn: () => unknown) => {
    try {
      return fn()
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`
    }
  }

  it("names every exception code of the specification", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(exceptionName)).toEqual([
      "1 (illegal function)",
      "2 (illegal data address)",
      "3 (illegal data value)",
      "4 (server device failure)",
      "5 (acknowledge)",
      "6 (server device busy)",
      "7 (unknown exception code)",
      "8 (memory parity error)",
      "9 (unknown exception code)",
      "10 (gateway path unavailable)",
      "11 (gateway target device failed to respond)",
      "12 (unknown exception code)",
    ])
    expect([functionName(3), functionName(4)]).toEqual(["read holding registers", "read input registers"])
    expect(describeRequest({ ...request, fn: 4, address: 0, count: 1 })).toBe("read input registers 0..0 (1) on unit 3")
    const error = new ModbusException(6, request)
    expect([error.name, error.code, error.message]).toEqual([
      "ModbusException",
      6,
      "Modbus exception 6 (server device busy) for read holding registers 30775..30776 (2) on unit 3",
    ])
  })

  it("a request: 1 to 125 whole registers within 0..65535; the transaction id taken modulo 65536", () => {
    for (const count of [0, 126, 1.5])
      expect(problem(() => encodeReadRequest({ ...request, count }))).toBe(`RangeError: register count ${count} is not 1..125`)
    for (const address of [-1, 1.5, 65535])
      expect(problem(() => encodeReadRequest({ ...request, address }))).toBe(`RangeError: register address ${address} is not 0..65535`)
    expect([...encodeReadRequest({ ...request, address: 65534, count: 2 })].slice(8)).toEqual([0xff, 0xfe, 0, 2])
    expect([...encodeReadRequest({ ...request, address: 0, count: 125 })].slice(8)).toEqual([0, 0, 0, 125])
    expect([...encodeReadRequest({ ...request, fn: 4, unitId: 247, count: 1 })]).toEqual([0x12, 0x34, 0, 0, 0, 6, 247, 4, 0x78, 0x37, 0, 1])
    expect([...encodeReadRequest({ ...request, transactionId: 0x12345 })].slice(0, 2)).toEqual([0x23, 0x45])
  })

  it("the longest answer: header, function, byte count, the registers", () => {
    expect(maxResponseLength(request)).toBe(13)
    expect(maxResponseLength({ ...request, count: 125 })).toBe(259)
  })

  it("an answer's header: length known from 7 bytes, protocol 0, a length field of 3 up to what the request allows", () => {
    const header = (protocol: number, length: number) =>
      new Uint8Array([0x12, 0x34, protocol >> 8, protocol & 0xff, length >> 8, length & 0xff, 3])
    expect(frameLength(header(0, 3).subarray(0, 6), request)).toBeUndefined()
    expect(frameLength(header(0, 3), request)).toBe(9)
    expect(frameLength(header(0, 7), request)).toBe(13)
    expect(problem(() => frameLength(header(0, 8), request))).toBe(
      "Error: Modbus answer of 14 bytes is longer than the 13 an answer to read holding registers 30775..30776 (2) on unit 3 can be",
    )
    expect(problem(() => frameLength(header(0, 2), request))).toBe(
      "Error: Modbus answer too short (length field 2) to read holding registers 30775..30776 (2) on unit 3",
    )
    expect(problem(() => frameLength(header(1, 7), request))).toBe(
      "Error: not a Modbus TCP answer (protocol id 1, expected 0) to read holding registers 30775..30776 (2) on unit 3",
    )
    // A header inside a larger buffer is read where it starts.
    const inside = new Uint8Array([9, 9, 9, ...header(0, 7)]).subarray(3)
    expect(frameLength(inside, request)).toBe(13)
  })

  it("an answer's body: the transaction id modulo 65536, unit, function, byte count and frame length must fit", () => {
    const good = mbapFrame(0x1234, 3, [0x03, 4, 0x12, 0x34, 0xab, 0xcd])
    expect([...decodeReadResponse(good, { ...request, transactionId: 0x11234 })]).toEqual([0x1234, 0xabcd])
    const inside = new Uint8Array([7, 7, ...good]).subarray(2)
    expect([...decodeReadResponse(inside, request)]).toEqual([0x1234, 0xabcd])
    const cases: [Uint8Array, string][] = [
      [
        mbapFrame(0x1235, 3, [0x03, 4, 0, 0, 0, 0]),
        "Modbus answer with transaction id 4661, expected 4660 (read holding registers 30775..30776 (2) on unit 3)",
      ],
      [mbapFrame(0x1234, 1, [0x03, 4, 0, 0, 0, 0]), "Modbus answer from unit 1 to read holding registers 30775..30776 (2) on unit 3"],
      [
        mbapFrame(0x1234, 3, [0x10, 4, 0, 0, 0, 0]),
        "Modbus answer with function 0x10 to read holding registers 30775..30776 (2) on unit 3",
      ],
      [mbapFrame(0x1234, 3, [0x84, 2]), "Modbus answer with function 0x84 to read holding registers 30775..30776 (2) on unit 3"],
      [
        mbapFrame(0x1234, 3, [0x03, 6, 0, 0, 0, 0, 0, 0]),
        "Modbus answer with 6 data bytes in a 15-byte frame, expected 4 (read holding registers 30775..30776 (2) on unit 3)",
      ],
      [
        mbapFrame(0x1234, 3, [0x03, 4, 0, 0, 0]),
        "Modbus answer with 4 data bytes in a 12-byte frame, expected 4 (read holding registers 30775..30776 (2) on unit 3)",
      ],
      [
        mbapFrame(0x1234, 3, [0x03, 4, 0, 0, 0, 0, 0]),
        "Modbus answer with 4 data bytes in a 14-byte frame, expected 4 (read holding registers 30775..30776 (2) on unit 3)",
      ],
    ]
    for (const [frame, message] of cases) expect(problem(() => decodeReadResponse(frame, request))).toBe(`Error: ${message}`)
    expect(problem(() => decodeReadResponse(mbapFrame(0x1234, 3, [0x01, 0]), request))).toBe(
      "Error: Modbus answer with function 0x01 to read holding registers 30775..30776 (2) on unit 3",
    )
    expect(problem(() => decodeReadResponse(mbapFrame(0x1234, 3, [0x83, 4]), request))).toBe(
      "ModbusException: Modbus exception 4 (server device failure) for read holding registers 30775..30776 (2) on unit 3",
    )
    expect(problem(() => decodeReadResponse(mbapFrame(0x1234, 3, [0x84, 1]), { ...request, fn: 4 }))).toBe(
      "ModbusException: Modbus exception 1 (illegal function) for read input registers 30775..30776 (2) on unit 3",
    )
  })
})

describe("SmaPvModbus: the unit id", () => {
  /** FULL_MAP with unit 1's registers 42109..42112 holding `unitId` (and the inverter's data under that unit). */
  const mapWithUnit = (unitId: number) => {
    const discovery = { "42109": [2874, 20257, 130, unitId] }
    if (unitId === 1) return { units: { "1": { ...FULL_MAP.units["3"]!, ...discovery } } }
    return { units: { "1": discovery, [String(unitId)]: FULL_MAP.units["3"]! } }
  }

  it("a unit id 1..247 from register 42112 is used and logged; outside that the probe fails naming it", async () => {
    for (const unitId of [1, 247]) {
      await withFake(startFakeModbus(mapWithUnit(unitId)), async (server) => {
        const lines: string[] = []
        const source = makeSource<SmaPvModbusSource>(
          SmaPvModbusSource,
          { type: "SmaPvModbus", host: "127.0.0.1", port: server.port },
          { log: lines },
        )
        expect((await source.probe()).length).toBeGreaterThan(10)
        expect(new Set(server.requests.slice(1).map((r) => r.unitId))).toEqual(new Set([unitId]))
        expect(lines.some((line) => line.endsWith(`unit id ${unitId} (register 42112 of unit 1)`))).toBe(true)
        await source.close()
      })
    }
    for (const unitId of [0, 248]) {
      await withFake(startFakeModbus(mapWithUnit(unitId)), async (server) => {
        const source = makeSource<SmaPvModbusSource>(SmaPvModbusSource, { type: "SmaPvModbus", host: "127.0.0.1", port: server.port })
        await expect(source.probe()).rejects.toThrow(`127.0.0.1:${server.port} gives unit id ${unitId} in register 42112: set unitId`)
        await source.close()
      })
    }
  })

  it("the fallback to 3 names the exception; a failure that is no Modbus exception fails the probe", async () => {
    await withFake(startFakeModbus({ units: { "3": FULL_MAP.units["3"]! } }), async (server) => {
      const lines: string[] = []
      const source = makeSource<SmaPvModbusSource>(
        SmaPvModbusSource,
        { type: "SmaPvModbus", host: "127.0.0.1", port: server.port },
        { log: lines },
      )
      await source.probe()
      expect(
        lines.some((line) =>
          line.endsWith(
            `no unit id in register 42112 of unit 1 (Modbus exception 11 (gateway target device failed to respond) for read holding registers 42109..42112 (4) on unit 1 from 127.0.0.1:${server.port}): using SMA's default 3`,
          ),
        ),
      ).toBe(true)
      await source.close()
    })
    await withFake(startFakeModbus(FULL_MAP, { answer: (r) => (r.address === 42109 ? "close" : undefined) }), async (server) => {
      const source = makeSource<SmaPvModbusSource>(SmaPvModbusSource, { type: "SmaPvModbus", host: "127.0.0.1", port: server.port })
      await expect(source.probe()).rejects.toThrow(
        `connection closed by 127.0.0.1:${server.port} before answering to read holding registers 42109..42112 (4) on unit 1`,
      )
      await source.close()
    })
  })

  it("a configured unit id 0 is used as it is", () =>
    withFake(startFakeModbus({ units: { "0": FULL_MAP.units["3"]! } }), async (server) => {
      const source = makeSource<SmaPvModbusSource>(SmaPvModbusSource, {
        type: "SmaPvModbus",
        host: "127.0.0.1",
        port: server.port,
        unitId: 0,
      })
      await source.probe()
      expect(server.requests.map((r) => r.unitId)).toEqual([0, 0, 0, 0])
      expect(server.requests.map((r) => r.fn)).toEqual([3, 3, 3, 3])
      await source.close()
    }))

  it("close() then a probe: a new connection asks for the unit id again", () =>
    withFake(startFakeModbus(FULL_MAP), async (server) => {
      const source = makeSource<SmaPvModbusSource>(SmaPvModbusSource, { type: "SmaPvModbus", host: "127.0.0.1", port: server.port })
      await source.probe()
      source.close()
      await source.probe()
      expect(server.requests.filter((r) => r.address === 42109).map((r) => r.connection)).toEqual([1, 2])
      source.close()
    }))
})

describe("SmaPvModbus: read plan limits", () => {
  it("a gap of up to maxGap registers is read along; the merged request stays within maxCount", () => {
    expect(
      planReads([
        { address: 0, count: 2 },
        { address: 18, count: 2 },
      ]),
    ).toEqual([{ address: 0, count: 20 }])
    expect(
      planReads([
        { address: 0, count: 2 },
        { address: 19, count: 2 },
      ]),
    ).toEqual([
      { address: 0, count: 2 },
      { address: 19, count: 2 },
    ])
    expect(
      planReads(
        [
          { address: 0, count: 2 },
          { address: 5, count: 2 },
        ],
        2,
      ),
    ).toEqual([
      { address: 0, count: 2 },
      { address: 5, count: 2 },
    ])
    expect(
      planReads(
        [
          { address: 0, count: 2 },
          { address: 4, count: 2 },
        ],
        2,
      ),
    ).toEqual([{ address: 0, count: 6 }])
    expect(
      planReads([
        { address: 0, count: 100 },
        { address: 100, count: 25 },
      ]),
    ).toEqual([{ address: 0, count: 125 }])
    expect(
      planReads([
        { address: 0, count: 10 },
        { address: 2, count: 3 },
      ]),
    ).toEqual([{ address: 0, count: 10 }])
    expect(
      planReads(
        [
          { address: 0, count: 4 },
          { address: 4, count: 4 },
        ],
        16,
        7,
      ),
    ).toEqual([
      { address: 0, count: 4 },
      { address: 4, count: 4 },
    ])
    expect(() => planReads([{ address: 0, count: 0 }])).toThrow(new RangeError("a span of 0 registers does not fit one request"))
    expect(planReads([{ address: 0, count: 125 }])).toEqual([{ address: 0, count: 125 }])
    expect(planReads([{ address: 7, count: 1 }])).toEqual([{ address: 7, count: 1 }])
    expect(planReads([])).toEqual([])
  })

  it("does not change the spans it was given", () => {
    const spans = [
      { address: 4, count: 2 },
      { address: 0, count: 2 },
    ]
    planReads(spans)
    expect(spans).toEqual([
      { address: 4, count: 2 },
      { address: 0, count: 2 },
    ])
  })
})

describe("SmaPvModbus: SMA types and formats", () => {
  const register = (type: "S16" | "U16" | "S32" | "U32" | "U64", format: "FIX0" | "FIX1" | "FIX2" | "FIX3" | "ENUM") => ({
    address: 1,
    type,
    format,
    channel: "x",
  })

  it("words per type", () => {
    expect((["S16", "U16", "S32", "U32", "U64"] as const).map(wordsOf)).toEqual([1, 1, 2, 2, 4])
  })

  it("every format's divisor; an ENUM's NaN only as a whole U32", () => {
    expect(decodeSmaValue(register("U32", "FIX0"), [0, 1234])).toBe(1234)
    expect(decodeSmaValue(register("U32", "FIX1"), [0, 1234])).toBe(123.4)
    expect(decodeSmaValue(register("U32", "FIX2"), [0, 1234])).toBe(12.34)
    expect(decodeSmaValue(register("U32", "FIX3"), [0, 1234])).toBe(1.234)
    expect(decodeSmaValue(register("U32", "ENUM"), [0, 1234])).toBe(1234)
    expect(decodeSmaValue(register("U32", "FIX0"), [0x00ff, 0xfffd])).toBe(0x00fffffd)
    expect(decodeSmaValue(register("U32", "ENUM"), [0x00ff, 0xfffe])).toBe(0x00fffffe)
    expect(decodeSmaValue(register("S32", "FIX0"), [0x8000, 0x0001])).toBe(-2147483647)
    expect(decodeSmaValue(register("S32", "FIX0"), [0x0001, 0x0002])).toBe(65538)
    expect(decodeSmaValue(register("S16", "FIX0"), [0x7fff])).toBe(32767)
    expect(decodeSmaValue(register("U64", "FIX0"), [0, 0, 0x0001, 0x0002])).toBe(65538)
    expect(decodeSmaValue(register("U64", "FIX0"), [0, 1, 0, 0])).toBe(2 ** 32)
  })

  it("a NaN needs every word of it", () => {
    expect(decodeSmaValue(register("U64", "FIX0"), [0xffff, 0xffff, 0xfffe, 0xffff])).toBe(
      ((0xffff * 0x10000 + 0xffff) * 0x10000 + 0xfffe) * 0x10000 + 0xffff,
    )
    expect(decodeSmaValue(register("U32", "FIX0"), [0xfffe, 0xffff])).toBe(0xfffeffff)
    expect(decodeSmaValue(register("S32", "FIX0"), [0x8000, 0x0000])).toBeUndefined()
    expect(() => decodeSmaValue(register("S16", "FIX0"), [1, 2])).toThrow(new RangeError("register 1 (S16) needs 1 words, got 2"))
  })

  it("the registers and formats of SMA's list", () => {
    expect(
      Object.fromEntries(Object.entries(SMA_REGISTERS).map(([name, r]) => [name, `${r.address} ${r.type} ${r.format} ${r.channel}`])),
    ).toEqual({
      health: "30201 U32 ENUM Operation.Health",
      energy: "30513 U64 FIX0 Metering.TotWhOut",
      energyToday: "30517 U64 FIX0 Metering.DyWhOut",
      dcCurrentA: "30769 S32 FIX3 DcMs.Amp[A]",
      dcVoltageA: "30771 S32 FIX2 DcMs.Vol[A]",
      dcPowerA: "30773 S32 FIX0 DcMs.Watt[A]",
      power: "30775 S32 FIX0 GridMs.TotW",
      powerL1: "30777 S32 FIX0 GridMs.W.phsA",
      powerL2: "30779 S32 FIX0 GridMs.W.phsB",
      powerL3: "30781 S32 FIX0 GridMs.W.phsC",
      voltageL1: "30783 U32 FIX2 GridMs.PhV.phsA",
      voltageL2: "30785 U32 FIX2 GridMs.PhV.phsB",
      voltageL3: "30787 U32 FIX2 GridMs.PhV.phsC",
      gridCurrent: "30795 U32 FIX3 GridMs.TotA",
      frequency: "30803 U32 FIX2 GridMs.Hz",
      temperature: "30953 S32 FIX1 Coolsys.Cab.TmpVal",
      dcCurrentB: "30957 S32 FIX3 DcMs.Amp[B]",
      dcVoltageB: "30959 S32 FIX2 DcMs.Vol[B]",
      dcPowerB: "30961 S32 FIX0 DcMs.Watt[B]",
      currentL1: "30977 U32 FIX3 GridMs.A.phsA",
      currentL2: "30979 U32 FIX3 GridMs.A.phsB",
      currentL3: "30981 U32 FIX3 GridMs.A.phsC",
    })
  })
})

describe("SmaPvModbus: the sets of a reading", () => {
  it("a register that is NaN leaves its value out; a set with no value is left out", () => {
    expect(buildSets(() => undefined)).toEqual([])
    const sets = buildSets((name) => (name === "voltageL2" || name === "power" ? 230 : undefined))
    expect(sets.map((set) => set.values.map((value) => `${value.name}${value.labelValues.join(",")}=${value.value}`))).toEqual([
      ["power=230"],
      ["ac_voltage2=230"],
    ])
  })
})
