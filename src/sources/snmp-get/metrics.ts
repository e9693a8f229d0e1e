/**
 * What SnmpGet emits: one value per configured metric, named by the metric's `name`, in one of
 * three shapes (which one is decided by its `mode` and the types the agent answers with).
 */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  gauge: {
    values: ["<metric>"],
    kind: "gauge",
    help: "Value of the configured OIDs (summed), as read; mode raw, at least one OID not a counter (INTEGER, Gauge32, TimeTicks, ...)",
  },
  counter: {
    values: ["<metric>"],
    kind: "counter",
    help: "Value of the configured OIDs (summed), as read; mode raw, every OID a Counter32 or Counter64",
  },
  rate: {
    values: ["<metric>"],
    unit: "per_second",
    kind: "gauge",
    help: "Change per second of the configured OIDs (summed); mode rate",
  },
})
