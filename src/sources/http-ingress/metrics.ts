/**
 * What HttpIngress emits: one set per declared metric, its labels the ones the config declares.
 * A source with one metric names its series after the source alone (pollect 1.2's names:
 * `pollect_HttpIngress_Ingress{host="a"}`); with several, each metric's name is the value name
 * (`pollect_HttpIngress_Ingress_sample_metric`), which 1.2 could not serve at all.
 */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  gauge: { labels: ["<label>..."], kind: "gauge", help: "The last value pushed (the source's only metric, type gauge)" },
  counter: { labels: ["<label>..."], kind: "counter", help: "The sum of the values pushed (the source's only metric, type counter)" },
  namedGauge: {
    values: ["<metric>"],
    labels: ["<label>..."],
    kind: "gauge",
    help: "The last value pushed to metric <metric> (type gauge)",
  },
  namedCounter: {
    values: ["<metric>"],
    labels: ["<label>..."],
    kind: "counter",
    help: "The sum of the values pushed to metric <metric> (type counter)",
  },
})
