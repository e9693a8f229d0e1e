/** What Http emits. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  time: { unit: "milliseconds", help: "HTTP response time" },
  status: { values: ["status"], help: "HTTP status code" },
})
