/** What MemoryUsage emits. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  memory: { labels: ["type"], unit: "bytes", help: "System memory" },
  percent: { values: ["percent"], unit: "percent", help: "Share of system memory not available" },
})
