import { describe, expect, it } from "bun:test"
import { ValueSet } from "../../core/value-set.ts"
import { DryRunWriter, formatTick } from "./index.ts"
import { makeWriter, resultOf } from "../../../test/helpers/context.ts"

describe("DryRun", () => {
  it("prints the tick on one line in the original's format, values in the source's order", () => {
    const load = new ValueSet(["time"]).add(0.01, ["mid"]).add(0, ["short"]).add(0, ["long"])
    expect(formatTick([resultOf(load, { type: "LoadAvg" })])).toBe(
      "('pollect.loadavg.mid', (1508478781, 0.01)), ('pollect.loadavg.short', (1508478781, 0.0)), ('pollect.loadavg.long', (1508478781, 0.0))",
    )
  })

  it("names: collection, type lower-cased, name, value name (dots are levels), label values (one level each)", () => {
    const line = formatTick([
      resultOf({ "bytes sent": 5, "streams.movies": 2 }, { type: "Interface", name: "wan 1", collection: "slowerMetrics" }),
      resultOf(new ValueSet(["disk"]).add(1, ["/"]).add(2, ["/var/lib"]).add(3, ["eth0.100"]), { type: "DiskUsage" }),
    ])
    expect(line).toBe(
      "('slowerMetrics.interface.wan_1.bytes_sent', (1508478781, 5.0)), ('slowerMetrics.interface.wan_1.streams.movies', (1508478781, 2.0)), " +
        "('pollect.diskusage._', (1508478781, 1.0)), ('pollect.diskusage._var_lib', (1508478781, 2.0)), ('pollect.diskusage.eth0_100', (1508478781, 3.0))",
    )
  })

  it("writes through out(), nothing for an empty tick", () => {
    const writer = makeWriter<DryRunWriter>(DryRunWriter, { type: "DryRun" })
    const lines: string[] = []
    writer.out = (line) => lines.push(line)
    writer.write([])
    writer.write([resultOf(42, { type: "Http", name: "local" })])
    expect(lines).toEqual(["('pollect.http.local', (1508478781, 42.0))"])
  })
})
