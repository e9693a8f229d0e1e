import { describe, expect, it } from "bun:test"
import { join } from "node:path"
import { toValueSets } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { goldenText } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { exposedSeries, pollectExposition, sideBySide } from "../../../test/helpers/python-1.2.ts"
import { loadRegisterMap, mbapFrame, startFakeModbus, type FakeModbusServer } from "./fake-modbus-server.ts"
import { SmaPvModbusSource } from "./index.ts"
import { ModbusTcpClient } from "./modbus-client.ts"
import { decodeReadResponse, encodeReadRequest, frameLength, ModbusException, type ReadRequest } from "./modbus-frame.ts"
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
