/** What Fritzbox (also `Fritz`) emits: the original's names, recv_bytes/sent_bytes and their rates. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  totals: { values: ["recv_bytes", "sent_bytes"], unit: "bytes", kind: "counter", help: "WAN bytes since the box's counter start" },
  rates: { values: ["recv_bytes_sec", "sent_bytes_sec"], unit: "bytes_per_second", help: "WAN traffic rate" },
  maxRates: { values: ["upstream_max", "downstream_max"], unit: "bits_per_second", help: "Layer 1 maximum bit rate of the WAN link" },
  linkUp: { values: ["link_up"], help: "1 if the WAN link's physical status is Up" },
})
