/**
 * Interface names are bytes to the kernel (anything but `/` and whitespace); a name set with
 * `ip link set ... name wlan-café` is UTF-8 in /proc/net/dev and must come out as written, in
 * the Graphite path and in the Prometheus label (it came out as `wlan-cafÃ©` when /proc was read
 * as latin1). test/fixtures/proc-utf8/net/dev is written as the kernel prints the file.
 */
import { describe, expect, it } from "bun:test"
import { InterfaceSource } from "./index.ts"
import { byGraphitePath, byPromSeries, makeClockedSource, useFixtureRoots } from "../../../test/helpers/proc-fixtures.ts"

const useRoots = useFixtureRoots()

describe("Interface: UTF-8 interface names", () => {
  it("keep their characters in the Graphite path and the Prometheus label", async () => {
    useRoots("proc-utf8")
    const source = makeClockedSource<InterfaceSource>(InterfaceSource, { type: "Interface", includeTotal: true }, { now: 0 })
    const probe = await source.probe()

    const paths = byGraphitePath(probe, "Interface")
    expect(paths.get("pollect.interface.total_bytes_sent.wlan-café")).toBe(12345678)
    expect(paths.get("pollect.interface.total_packets_recv.wlan-café")).toBe(70011)
    expect(paths.get("pollect.interface.total_bytes_recv.br-Ωlan")).toBe(5000000)

    const series = byPromSeries(probe, "Interface")
    expect(series.get('pollect_Interface_total_bytes_recv{interface="wlan-café"}')).toBe(88123456)
    expect(series.get('pollect_Interface_total_packets_sent{interface="br-Ωlan"}')).toBe(5000)

    // Nothing garbled anywhere: the only non-ASCII names are the two of the recording.
    const names = new Set([...paths.keys()].map((path) => path.split(".").at(-1)))
    expect([...names].sort()).toEqual(["br-Ωlan", "eth0", "wlan-café"])
  })
})
