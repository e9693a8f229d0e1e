/**
 * Writes the built datagrams of the golden cases (datagrams/*.hex, one datagram per line) from
 * fake-meter.ts; the recorded ones (../*.hex) are copied in as they are. Run from the repository:
 * `bun src/sources/sma-energy-meter/testdata/make-datagrams.ts`.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { buildDatagram, type MeterValues, meterEntries } from "../fake-meter.ts"

const dir = import.meta.dir
const hm20 = readFileSync(join(dir, "hm20-protocol-doc.hex"), "utf8").trim()
const em20 = readFileSync(join(dir, "em20-lujop-smasolar.hex"), "utf8").trim()

/** A meter drawing `watts` on L1 only (export 0), its counters at `kwh`. */
function reading(watts: number, kwh: number): MeterValues {
  const p = Math.round(watts * 10)
  const e = Math.round(kwh * 3600000)
  return {
    active: [
      [p, 0],
      [p, 0],
      [0, 0],
      [0, 0],
    ],
    activeEnergy: [
      [e, 1000 * 3600],
      [e, 1000 * 3600],
      [0, 0],
      [0, 0],
    ],
    current: [Math.round((watts / 230) * 1000), 0, 0],
    voltage: [230100, 229800, 231000],
    powerFactor: [990, 990, 0, 0],
    frequency: 50012,
  }
}

const meterA = (watts: number, kwh: number, ticker: number) =>
  buildDatagram({ serial: 3001000001, ticker, entries: meterEntries(reading(watts, kwh)) }).toString("hex")
const meterB = (watts: number, kwh: number, ticker: number) =>
  buildDatagram({ susyId: 0x015d, serial: 1901403938, ticker, entries: meterEntries(reading(watts, kwh)) }).toString("hex")

const files: Record<string, string[]> = {
  "hm20-recorded/datagrams/1.hex": ["# the recorded Home Manager 2.0 datagram, three times", hm20, hm20, hm20],
  "em20-recorded/datagrams/1.hex": ["# the recorded Energy Meter 2.0 datagram (600 bytes: 1.2 ignores it)", em20],
  "two-meters/datagrams/1.hex": [
    "# meter A at 1000 W then 2000 W (average 1500 W), meter B at 5000 W (ignored: A was heard first)",
    meterA(1000, 100, 1000),
    meterB(5000, 900, 1000),
    meterA(2000, 100.5, 2000),
  ],
  "two-meters/datagrams/2.hex": ["# B, then A at 3000 W: only A's, only this datagram", meterB(5000, 901, 2000), meterA(3000, 101, 3000)],
  "serial-filter/datagrams/1.hex": ["# A, then B: the config asks for B", meterA(1000, 100, 1000), meterB(5000, 900, 1000)],
  "newest/datagrams/1.hex": ["# A at 1000 W, then 3000 W: average false reports 3000 W", meterA(1000, 100, 1000), meterA(3000, 100.25, 2000)],
  "ignored/datagrams/1.hex": [
    "# an inverter's Speedwire reply (protocol 0x6065; the device-status response in RalfOGit/libspeedwire src/SpeedwireData.cpp), a discovery request, ASCII, a truncated meter datagram, then a whole one",
    "534d4100000402a000000001004e0010606513a07d0042be283a00a17a01842a71b300010000000009800102805100000000000000000148210859c5e95f33010001feffff0000000000000000000000000000000000000000000000000000000000",
    "534d4100000402a0ffffffff0000002000000000",
    Buffer.from("hello").toString("hex"),
    meterA(1000, 100, 1000).slice(0, 600),
    meterA(1234.5, 100, 2000),
  ],
}

for (const [file, lines] of Object.entries(files)) writeFileSync(join(dir, file), lines.join("\n") + "\n")
