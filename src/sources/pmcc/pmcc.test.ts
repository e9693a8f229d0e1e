import { describe, expect, it } from "bun:test"
import { X509Certificate } from "node:crypto"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as v from "valibot"
import { regenerated } from "../../../scripts/plugin-docs.ts"
import { promLabels, promName, toValueSets } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf, tempDir } from "../../../test/helpers/context.ts"
import { freePort } from "../../../test/helpers/processes.ts"
import { exposedSeries } from "../../../test/helpers/python-1.2.ts"
import { selfSignedCert } from "../../../test/helpers/tls.ts"
import { phaseMessage, sessionMessage, startFakePmcc } from "./fake-device.ts"
import { PmccSource } from "./index.ts"
import { applyMessage, dataSets, emptyData } from "./messages.ts"

const cert = selfSignedCert(tempDir("pmcc-tls-"))

interface Recorded {
  greeting: unknown[]
  updates: unknown[]
}
const recorded = (dir: string) => JSON.parse(readFileSync(join(dir, "messages.json"), "utf8")) as Recorded
const texts = (messages: unknown[]) => messages.map((m) => JSON.stringify(m))

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time")
    await Bun.sleep(10)
  }
}

const socketOf = (source: PmccSource) => (source as unknown as { socket: { ready: boolean; lastError: string } }).socket

sourceConformance({
  type: "Pmcc",
  cls: PmccSource,
  dir: import.meta.dir,
  // The fake charger (TLS websocket, self-signed certificate) sends messages.json's greeting to
  // the new connection; probe, push the updates, probe again: one connection throughout.
  golden: async (testCase) => {
    const messages = recorded(testCase.dir)
    const fake = startFakePmcc(cert, texts(messages.greeting))
    const source = makeSource<PmccSource>(PmccSource, { ...testCase.config, host: fake.host })
    try {
      await source.probe()
      // The greeting travels after the open; the first probe a test reports waits for it.
      await until(() => source.received === messages.greeting.length)
      const first = await source.probe()
      for (const update of texts(messages.updates)) fake.push(update)
      await until(() => source.received === messages.greeting.length + messages.updates.length)
      const second = await source.probe()
      expect(fake.connections).toBe(1)
      return [first, second]
    } finally {
      await source.close()
      await fake.stop()
    }
  },
  failing: {
    config: { type: "Pmcc", host: `127.0.0.1:${freePort()}` },
    message: /^wss:\/\/127\.0\.0\.1:\d+\/ws: not connected: connection failed: Failed to connect$/,
  },
})

describe("Pmcc: messages", () => {
  it("reads the session (nested JSON text) and the per-phase powers as 1.2 did", () => {
    const data = emptyData()
    expect(applyMessage(data, sessionMessage({ soc: 54, startSoc: 31, evChargingRatekW: 10.8 }))).toBe(true)
    expect(applyMessage(data, phaseMessage(2, 3598))).toBe(true)
    const [power, soc] = dataSets(data)
    expect(power!.values.map((v) => `${v.labelValues[0]}=${v.value}`)).toEqual(["ev=10.8", "l2=3598"])
    expect(soc!.values.map((v) => `${v.labelValues[0]}=${v.value}`)).toEqual(["current=54", "start=31"])
  })

  it("ignores other interfaces and shapes; refuses text that is not JSON", () => {
    const data = emptyData()
    expect(applyMessage(data, '{"interface":"de.bebro.HMI","path":"/","name":"x","args":{}}')).toBe(true)
    expect(applyMessage(data, '{"hello":1}')).toBe(false)
    expect(applyMessage(data, "[1]")).toBe(false)
    expect(() => applyMessage(data, "garbage")).toThrow('a message that is not JSON ("garbage")')
    expect(() =>
      applyMessage(
        data,
        JSON.stringify({
          interface: "de.bebro.WebServer",
          path: "/",
          name: "swaggerCurrentSessionChanged",
          args: { swaggerCurrentSession: "{bad" },
        }),
      ),
    ).toThrow("swaggerCurrentSession is not JSON")
    expect(dataSets(data).flatMap((s) => s.values)).toEqual([])
  })
})

describe("Pmcc: which messages count", () => {
  const session = JSON.stringify({ soc: 54, startSoc: 31, evChargingRatekW: 10.8 })
  const phase = JSON.stringify({ value: 3598 })
  /** Applies one message (an object) to fresh data: [what applyMessage returned, the values then]. */
  const apply = (message: unknown) => {
    const data = emptyData()
    const taken = applyMessage(data, typeof message === "string" ? message : JSON.stringify(message))
    return [taken, dataSets(data).flatMap((set) => set.values.map((x) => `${x.labelValues[0]}=${x.value}`))]
  }
  const web = (fields: Record<string, unknown>) => ({
    interface: "de.bebro.WebServer",
    path: "/",
    name: "swaggerCurrentSessionChanged",
    args: { swaggerCurrentSession: session },
    ...fields,
  })
  const can = (fields: Record<string, unknown>) => ({
    interface: "de.bebro.iCAN",
    path: "/",
    name: "x",
    args: { activePowerL1: phase },
    ...fields,
  })

  it("the session counts only from de.bebro.WebServer, path /, swaggerCurrentSessionChanged", () => {
    expect(apply(web({}))).toEqual([true, ["ev=10.8", "current=54", "start=31"]])
    for (const other of [web({ interface: "de.bebro.HMI" }), web({ name: "otherEvent" }), web({ path: "/other" })])
      expect(apply(other)).toEqual([true, []])
    // Already an object instead of JSON text: tolerated.
    expect(apply(web({ args: { swaggerCurrentSession: { soc: 12 } } }))).toEqual([true, ["current=12"]])
    // No session in the message, no args at all, args null: nothing changes, still the device's.
    for (const empty of [web({ args: {} }), web({ args: undefined }), web({ args: null })]) expect(apply(empty)).toEqual([true, []])
  })

  it("the phase powers count only from de.bebro.iCAN, path /", () => {
    expect(apply(can({}))).toEqual([true, ["l1=3598"]])
    for (const other of [can({ interface: "de.bebro.HMI" }), can({ path: "/other" })]) expect(apply(other)).toEqual([true, []])
    for (const empty of [can({ args: {} }), can({ args: undefined }), can({ args: null })]) expect(apply(empty)).toEqual([true, []])
  })

  it("values that are not finite numbers are not taken (text, 1e999), the previous value stays", () => {
    const data = emptyData()
    applyMessage(data, sessionMessage({ soc: 54, startSoc: 31, evChargingRatekW: 10.8 }))
    applyMessage(data, JSON.stringify(web({ args: { swaggerCurrentSession: '{"soc":"60","startSoc":1e999,"evChargingRatekW":null}' } })))
    applyMessage(
      data,
      JSON.stringify(can({ args: { activePowerL1: '{"value":1e999}', activePowerL2: '{"value":"7"}', activePowerL3: '{"value":5}' } })),
    )
    expect(dataSets(data).flatMap((set) => set.values.map((x) => `${x.labelValues[0]}=${x.value}`))).toEqual([
      "ev=10.8",
      "l3=5",
      "current=54",
      "start=31",
    ])
  })

  it("nested JSON text that is not an object is refused by its field's name", () => {
    for (const text of ["null", "5", "[1]", '"x"'])
      expect(() => apply(web({ args: { swaggerCurrentSession: text } }))).toThrow(/^swaggerCurrentSession is not a JSON object$/)
    expect(() => apply(can({ args: { activePowerL2: "[3598]" } }))).toThrow(/^activePowerL2 is not a JSON object$/)
  })

  it("a message that is JSON but not an object is of another shape; text that is not JSON is quoted, 40 characters at most", () => {
    for (const text of ["null", "5", '"text"', "[1]", "true"]) expect(apply(text)).toEqual([false, []])
    expect(() => apply(`<html>${"x".repeat(100)}`)).toThrow(new RegExp(`^a message that is not JSON \\("<html>${"x".repeat(34)}"\\)$`))
  })
})

describe("Pmcc: options and docs", () => {
  const problems = (config: Record<string, unknown>) => {
    const result = v.safeParse(PmccSource.options, config)
    return result.success ? [] : result.issues.map((issue) => issue.message)
  }

  it("host is a host name or address with an optional port, without scheme or path", () => {
    expect(problems({ host: "iccpd-123456" })).toEqual([])
    expect(problems({ host: "192.168.1.50:8443" })).toEqual([])
    for (const host of ["wss://iccpd-123456", "iccpd-123456/ws", "iccpd 123456", ""])
      expect(problems({ host })).toEqual(["expected a host name or address (and `:port`), without scheme or path"])
  })

  it("the README's options and metrics tables are the ones this code declares (npm run docs)", () => {
    const readme = join(import.meta.dir, "README.md")
    const text = readFileSync(readme, "utf8")
    expect(regenerated({ kind: "sources", type: "Pmcc", aliases: [], cls: PmccSource, dir: import.meta.dir, readme }, text)).toBe(text)
  })
})

describe("Pmcc: against a fake charger over TLS", () => {
  it("a lost connection is logged as the charger's, with the reason and the next attempt", async () => {
    const lines: string[] = []
    const fake = startFakePmcc(cert, [phaseMessage(1, 1)])
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host }, { log: lines })
    try {
      await source.probe()
      await fake.stop()
      await until(() => lines.some((line) => line.includes("next attempt")))
      expect(lines.find((line) => line.includes("next attempt"))).toMatch(
        new RegExp(`DEBUG \\[Pmcc\\] Pmcc at wss://${fake.host}/ws: .+; next attempt in 1 s$`),
      )
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("a message of an unexpected shape is quoted in the log, 120 characters at most", async () => {
    const lines: string[] = []
    const long = JSON.stringify({ hello: "h".repeat(200) })
    const fake = startFakePmcc(cert, [long])
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host }, { log: lines })
    try {
      await source.probe()
      await until(() => source.received === 1)
      expect(lines.find((line) => line.includes("unexpected shape"))).toEndWith(
        `wss://${fake.host}/ws: a message of an unexpected shape (ignored, logged once): ${long.slice(0, 120)}`,
      )
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("after close() the next probe opens a new connection", async () => {
    const fake = startFakePmcc(cert, [phaseMessage(1, 1)])
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host })
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

  it("connects despite the self-signed certificate (verification off for this device only)", async () => {
    const fake = startFakePmcc(cert, [sessionMessage({ soc: 40, startSoc: 10, evChargingRatekW: 7.2 })])
    try {
      // The same certificate is refused by a verifying client: the source's exception is its own.
      const verifying = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`wss://${fake.host}/ws`)
        ws.onopen = () => resolve("opened")
        ws.onerror = (e) => resolve((e as ErrorEvent).message)
      })
      expect(verifying).toContain("self signed certificate")
      const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host })
      await source.probe()
      await until(() => toValueSets(dataSets((source as unknown as { data: ReturnType<typeof emptyData> }).data))[1]!.values.length === 2)
      await source.close()
    } finally {
      await fake.stop()
    }
  })

  it("the device switched off: probes fail with one stable message, values come back with it, one connection at a time", async () => {
    const fake = startFakePmcc(cert, [sessionMessage({ soc: 40, startSoc: 10, evChargingRatekW: 7.2 }), phaseMessage(1, 2400)])
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host })
    try {
      await source.probe()
      await until(() => fake.connections === 1)
      await until(() => source.received === 2)
      expect(toValueSets(await source.probe()).flatMap((s) => s.values).length).toBe(4)
      await fake.stop()
      await until(() => !socketOf(source).ready)
      const errors: string[] = []
      for (let i = 0; i < 3; i++)
        errors.push(
          await source.probe().then(
            () => "no error",
            (e: Error) => e.message,
          ),
        )
      expect(errors[1]).toBe(`wss://${fake.host}/ws: not connected: connection failed: Failed to connect`)
      expect(errors[2]).toBe(errors[1]!)
      // Back on: the session values are kept from before (the device sends them only on change).
      fake.greeting = [phaseMessage(1, 0)]
      fake.start()
      await source.probe()
      await until(() => source.received === 3)
      const values = toValueSets(await source.probe()).flatMap((s) => s.values.map((v) => `${v.name}.${v.labelValues[0]}=${v.value}`))
      expect(values).toEqual(["chargePower.ev=7.2", "chargePower.l1=0", "soc.current=40", "soc.start=10"])
      expect(fake.connections).toBe(2)
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("garbage, a binary message or an oversized one ends the connection with its reason; unexpected shapes are logged once", async () => {
    const lines: string[] = []
    const fake = startFakePmcc(cert, ['{"hello":1}', '{"hello":2}'])
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host }, { log: lines })
    try {
      await source.probe()
      await until(() => source.received === 2)
      expect(lines.filter((l) => l.includes("unexpected shape")).length).toBe(1)
      for (const [message, reason] of [
        ["garbage", 'a message that is not JSON ("garbage")'],
        [new Uint8Array([1, 2]), "a binary message, expected JSON text"],
        ["x".repeat((1 << 20) + 1), `a message of ${(1 << 20) + 1} characters, more than the ${1 << 20} read at most`],
      ] as const) {
        await source.probe()
        await until(() => socketOf(source).ready)
        fake.push(message)
        await until(() => !socketOf(source).ready)
        expect(socketOf(source).lastError).toBe(reason)
      }
    } finally {
      await source.close()
      await fake.stop()
    }
  })
})

describe("Pmcc: a pinned certificate (fingerprint)", () => {
  const fingerprint = new X509Certificate(readFileSync(cert.cert)).fingerprint256

  it("with the certificate's SHA-256 it connects, reads and reconnects as without", async () => {
    const messages = recorded(join(import.meta.dir, "testdata/charging"))
    const fake = startFakePmcc(cert, texts(messages.greeting))
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host, fingerprint })
    try {
      await source.probe()
      await until(() => source.received === messages.greeting.length)
      const first = toValueSets(await source.probe()).flatMap((s) => s.values.map((x) => `${x.labelValues[0]}=${x.value}`))
      expect(first).toEqual(["ev=10.8", "l1=3612.5", "l2=3598", "l3=3620.25", "current=54", "start=31"])
      await fake.stop()
      await until(() => !socketOf(source).ready)
      await expect(source.probe()).rejects.toThrow(`wss://${fake.host}/ws: not connected: connection failed: Failed to connect`)
      fake.start()
      fake.push(phaseMessage(1, 1))
      await source.probe()
      expect(fake.connections).toBe(2)
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("another certificate is refused with both fingerprints named, and nothing is read", async () => {
    const other = selfSignedCert(tempDir("pmcc-other-"))
    const fake = startFakePmcc(other, [sessionMessage({ soc: 1, startSoc: 1, evChargingRatekW: 1 })])
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", host: fake.host, fingerprint })
    try {
      const seen = new X509Certificate(readFileSync(other.cert)).fingerprint256
      await expect(source.probe()).rejects.toThrow(
        `not connected: connection failed: certificate SHA-256 ${seen} is not the pinned ${fingerprint}`,
      )
      expect(fake.connections).toBe(0)
    } finally {
      await source.close()
      await fake.stop()
    }
  })

  it("a fingerprint that is not 64 hex digits is a config error", () => {
    const result = v.safeParse(PmccSource.options, { host: "iccpd-1", fingerprint: "AB:CD" })
    expect(result.success).toBe(false)
    expect(result.issues?.[0]?.message).toBe("expected the certificate's SHA-256 fingerprint: 64 hex digits, colons allowed")
  })
})

describe("Pmcc: side by side with pollect 1.2", () => {
  it("the series names, labels and values are those pollect 1.2 served after the same messages", async () => {
    const python = exposedSeries(readFileSync(join(import.meta.dir, "testdata/python-1.2/metrics.txt"), "utf8"))
    const messages = recorded(join(import.meta.dir, "testdata/charging"))
    const fake = startFakePmcc(cert, texts([...messages.greeting, ...messages.updates]))
    const source = makeSource<PmccSource>(PmccSource, { type: "Pmcc", name: "garage", host: fake.host })
    try {
      await source.probe()
      await until(() => source.received === messages.greeting.length + messages.updates.length)
      const result = resultOf(toValueSets(await source.probe()), { type: "Pmcc", name: "garage" })
      const ours = new Map<string, number>()
      for (const set of result.sets)
        for (const value of set.values) {
          const labels = Object.entries(promLabels(result, set, value)).map(([k, v]) => `${k}="${v}"`)
          ours.set(`${promName(result, set, value, "pollect")}{${labels.sort().join(",")}}`, value.value)
        }
      expect(ours).toEqual(python)
      expect(python.size).toBe(6)
    } finally {
      await source.close()
      await fake.stop()
    }
  })
})
