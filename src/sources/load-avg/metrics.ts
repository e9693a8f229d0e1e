/** What LoadAvg emits. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  load: { labels: ["time"], help: "System load average over 1 (short), 5 (mid) and 15 (long) minutes" },
})
