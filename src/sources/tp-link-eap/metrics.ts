/** What TpLinkEap emits: pollect 1.2's names (the source exists only in 1.2). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  clients: {
    values: ["total_clients"],
    help: "Wireless clients associated with the access point (all radios), the device's StaNum",
  },
  packets: {
    values: ["packets"],
    labels: ["wifi", "direction"],
    kind: "counter",
    help: "Packets through a radio (wifi 2ghz or 5ghz) in one direction (rx, tx) since the access point started",
  },
  bytes: {
    values: ["bytes"],
    labels: ["wifi", "direction"],
    unit: "bytes",
    kind: "counter",
    help: "Bytes through a radio (wifi 2ghz or 5ghz) in one direction (rx, tx) since the access point started",
  },
  errors: {
    values: ["errors"],
    labels: ["wifi", "direction"],
    kind: "counter",
    help: "Errored packets of a radio (wifi 2ghz or 5ghz) in one direction (rx, tx) since the access point started",
  },
})
