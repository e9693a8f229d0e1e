import { describe, expect, it } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { promLabels, promName, type ValueSet } from "../../api.ts"
import { sourceConformance } from "../../../test/conformance/source.ts"
import { makeSource, resultOf } from "../../../test/helpers/context.ts"
import { freeUdpPort, hexLines, sendDatagrams, until } from "./fake-meter.ts"
import { SmaEnergyMeterSource } from "./index.ts"
import { channelOf } from "./obis.ts"
import { isRejection, type MeterDatagram, parseDatagram } from "./speedwire.ts"

const testdata = join(import.meta.dir, "testdata")
const recorded = (file: string) => hexLines(readFileSync(join(testdata, file), "utf8"))[0]!

const failingConfig = { type: "SmaEnergyMeter", hostIp: "127.0.0.1", multicast: false, port: 9, timeout: 1 }

sourceConformance({
  type: "SmaEnergyMeter",
  cls: SmaEnergyMeterSource,
  dir: import.meta.dir,
  // Unicast to a loopback port: the datagrams of each datagrams/*.hex, then a probe.
  golden: async (testCase) => {
    const port = await freeUdpPort()
    const source = makeSource<SmaEnergyMeterSource>(
      SmaEnergyMeterSource,
      { ...testCase.config, port, multicast: false },
      { compat: testCase.compat },
    )
    try {
      await source.listen()
      const probes: ValueSet[][] = []
      for (const file of readdirSync(join(testCase.dir, "datagrams")).sort()) {
        const datagrams = hexLines(readFileSync(join(testCase.dir, "datagrams", file), "utf8"))
        const before = source.seen
        await sendDatagrams(port, datagrams)
        await until(() => source.seen >= before + datagrams.length)
        probes.push(await source.probe())
      }
      return probes
    } finally {
      source.close()
    }
  },
  failing: {
    config: failingConfig,
    // Nothing sends to the port: the probe says where it listened and for how long.
    setup: async () => {
      failingConfig.port = await freeUdpPort()
    },
    message: /no datagram from an SMA energy meter on udp 127\.0\.0\.1:\d+ in 0\.8 s/,
  },
})

function parsed(data: Uint8Array): MeterDatagram {
  const result = parseDatagram(data)
  if (isRejection(result)) throw new Error(`rejected: ${result.why}`)
  return result
}

/** The entry's value in 1.2's unit, by `index.type`. */
function value(datagram: MeterDatagram, index: number, type: number): number | undefined {
  const entry = datagram.entries.find((e) => e.channel === 0 && e.index === index && e.type === type)
  return entry && channelOf(entry)?.scale(entry.raw)
}

describe("Speedwire datagrams", () => {
  it("decodes the recorded Energy Meter 2.0 datagram as lujop/smasolar's test expects", () => {
    const em = parsed(recorded("em20-lujop-smasolar.hex"))
    expect([em.susyId, em.serial, em.ticker]).toEqual([349, 1901403938, 2481853346])
    // EMeterContentDecoderTest's figures: 634.7 W, 71.1 var, 638.7 VA, cos φ 0.994, L1 2.999 A / 225.757 V.
    expect(value(em, 1, 4)).toBeCloseTo(634.7, 9)
    expect(value(em, 3, 4)).toBeCloseTo(71.1, 9)
    expect(value(em, 9, 4)).toBeCloseTo(638.7, 9)
    expect(value(em, 13, 4)).toBeCloseTo(0.994, 9)
    expect(value(em, 31, 4)).toBeCloseTo(2.999, 9)
    expect(value(em, 32, 4)).toBeCloseTo(225.757, 9)
    // Counters in Ws (SMA's description): 0x3950e5180 Ws = 4273.7904 kWh. (lujop's test expects
    // other counter figures that no Ws/Wh reading of these bytes gives; not taken over.)
    expect(value(em, 1, 8)).toBe(0x3950e5180 / 3600000)
    expect(value(em, 1, 8)).toBeCloseTo(4273.7904, 4)
    // The firmware version entry (channel 144) is decoded but has no name.
    const version = em.entries.find((e) => e.channel === 144)!
    expect(version.raw.toString(16)).toBe("2001052")
    expect(channelOf(version)).toBeUndefined()
  })

  it("decodes the recorded Home Manager 2.0 datagram, grid frequency included", () => {
    const hm = parsed(recorded("hm20-protocol-doc.hex"))
    expect([hm.susyId, hm.serial]).toEqual([372, 3014003406])
    expect(value(hm, 14, 4)).toBeCloseTo(49.987, 9)
    expect(value(hm, 1, 8)).toBeCloseTo(445.0868, 4)
    expect(value(hm, 2, 4)).toBeCloseTo(699.7, 9)
  })

  it("rejects every truncation of a datagram, never throws", () => {
    const hm = recorded("hm20-protocol-doc.hex")
    for (let n = 0; n < hm.length; n++) {
      const result = parseDatagram(hm.subarray(0, n))
      // Only the end tag (the last 4 bytes) may be missing.
      if (n < hm.length - 4) expect({ n, rejected: isRejection(result) }).toEqual({ n, rejected: true })
    }
    const cut = parseDatagram(hm.subarray(0, 300))
    expect(cut).toEqual({ kind: "truncated", why: "tag 0x0010 claims 588 bytes, 284 are left" })
  })

  it("tells foreign datagrams apart: another protocol, a discovery, not SMA at all", () => {
    const inverter = Buffer.from(hexLines(readFileSync(join(testdata, "ignored/datagrams/1.hex"), "utf8"))[0]!)
    expect(parseDatagram(inverter)).toEqual({ kind: "foreign", why: "protocol 0x6065 is not the energy meter's (0x6069)" })
    expect(parseDatagram(Buffer.from("534d4100000402a0ffffffff0000002000000000", "hex"))).toEqual({
      kind: "foreign",
      why: "it carries no SMA Net 2 data (a discovery or another device's datagram)",
    })
    expect(parseDatagram(Buffer.from("hello"))).toEqual({ kind: "foreign", why: 'it does not start with "SMA\\0"' })
    expect(parseDatagram(Buffer.alloc(4000, 0).fill("SMA\0", 0, 4))).toMatchObject({ kind: "foreign" })
  })

  it("survives random bytes behind a valid header", () => {
    const hm = recorded("hm20-protocol-doc.hex")
    let seed = 42
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff
    for (let i = 0; i < 2000; i++) {
      const data = Buffer.from(hm.subarray(0, 16 + Math.floor(random() * 700)))
      for (let j = 12; j < data.length; j++) if (random() < 0.05) data[j] = Math.floor(random() * 256)
      const result = parseDatagram(data)
      if (!isRejection(result)) for (const e of result.entries) expect(Number.isFinite(e.raw)).toBe(true)
    }
  })
})

describe("SmaEnergyMeter side by side with pollect 1.2", () => {
  it("gives the names, labels and values 1.2 served for the recorded Home Manager datagram", async () => {
    const metricsTxt = readFileSync(join(testdata, "python-1.2/metrics.txt"), "utf8")
    const theirs = new Map<string, number>()
    for (const line of metricsTxt.split("\n")) {
      const match = /^(pollect_SmaEnergyMeter_\S+\{[^}]*\}) (\S+)$/.exec(line)
      if (match) theirs.set(match[1]!, Number(match[2]))
    }
    expect(theirs.size).toBe(59)
    const port = await freeUdpPort()
    const source = makeSource<SmaEnergyMeterSource>(SmaEnergyMeterSource, {
      type: "SmaEnergyMeter",
      name: "home",
      hostIp: "127.0.0.1",
      port,
      multicast: false,
    })
    try {
      await source.listen()
      await sendDatagrams(port, [recorded("hm20-protocol-doc.hex"), recorded("hm20-protocol-doc.hex")])
      await until(() => source.seen >= 2)
      const result = resultOf(await source.probe(), { type: "SmaEnergyMeter", name: "home" })
      const ours = new Map<string, number>()
      for (const set of result.sets)
        for (const v of set.values) {
          const labels = Object.entries(promLabels(result, set, v)).map(([k, text]) => `${k}="${text}"`)
          ours.set(`${promName(result, set, v, "pollect")}{${labels.join(",")}}`, v.value)
        }
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort())
      for (const [series, theirValue] of theirs) {
        const mine = ours.get(series)!
        expect({ series, close: Math.abs(mine - theirValue) <= Math.abs(theirValue) * 1e-9 }).toEqual({ series, close: true })
      }
      // 1.2's float noise from averaging, here exact.
      expect(theirs.get('pollect_SmaEnergyMeter_home_wirkleistung_negative{phase="0"}')).toBe(699.7000000000004)
      expect(ours.get('pollect_SmaEnergyMeter_home_wirkleistung_negative{phase="0"}')).toBe(699.7)
    } finally {
      source.close()
    }
  })
})
