/** What TcpTime emits. */
import { defineMetrics } from "../../api.ts"

export const metrics = defineMetrics({
  time: { unit: "milliseconds", help: "TCP connect time" },
})
