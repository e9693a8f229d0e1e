import { describe, expect, it } from "bun:test"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { promLabels, promName, toValueSets } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { downServerUrl, serveFake } from "../../../test/helpers/fake-server.ts"
import { exposedSeries } from "../../../test/helpers/python-1.2.ts"
import { recordedItems, startFakeOpenhab } from "./fake-server.ts"
import { MAX_ANSWER_BYTES, OpenhabSource } from "./index.ts"
import { itemSets, numberState, valueName } from "./items.ts"

const failing: Record<string, unknown> = { type: "Openhab", url: "http://127.0.0.1:1" }

sourceConformance({
  type: "Openhab",
  cls: OpenhabSource,
  dir: import.meta.dir,
  // The fake serves testdata/<case>/items.json (behind the case's token, if any) on a loopback
  // port that stands in for config.json's URL.
  golden: async (testCase) => {
    const token = testCase.config.token as string | undefined
    const fake = startFakeOpenhab({ items: recordedItems(testCase.dir), token })
    const url = (testCase.config.url as string).replace(/^http:\/\/[^/]+/, fake.url)
    const source = makeSource<OpenhabSource>(OpenhabSource, { ...testCase.config, url })
    try {
      const probe = await source.probe()
      expect(fake.seen("/rest/items").length).toBe(1)
      if (token) expect(fake.requests[0]!.headers.get("authorization")).toBe(`Bearer ${token}`)
      return [probe]
    } finally {
      await source.close()
      await fake.stop()
    }
  },
  failing: {
    config: failing,
    setup: async () => {
      failing.url = await downServerUrl()
    },
    message: /^http:\/\/127\.0\.0\.1:\d+\/rest\/items: ECONNREFUSED: Unable to connect/,
  },
})

/** Series `name{labels}` as this port's Prometheus exporter names them (names: "pollect"). */
function seriesOf(probe: Awaited<ReturnType<OpenhabSource["probe"]>>, name?: string): string[] {
  const result = resultOf(toValueSets(probe), { type: "Openhab", name })
  return result.sets.flatMap((set) =>
    set.values.map((value) => {
      const labels = Object.entries(promLabels(result, set, value))
        .map(([k, v]) => `${k}="${v}"`)
        .sort()
      return `${promName(result, set, value, "pollect")}{${labels.join(",")}} ${value.value}`
    }),
  )
}

describe("Openhab: items", () => {
  it("cuts the unit off a state and reads only numbers", () => {
    expect(numberState("21.5 °C")).toBe(21.5)
    expect(numberState("-3.2 °C")).toBe(-3.2)
    expect(numberState("3.4567E3 W")).toBe(3456.7)
    expect(numberState("48")).toBe(48)
    expect(numberState(".55 kWh")).toBe(0.55)
    expect(numberState("1.5E-3 A")).toBe(0.0015)
    expect(numberState("2.5E+10 Wh")).toBe(2.5e10)
    expect(numberState("4e12")).toBe(4e12)
    for (const state of ["NULL", "UNDEF", "NaN °C", "", "1,5 °C", "0x10", "Infinity", null, 21.5, undefined])
      expect(numberState(state)).toBeUndefined()
  })

  it("makes the label a value name as 1.2 did (runs of other characters → _)", () => {
    expect(valueName("Living Room Temperature")).toBe("Living_Room_Temperature")
    expect(valueName("Küche Temperatur")).toBe("K_che_Temperatur")
    expect(valueName("1st floor / outdoor (°C)")).toBe("1st_floor_outdoor_C_")
    expect(valueName("PV: Power")).toBe("PV:_Power")
    // At most 256 characters of the label (a name part of every series).
    expect(valueName("x".repeat(300))).toBe("x".repeat(256))
  })

  it("takes Number and Switch items with a label; Dimmer, Contact, Group, String, NULL/UNDEF are left out", () => {
    const sets = itemSets(recordedItems(join(import.meta.dir, "testdata/openhab-3")))
    const values = sets.flatMap((set) => set.values.map((v) => `${v.name} ${v.labelValues.join("|")} ${v.value}`))
    expect(values).toEqual([
      "Bathroom_Temperature Bathroom_Temperature|gBathroom 22.8",
      "Heat_pump_energy_total_ Heatpump_Energy|gHeatpump,gEnergy 1523.25",
      "Door_openings Counter_Plain| 7",
      "Bathroom_Light Bathroom_Light|gBathroom 1",
    ])
  })

  it("refuses an answer that is not a list, or a list of more than 20000 items", () => {
    expect(() => itemSets({ items: [] })).toThrow("expected a JSON array of items, got object")
    expect(() => itemSets(null)).toThrow("got null")
    expect(() => itemSets(new Array(20_001).fill({}))).toThrow("20001 items, more than the 20000 read at most")
    // Entries of the wrong shape are skipped, not a crash.
    expect(itemSets([null, 1, "x", { type: 5, name: "a", label: "b" }, { type: "Number", name: "n", label: "L", state: {} }])).toEqual([])
    // Exactly 20000 is still read.
    expect(itemSets(new Array(20_000).fill({}))).toEqual([])
  })

  it("an item needs a type, a name and a label that leaves a value name; groups are its string groupNames", () => {
    const item = (fields: Record<string, unknown>) => ({ type: "Number", name: "n", label: "L", state: "1", groupNames: ["g"], ...fields })
    const values = (items: unknown[]) =>
      itemSets(items).flatMap((set) => set.values.map((v) => `${v.name} ${v.labelValues.join("|")} ${v.value}`))
    expect(values([item({ name: undefined }), item({ label: "" }), item({ type: undefined }), item({ state: "2", label: "ok" })])).toEqual([
      "ok n|g 2",
    ])
    expect(values([item({ groupNames: [5, "gA", null, "gB"] })])).toEqual(["L n|gA,gB 1"])
    expect(values([item({ groupNames: undefined })])).toEqual(["L n| 1"])
    expect(values([item({ groupNames: "gA" })])).toEqual(["L n| 1"])
  })

  it("cuts names, labels and the joined groups at 256 characters", () => {
    const long = "a".repeat(300)
    const [set] = itemSets([{ type: "Switch", name: long, label: long, state: "ON", groupNames: ["g".repeat(200), "h".repeat(200)] }])
    expect(set!.values.map((v) => [v.name, ...v.labelValues])).toEqual([
      ["a".repeat(256), "a".repeat(256), `${"g".repeat(200)},${"h".repeat(55)}`],
    ])
  })
})

describe("Openhab: against a fake REST API", () => {
  const items = recordedItems(join(import.meta.dir, "testdata/openhab-4"))
  const token = "oh.pollect.2mN7yXq4r9TbVwKc1sLfZp0dGh8JeA5uIoR3"

  it("without the token openHAB 4 answers 401: the error says to set `token`; a wrong one says it was refused", async () => {
    const fake = startFakeOpenhab({ items, token })
    try {
      const without = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: fake.url })
      await expect(without.probe()).rejects.toThrow(`${fake.url}/rest/items: HTTP 401: set \`token\` to an API token (openHAB 3/4)`)
      const wrong = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: fake.url, token: "oh.wrong.x" })
      await expect(wrong.probe()).rejects.toThrow(`${fake.url}/rest/items: HTTP 401: the token was refused`)
    } finally {
      await fake.stop()
    }
  })

  it("a 403 gets the same hints as a 401; an error answer without a body is still an HTTP error", async () => {
    let status = 403
    const fake = serveFake(() => new Response(null, { status }))
    try {
      const without = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: fake.url })
      await expect(without.probe()).rejects.toThrow(`${fake.url}/rest/items: HTTP 403: set \`token\` to an API token (openHAB 3/4)`)
      const wrong = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: fake.url, token: "oh.wrong.x" })
      await expect(wrong.probe()).rejects.toThrow(`${fake.url}/rest/items: HTTP 403: the token was refused`)
      // 304 Not Modified has no body at all (response.body is null).
      status = 304
      await expect(without.probe()).rejects.toThrow(new RegExp(`^${fake.url}/rest/items: HTTP 304$`))
    } finally {
      await fake.stop()
    }
  })

  it("asks for JSON at <url>/rest/items, trailing slashes of the URL dropped; no Authorization without a token", async () => {
    const fake = startFakeOpenhab({ items })
    try {
      const source = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: `${fake.url}///` })
      expect((await source.probe()).length).toBe(2)
      expect(fake.requests.map((r) => r.path)).toEqual(["/rest/items"])
      expect(fake.requests[0]!.headers.get("accept")).toBe("application/json")
      expect(fake.requests[0]!.headers.get("authorization")).toBeNull()
      // Bun's fetch folds `///rest` into `/rest`: the URL in a message shows that every slash went.
      fake.answer = { body: "down", status: 503 }
      expect(await source.probe().catch((e: Error) => e.message)).toBe(`${fake.url}/rest/items: HTTP 503`)
    } finally {
      await fake.stop()
    }
  })

  it("never logs the token", async () => {
    const fake = startFakeOpenhab({ items, token })
    const lines: string[] = []
    try {
      const source = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: fake.url, token }, { log: lines })
      ;(source as unknown as { ctx: { log: { warn(s: string): void } } }).ctx.log.warn(`token is ${token}`)
      await source.probe()
      expect(lines.length).toBe(1)
      expect(lines.join("\n")).not.toContain(token)
    } finally {
      await fake.stop()
    }
  })

  it("garbage, a truncated list and an HTML error page are clear failures", async () => {
    const fake = startFakeOpenhab({ items })
    const source = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: fake.url })
    try {
      fake.answer = { body: new Uint8Array([0xff, 0x00, 0x13, 0x37]) }
      await expect(source.probe()).rejects.toThrow(`${fake.url}/rest/items: not JSON`)
      fake.answer = { body: JSON.stringify(items).slice(0, 500) }
      await expect(source.probe()).rejects.toThrow(`${fake.url}/rest/items: not JSON`)
      fake.answer = { body: "<html><body>Bad Gateway</body></html>", status: 502 }
      await expect(source.probe()).rejects.toThrow(new RegExp(`^${fake.url}/rest/items: HTTP 502$`))
      fake.answer = { body: '{"error":"x"}' }
      await expect(source.probe()).rejects.toThrow(`${fake.url}/rest/items: expected a JSON array of items, got object`)
      fake.answer = undefined
      expect((await source.probe()).length).toBe(2)
    } finally {
      await fake.stop()
    }
  })

  it("an oversized answer (streamed, no Content-Length) is refused at 32 MiB, not read to the end", async () => {
    let sent = 0
    const chunk = new Uint8Array(1 << 20).fill(0x20)
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            pull(controller) {
              if (sent > 256 << 20) return controller.close()
              sent += chunk.length
              controller.enqueue(chunk)
            },
          }),
        ),
    })
    try {
      const source = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", url: `http://127.0.0.1:${server.port}` })
      await expect(source.probe()).rejects.toThrow(`answer of more than ${MAX_ANSWER_BYTES} bytes, the most read`)
      await Bun.sleep(200)
      expect(sent).toBeLessThan(64 << 20)
    } finally {
      await server.stop(true)
    }
  })
})

describe("Openhab: options and docs", () => {
  const problems = (config: Record<string, unknown>) => {
    const result = v.safeParse(OpenhabSource.options, config)
    return result.success ? [] : result.issues.map((issue) => issue.message)
  }

  it("url must start with http:// or https://", () => {
    expect(problems({ url: "http://openhab:8080" })).toEqual([])
    expect(problems({ url: "https://openhab.example/base", token: "t" })).toEqual([])
    for (const url of ["openhab:8080", "see http://openhab:8080", "http:///rest", "ftp://openhab"])
      expect(problems({ url })).toEqual(["expected an http:// or https:// URL"])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Openhab", aliases: [], cls: OpenhabSource, dir: import.meta.dir, readme }, text)).toBe(
      text,
    )
  })
})

describe("Openhab: side by side with pollect 1.2", () => {
  it("the series names, labels and values are those pollect 1.2 served for the same openHAB 2, 3 and 4 answers", async () => {
    const recorded = exposedSeries(readFileSync(join(import.meta.dir, "testdata/python-1.2/metrics.txt"), "utf8"))
    const ours: string[] = []
    for (const [dir, name] of [
      ["openhab-2", "oh2"],
      ["openhab-3", "oh3"],
      ["openhab-4", "oh4"],
    ] as const) {
      const fake = startFakeOpenhab({ items: recordedItems(join(import.meta.dir, "testdata", dir)) })
      try {
        const source = makeSource<OpenhabSource>(OpenhabSource, { type: "Openhab", name, url: fake.url })
        ours.push(...seriesOf(await source.probe(), name))
      } finally {
        await fake.stop()
      }
    }
    // 1.2 also served Switches in NULL/UNDEF as 0; this port leaves them out (README).
    const python = [...recorded]
      .map(([key, value]) => `${key} ${value}`)
      .filter((line) => !line.includes("Fan") && !line.includes("Presence"))
    expect(ours.sort()).toEqual(python.sort())
    expect([...recorded.keys()].filter((key) => key.includes("Fan") || key.includes("Presence")).length).toBe(2)
  })
})
