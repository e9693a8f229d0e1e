/** What DiskUsage emits, per filesystem (`disk` is its sanitised path). */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  space: { labels: ["disk", "type"], unit: "bytes", help: "Filesystem size, used and free (available to users) space" },
  percent: { values: ["percent"], labels: ["disk"], unit: "percent", help: "Share of the filesystem used" },
})
