import { describe, expect, it } from "bun:test"
import { DEBIAN_PYTHON, fixture, psutil } from "../../../test/helpers/psutil.ts"
import { itWithTools } from "../../../test/helpers/tools.ts"
import { parseNetDev } from "./net-dev.ts"

describe("parseNetDev", () => {
  it("reads every interface of this machine's recording, skipping the two header lines", async () => {
    const text = await fixture("proc-host/net/dev")
    const parsed = parseNetDev(text)
    expect([...parsed.keys()]).toEqual(
      text
        .split("\n")
        .slice(2)
        .filter(Boolean)
        .map((l) => l.split(":")[0]!.trim()),
    )
  })

  it("keeps 64-bit counters exact and names with dots; old kernels' name glued to the number", async () => {
    const parsed = parseNetDev((await fixture("proc-edge-a/net/dev")) + "  ppp0:12345 1 0 0 0 0 0 0 678 2 0 0 0 0 0 0\n")
    expect(parsed.get("wan0")?.rxBytes).toBe(18446744073709550616n)
    expect(parsed.get("eth0.100")?.txBytes).toBe(3000n)
    expect(parsed.get("ppp0")).toMatchObject({ rxBytes: 12345n, txBytes: 678n, txPackets: 2n })
  })

  it("takes only lines with a name, a colon and all 16 counters", () => {
    const header = "Inter-|   Receive |  Transmit\n face |bytes    packets|bytes    packets\n"
    const counters = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1)).join(" ")
    const parsed = parseNetDev(
      header +
        `  eth0: ${counters(16)}\n` +
        // truncated (10 to 15 fields: 0, 1, 8 and 9 exist), no name, no colon at all
        `  eth1: ${counters(10)}\n  eth2: ${counters(15)}\n   : ${counters(16)}\n${counters(16)}\n`,
    )
    expect([...parsed]).toEqual([["eth0", { rxBytes: 1n, rxPackets: 2n, txBytes: 9n, txPackets: 10n }]])
  })

  itWithTools([DEBIAN_PYTHON], "matches psutil.net_io_counters(pernic=True) on this machine's recording", async () => {
    const theirs = (await psutil("proc-host", "{k: v._asdict() for k, v in psutil.net_io_counters(pernic=True).items()}")) as Record<
      string,
      Record<string, number>
    >
    const ours = parseNetDev(await fixture("proc-host/net/dev"))
    for (const [name, c] of ours) {
      expect({ name, sent: Number(c.txBytes), recv: Number(c.rxBytes), ps: Number(c.txPackets), pr: Number(c.rxPackets) }).toEqual({
        name,
        sent: theirs[name]!.bytes_sent!,
        recv: theirs[name]!.bytes_recv!,
        ps: theirs[name]!.packets_sent!,
        pr: theirs[name]!.packets_recv!,
      })
    }
    expect(ours.size).toBe(Object.keys(theirs).length)
  })
})
