/**
 * What Sensors emits. Under compat 1.0 (default): the original pollect's names, and one metric per
 * kind of reading. Under `"compat": "1.2"`: pollect 1.2's one set (`pollect12`).
 */
import { defineMetrics } from "../../api.ts"

const byKind = ["chip", "feature"]

export const metrics = defineMetrics({
  original: { values: ["<chip>"], labels: ["name"], help: "lm-sensors reading (the original pollect's names)" },
  temperature: { values: ["temperature"], labels: byKind, unit: "celsius", help: "Temperature reported by lm-sensors" },
  voltage: { values: ["voltage"], labels: byKind, unit: "volts", help: "Voltage reported by lm-sensors" },
  fan: { values: ["fan"], labels: byKind, unit: "rpm", help: "Fan speed reported by lm-sensors" },
  power: { values: ["power"], labels: byKind, unit: "watts", help: "Power reported by lm-sensors" },
  current: { values: ["current"], labels: byKind, unit: "amperes", help: "Current reported by lm-sensors" },
  energy: { values: ["energy"], labels: byKind, unit: "joules", kind: "counter", help: "Energy reported by lm-sensors" },
  humidity: { values: ["humidity"], labels: byKind, unit: "percent", help: "Relative humidity reported by lm-sensors" },
  pollect12: { labels: ["device", "name", "unit"], help: 'lm-sensors reading, pollect 1.2\'s names ("compat": "1.2")' },
})
