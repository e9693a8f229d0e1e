/** The options of SmaEnergyMeter; light on purpose: validation loads it without the implementation, which loads only when a config uses SmaEnergyMeter. */
import { v } from "../../api.ts"
import { isIPv4Address } from "../../lib/options/ip-address.ts"

const ipv4 = (what: string) => v.pipe(v.string(), v.check(isIPv4Address, `expected an IPv4 address (${what})`))

export const options = v.object({
  hostIp: v.optional(
    v.pipe(
      ipv4("an address of this host"),
      v.description(
        "An IPv4 address of this host: the multicast group is joined on its interface (and unicast is received on it); default: the system's default interface",
      ),
    ),
  ),
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535), v.description("UDP port the meter sends to")), 9522),
  group: v.optional(v.pipe(ipv4("a multicast group"), v.description("Multicast group the meter sends to")), "239.12.255.254"),
  multicast: v.optional(
    v.pipe(v.boolean(), v.description("`false`: do not join the group, take only datagrams the meter sends to this host (unicast)")),
    true,
  ),
  serial: v.optional(
    v.pipe(
      v.number(),
      v.integer(),
      v.minValue(0),
      v.maxValue(0xffffffff),
      v.description("Serial number of the meter to report (one source per meter); default: the first meter heard"),
    ),
  ),
  average: v.optional(
    v.pipe(
      v.boolean(),
      v.description(
        "`true`: power, voltage, current, power factor and frequency are averaged over the datagrams since the last probe (as 1.2); `false`: the newest datagram's",
      ),
    ),
    true,
  ),
})

export type SmaEnergyMeterOptions = v.InferOutput<typeof options>
