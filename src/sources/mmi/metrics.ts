/** What MMI emits: the original's value names (unlabelled), plus the newer ranges and battery level. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  distances: {
    values: ["kilometers", "range.total", "range.adblue", "range.primary", "range.secondary"],
    unit: "kilometers",
    help: "Audi vehicle: mileage and ranges",
  },
  levels: {
    values: ["tankLevel", "oilLevelPercent", "batteryLevel"],
    unit: "percent",
    help: "Audi vehicle: tank, battery and oil level",
  },
  temperature: { values: ["temp.outsite"], unit: "celsius", help: "Audi vehicle: outside temperature" },
})
