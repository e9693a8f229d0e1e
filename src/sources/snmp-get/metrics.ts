/**
 * What SnmpGet emits: one value per configured metric, named by the metric's `name`, in one of
 * three shapes (which one is decided by its `mode` and the types the agent answers with). A
 * metric with a `range` or `oidLabels` emits one value per number of the range, labelled (as
 * the Python pollect 1.2 does) by the range's label, then the `oidLabels` keys.
 */
import { defineMetrics } from "../../api.ts"

/** The range's label (its number as value), then the `oidLabels` keys (the values read at their OIDs). */
const LABELS = ["<label>..."]

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
  labelledGauge: {
    values: ["<metric>"],
    labels: LABELS,
    kind: "gauge",
    help: "As gauge, one value per number of the metric's range; labels: the range's label, then the oidLabels keys",
  },
  labelledCounter: {
    values: ["<metric>"],
    labels: LABELS,
    kind: "counter",
    help: "As counter, one value per number of the metric's range; labels: the range's label, then the oidLabels keys",
  },
  labelledRate: {
    values: ["<metric>"],
    labels: LABELS,
    unit: "per_second",
    kind: "gauge",
    help: "As rate, one value per number of the metric's range; labels: the range's label, then the oidLabels keys",
  },
})
