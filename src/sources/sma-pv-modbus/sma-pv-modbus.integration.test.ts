/**
 * SmaPvModbus against a real Modbus TCP server: testdata/modbus-server.py on Debian's
 * python3-pymodbus (3.0), started on a free loopback port per test and stopped after.
 * Without python3 or pymodbus the tests skip locally; under CI=true they fail.
 */
import { describe, expect, it } from "bun:test"
import { spawnSync } from "bun"
import { join } from "node:path"
import { writeFileSync } from "node:fs"
import { toValueSets } from "../../api.ts"
import { goldenText } from "../../../test/conformance/golden.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { freePort, stopProcess } from "../../../test/helpers/processes.ts"
import { findTool, IN_CI, itWithTools } from "../../../test/helpers/tools.ts"
import { loadRegisterMap } from "./fake-modbus-server.ts"
import { SmaPvModbusSource } from "./index.ts"

const TESTDATA = join(import.meta.dir, "testdata")

/** The first python3 that imports pymodbus (pyenv's shim on PATH may lack Debian's packages). */
function pymodbusPython(): string | undefined {
  const candidates = [findTool("python3"), "/usr/bin/python3"].filter((p): p is string => !!p)
  return candidates.find((python) => spawnSync([python, "-c", "import pymodbus.server.async_io"], { stderr: "ignore" }).exitCode === 0)
}
const PYTHON = pymodbusPython()

/** itWithTools(["python3"]) that also needs pymodbus: skipped locally without it, failing under CI. */
function itWithPymodbus(name: string, fn: (python: string) => Promise<void>): void {
  if (!PYTHON && !IN_CI) {
    it.skip(`${name} [needs python3-pymodbus]`, () => {})
    return
  }
  itWithTools(
    ["python3"],
    name,
    async () => {
      if (!PYTHON) throw new Error("no python3 imports pymodbus: .ci/run should have installed python3-pymodbus")
      await fn(PYTHON)
    },
    30_000,
  )
}

interface Pymodbus {
  port: number
  stop(): Promise<void>
}

/** Reads `stream` to its end in the background (a pipe nobody reads, or closes early, breaks the child's writes). */
function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): void {
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of stream) onText(decoder.decode(chunk, { stream: true }))
  })().catch(() => {})
}

/** Starts modbus-server.py on `port` and resolves once it says it listens. */
async function startPymodbus(python: string, options: { map: string; port?: number; closeAfter?: number }): Promise<Pymodbus> {
  const port = options.port ?? freePort()
  const args = [python, join(TESTDATA, "modbus-server.py"), "--port", String(port), "--map", options.map]
  if (options.closeAfter) args.push("--close-after", String(options.closeAfter))
  const proc = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" })
  let stdout = ""
  let stderr = ""
  drain(proc.stdout, (text) => void (stdout += text))
  drain(proc.stderr, (text) => void (stderr = (stderr + text).slice(-4000)))
  const deadline = Date.now() + 10_000
  while (!stdout.includes("listening")) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill("SIGKILL")
      throw new Error(`modbus-server.py did not start (exit ${proc.exitCode}): ${stderr}`)
    }
    await Bun.sleep(20)
  }
  return { port, stop: () => stopProcess(proc, 3000) }
}

const source = (port: number, extra: Record<string, unknown> = {}) =>
  makeSource<SmaPvModbusSource>(SmaPvModbusSource, { type: "SmaPvModbus", host: "127.0.0.1", port, ...extra })

const golden = (sets: Awaited<ReturnType<SmaPvModbusSource["probe"]>>) => goldenText([resultOf(toValueSets(sets), { type: "SmaPvModbus" })])

describe("SmaPvModbus: against pymodbus", () => {
  for (const testCase of ["full-map", "nan-markers"]) {
    itWithPymodbus(`${testCase}: decoded as in its expected.txt (holding and input registers)`, async (python) => {
      const server = await startPymodbus(python, { map: join(TESTDATA, testCase, "registers.json") })
      const expected = await Bun.file(join(TESTDATA, testCase, "expected.txt")).text()
      try {
        const holding = source(server.port)
        expect(golden(await holding.probe())).toBe(expected)
        expect(golden(await holding.probe())).toBe(expected)
        await holding.close()
        const input = source(server.port, { registerType: "input", unitId: 3 })
        expect(golden(await input.probe())).toBe(expected)
        await input.close()
      } finally {
        await server.stop()
      }
    })
  }

  itWithPymodbus("an illegal data address answer names the exception and the request", async (python) => {
    const map = loadRegisterMap(join(TESTDATA, "full-map", "registers.json"))
    delete map.units["3"]!["30953"]
    const file = join(tempDir(), "registers.json")
    writeFileSync(file, JSON.stringify(map))
    const server = await startPymodbus(python, { map: file })
    try {
      const sma = source(server.port)
      await expect(sma.probe()).rejects.toThrow(
        `Modbus exception 2 (illegal data address) for read holding registers 30953..30982 (30) on unit 3 from 127.0.0.1:${server.port}`,
      )
      await sma.close()
    } finally {
      await server.stop()
    }
  })

  itWithPymodbus("a server that closes the connection: this tick fails clearly, the next reconnects", async (python) => {
    // Each connection is closed at its 6th request: the 2nd probe's 2nd read.
    const server = await startPymodbus(python, { map: join(TESTDATA, "full-map", "registers.json"), closeAfter: 6 })
    const expected = await Bun.file(join(TESTDATA, "full-map", "expected.txt")).text()
    try {
      const sma = source(server.port, { unitId: 3 })
      expect(golden(await sma.probe())).toBe(expected)
      // pymodbus closes with our request unread, so the kernel may send a reset instead of a FIN.
      await expect(sma.probe()).rejects.toThrow(
        new RegExp(
          `^connection closed by 127\\.0\\.0\\.1:${server.port}( \\(ECONNRESET\\))? before answering to read holding registers 30513\\.\\.30520 \\(8\\) on unit 3$`,
        ),
      )
      expect(golden(await sma.probe())).toBe(expected)
      await sma.close()
    } finally {
      await server.stop()
    }
  })

  itWithPymodbus("a server that goes down and comes back: refused meanwhile, reconnected after", async (python) => {
    const map = join(TESTDATA, "full-map", "registers.json")
    let server = await startPymodbus(python, { map })
    const port = server.port
    const expected = await Bun.file(join(TESTDATA, "full-map", "expected.txt")).text()
    const sma = source(port)
    try {
      expect(golden(await sma.probe())).toBe(expected)
      await server.stop()
      await expect(sma.probe()).rejects.toThrow(new RegExp(`(connection closed by|connect to) 127\\.0\\.0\\.1:${port}`))
      await expect(sma.probe()).rejects.toThrow(`connect to 127.0.0.1:${port} failed`)
      server = await startPymodbus(python, { map, port })
      expect(golden(await sma.probe())).toBe(expected)
    } finally {
      await sma.close()
      await server.stop()
    }
  })
})
