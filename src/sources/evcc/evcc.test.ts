import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import * as v from "valibot"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { promLabels, promName, toValueSets } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { sideBySide } from "../../../test/helpers/python-1.2.ts"
import { startFakeEvcc } from "./fake-evcc.ts"
import { EvccSource, MAX_MESSAGE_CHARS } from "./index.ts"
import { EvccState, MAX_KEYS, stateSets } from "./state.ts"

const recorded = (name: string, file = "state.json") => readFileSync(join(import.meta.dir, "testdata", name, file), "utf8")

/** Waits until `check` holds (the fake's messages travel through a real socket). */
async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time")
    await Bun.sleep(10)
  }
}

const stateOf = (source: EvccSource) => (source as unknown as { state: EvccState }).state

sourceConformance({
  type: "Evcc",
  cls: EvccSource,
  dir: import.meta.dir,
  // The fake evcc sends testdata/<case>/state.json as its welcome on a loopback port standing in
  // for config.json's host; probe, push updates.json's messages one by one, probe again.
  golden: async (testCase) => {
    const fake = startFakeEvcc(readFileSync(join(testCase.dir, "state.json"), "utf8"))
    const source = makeSource<EvccSource>(EvccSource, { ...testCase.config, host: fake.host })
    try {
      const first = await source.probe()
      const updates = JSON.parse(readFileSync(join(testCase.dir, "updates.json"), "utf8")) as Record<string, unknown>[]
      for (const update of updates) fake.push(update)
      await until(() => stateOf(source).messages === 1 + updates.length)
      const second = await source.probe()
      expect(fake.connections).toBe(1)
      return [first, second]
    } finally {
      await source.close()
      await fake.stop()
    }
  },
  failing: {
    config: { type: "Evcc", host: `127.0.0.1:${freePort()}` },
    message: /^ws:\/\/127\.0\.0\.1:\d+\/ws: not connected: connection failed: Failed to connect$/,
  },
})

describe("Evcc: state", () => {
  it("reads 1.2's recorded evcc 0.119 state as 1.2's test expects", () => {
    const state = new EvccState()
    state.merge(recorded("evcc-0.119"))
    const [loadpoint, site] = stateSets(state.values)
    const value = (name: string) => loadpoint!.values.find((v) => v.name === name)?.value
    expect([value("vehicleSoc"), value("targetSoc"), value("chargePower"), value("vehiclePresent")]).toEqual([50, 80, 2373, 1])
    expect([value("sessionPricePerKWh"), value("phasesActive")]).toEqual([0.1079, 1])
    expect(loadpoint!.values[0]!.labelValues).toEqual(["Garage"])
    expect(site!.values.find((v) => v.name === "gridPower")?.value).toBe(-1607.5)
    // Text, null and lists are not values: mode, targetTime, chargeCurrents, vehicles.
    for (const name of ["mode", "targetTime", "chargeCurrents", "title"]) expect(value(name)).toBeUndefined()
  })

  it("keeps the newest value per key; a newer evcc's object values give <key>.<field>", () => {
    const state = new EvccState()
    state.merge(recorded("evcc-0.200"))
    state.merge('{"grid":{"power":-980,"energy":11735.3,"currents":[1,2,3]},"loadpoints.1.vehicleSoc":35}')
    const [loadpoint, site] = stateSets(state.values)
    expect(site!.values.filter((v) => v.name!.startsWith("grid.")).map((v) => `${v.name}=${v.value}`)).toEqual([
      "grid.power=-980",
      "grid.energy=11735.3",
    ])
    expect(loadpoint!.values.filter((v) => v.name === "vehicleSoc").map((v) => `${v.labelValues[0]}=${v.value}`)).toEqual([
      "Carport=72",
      "Garage=35",
    ])
  })

  it("a loadpoint without a title is called by its index; a shared title gets the index", () => {
    const values = new Map<string, unknown>([
      ["loadpoints.0.chargePower", 1],
      ["loadpoints.1.title", "Garage"],
      ["loadpoints.1.chargePower", 2],
      ["loadpoints.2.title", "Garage"],
      ["loadpoints.2.chargePower", 3],
    ])
    expect(stateSets(values)[0]!.values.map((v) => `${v.labelValues[0]}=${v.value}`)).toEqual(["0=1", "Garage=2", "Garage 2=3"])
  })

  it("refuses messages that are not a JSON object, and more than 10000 keys", () => {
    const state = new EvccState()
    expect(() => state.merge("garbage")).toThrow('a message that is not JSON ("garbage")')
    // The message quotes the first 40 characters only.
    expect(() => state.merge(`<html>${"x".repeat(100)}`)).toThrow(new RegExp(`not JSON \\("<html>${"x".repeat(34)}"\\)$`))
    expect(() => state.merge("5")).toThrow("a message that is not a JSON object (number)")
    expect(() => state.merge('"text"')).toThrow("a message that is not a JSON object (string)")
    expect(state.messages).toBe(0)
    expect(() => state.merge("[1,2]")).toThrow("a message that is not a JSON object (array)")
    expect(() => state.merge("null")).toThrow("not a JSON object (object)")
    const many = Object.fromEntries(Array.from({ length: MAX_KEYS + 1 }, (_, i) => [`k${i}`, i]))
    expect(() => state.merge(JSON.stringify(many))).toThrow(`more than ${MAX_KEYS} keys`)
  })
})

describe("Evcc: keys and values", () => {
  const names = (values: Map<string, unknown>) =>
    stateSets(values).map((set) => set.values.map((v) => `${v.labelValues[0] ?? "site"}:${v.name}=${v.value}`))

  it("only keys that start with loadpoints.<1-4 digits>. are a loadpoint's", () => {
    const values = new Map<string, unknown>([
      ["loadpoints.12.chargePower", 5],
      ["xloadpoints.0.chargePower", 6],
      ["loadpoints.12345.chargePower", 7],
      ["loadpoints.0.", 8],
    ])
    expect(names(values)).toEqual([
      ["12:chargePower=5"],
      ["site:xloadpoints.0.chargePower=6", "site:loadpoints.12345.chargePower=7", "site:loadpoints.0.=8"],
    ])
  })

  it("keys and object fields longer than 200 characters are ignored; 200 are kept", () => {
    const state = new EvccState()
    const [k200, k201] = ["k".repeat(200), "k".repeat(201)]
    state.merge(JSON.stringify({ [k200]: 1, [k201]: 2, grid: { [k200]: 3, [k201]: 4 } }))
    expect([...state.values.keys()]).toEqual([k200, "grid"])
    expect(names(state.values)[1]).toEqual([`site:${k200}=1`, `site:grid.${k200}=3`])
  })

  it("a number too large for a double (1e999, parsed as Infinity) is left out, at the top and in an object", () => {
    const state = new EvccState()
    state.merge('{"big":1e999,"ok":1,"grid":{"power":1e999,"energy":2},"flag":true,"none":null,"text":"5","list":[1]}')
    expect(names(state.values)[1]).toEqual(["site:ok=1", "site:grid.energy=2", "site:flag=1"])
  })

  it("a title that is not text, or empty, names the loadpoint by its index; a long one is cut at 200", () => {
    const values = new Map<string, unknown>([
      ["loadpoints.0.title", ["Garage"]],
      ["loadpoints.0.chargePower", 1],
      ["loadpoints.1.title", ""],
      ["loadpoints.1.chargePower", 2],
      ["loadpoints.2.title", "t".repeat(250)],
      ["loadpoints.2.chargePower", 3],
    ])
    expect(names(values)[0]).toEqual(["0:chargePower=1", "1:chargePower=2", `${"t".repeat(200)}:chargePower=3`])
  })
})

describe("Evcc: options and docs", () => {
  const problems = (config: Record<string, unknown>) => {
    const result = v.safeParse(EvccSource.options, config)
    return result.success ? [] : result.issues.map((issue) => issue.message)
  }

  it("host is host and port, without scheme or path", () => {
    expect(problems({ host: "localhost:7070" })).toEqual([])
    expect(problems({ host: "evcc.example", tls: true })).toEqual([])
    for (const host of ["ws://localhost:7070", "localhost:7070/ws", "local host", ""])
      expect(problems({ host })).toEqual(["expected host and port, without scheme or path (`localhost:7070`)"])
  })

  it("tls: true connects to wss://<host>/ws", async () => {
    const port = freePort()
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: `127.0.0.1:${port}`, tls: true })
    try {
      await expect(source.probe()).rejects.toThrow(new RegExp(`^wss://127\\.0\\.0\\.1:${port}/ws: not connected: `))
    } finally {
      await source.close()
    }
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Evcc", aliases: [], cls: EvccSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})

describe("Evcc: one kept websocket connection", () => {
  it("survives an evcc restart: fails clearly while it is down (same message each probe), then reads the new state, nothing stale", async () => {
    const fake = startFakeEvcc(recorded("evcc-0.119"))
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: fake.host })
    try {
      expect(toValueSets(await source.probe())[1]!.values.some((v) => v.name === "gridPower")).toBe(true)
      await fake.stop()
      await until(() => !(source as unknown as { socket: { ready: boolean } }).socket.ready)
      const errors: string[] = []
      for (let i = 0; i < 3; i++)
        errors.push(
          await source.probe().then(
            () => "no error",
            (e: Error) => e.message,
          ),
        )
      expect(errors[0]).toMatch(new RegExp(`^ws://${fake.host}/ws: not connected: `))
      expect(errors[1]).toBe(`ws://${fake.host}/ws: not connected: connection failed: Failed to connect`)
      expect(errors[2]).toBe(errors[1]!)
      // evcc is back, upgraded: the new welcome has no gridPower (a grid object instead).
      fake.welcome = recorded("evcc-0.200")
      fake.start()
      const sets = toValueSets(await source.probe())
      expect(sets[1]!.values.some((v) => v.name === "gridPower")).toBe(false)
      expect(sets[1]!.values.find((v) => v.name === "grid.power")?.value).toBe(-1234.5)
      expect(sets[0]!.values.map((v) => v.labelValues[0])).toContain("Carport")
      expect(fake.connections).toBe(2)
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("reconnects in the background with backoff (1 s, 2 s, ...), not per tick", async () => {
    let accepted = 0
    const refuser = createServer((socket) => {
      accepted++
      socket.destroy()
    })
    await new Promise<void>((resolve) => refuser.listen(0, "127.0.0.1", resolve))
    const port = (refuser.address() as { port: number }).port
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: `127.0.0.1:${port}` })
    try {
      await expect(source.probe()).rejects.toThrow(/not connected: connection failed/)
      expect(accepted).toBe(1)
      await Bun.sleep(4500)
      // Attempts at +1 s and +3 s, the next not before +7 s.
      expect(accepted).toBe(3)
    } finally {
      await source.close()
      refuser.close()
    }
    const after = accepted
    await Bun.sleep(1200)
    expect(accepted).toBe(after)
  }, 15_000)

  it("garbage, an array, an oversized or an over-keyed welcome end the connection with a clear failure", async () => {
    const cases: [string | Uint8Array, RegExp][] = [
      ["<html>502 Bad Gateway</html>", /not connected: a message that is not JSON \("<html>502 Bad Gateway<\/html>"\)/],
      ["[1,2,3]", /not connected: a message that is not a JSON object \(array\)/],
      [
        `{"x":"${"a".repeat(MAX_MESSAGE_CHARS)}"}`,
        new RegExp(`not connected: a message of ${MAX_MESSAGE_CHARS + 8} characters, more than the ${MAX_MESSAGE_CHARS} read at most`),
      ],
      [
        JSON.stringify(Object.fromEntries(Array.from({ length: MAX_KEYS + 1 }, (_, i) => [`k${i}`, i]))),
        /not connected: more than 10000 keys/,
      ],
    ]
    for (const [welcome, message] of cases) {
      const fake = startFakeEvcc(welcome as string)
      const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: fake.host })
      try {
        await expect(source.probe()).rejects.toThrow(message)
      } finally {
        await source.close()
        await fake.stop()
      }
    }
  })

  it("a binary message is refused", async () => {
    const fake = startFakeEvcc(recorded("evcc-0.119"))
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: fake.host })
    try {
      await source.probe()
      fake.push(new Uint8Array([1, 2, 3]))
      await until(() => !(source as unknown as { socket: { ready: boolean } }).socket.ready)
      expect((source as unknown as { socket: { lastError: string } }).socket.lastError).toBe("a binary message, expected JSON text")
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("a lost connection is logged as evcc's, with the reason and the next attempt", async () => {
    const lines: string[] = []
    const fake = startFakeEvcc(recorded("evcc-0.119"))
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: fake.host }, { log: lines })
    try {
      await source.probe()
      await fake.stop()
      await until(() => lines.some((line) => line.includes("next attempt")))
      expect(lines.find((line) => line.includes("next attempt"))).toMatch(
        new RegExp(`DEBUG \\[Evcc\\] evcc at ws://${fake.host}/ws: .+; next attempt in 1 s$`),
      )
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("after close() the next probe opens a new connection", async () => {
    const fake = startFakeEvcc(recorded("evcc-0.119"))
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: fake.host })
    try {
      await source.probe()
      await source.close()
      await source.probe()
      expect(fake.connections).toBe(2)
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("close() stops the connection and any reconnecting", async () => {
    const fake = startFakeEvcc(recorded("evcc-0.119"))
    const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", host: fake.host })
    await source.probe()
    await source.close()
    await source.close()
    await Bun.sleep(1500)
    expect(fake.connections).toBe(1)
    await fake.stop()
  })
})

describe("Evcc: side by side with pollect 1.2", () => {
  it("the series names, labels and values of the welcome state are those pollect 1.2 served (evcc 0.119 and a newer state)", async () => {
    const ours: string[] = []
    for (const [dir, name] of [
      ["evcc-0.119", "old"],
      ["evcc-0.200", "new"],
    ] as const) {
      const fake = startFakeEvcc(recorded(dir))
      const source = makeSource<EvccSource>(EvccSource, { type: "Evcc", name, host: fake.host })
      try {
        const result = resultOf(toValueSets(await source.probe()), { type: "Evcc", name })
        for (const set of result.sets)
          for (const value of set.values) {
            const labels = Object.entries(promLabels(result, set, value)).map(([k, v]) => `${k}="${v}"`)
            ours.push(`${promName(result, set, value, "pollect")}{${labels.join(",")}} ${value.value}`)
          }
      } finally {
        await source.close()
        await fake.stop()
      }
    }
    const { python, ours: mine } = sideBySide(
      readFileSync(join(import.meta.dir, "testdata/python-1.2/metrics.txt"), "utf8"),
      ours.join("\n"),
    )
    expect(mine).toEqual(python)
    expect(python.size).toBe(86)
    // What this port adds: the fields of the newer evcc's grid object (1.2 skipped objects).
    const names = new Set([...python.keys()].map((key) => key.slice(0, key.indexOf("{"))))
    expect(ours.map((line) => line.slice(0, line.indexOf("{"))).filter((n) => !names.has(n))).toEqual([
      "pollect_Evcc_new_grid_power",
      "pollect_Evcc_new_grid_energy",
    ])
  })
})
