/** What Http emits: for one `url` unlabelled (today's names), for a list of URLs with the label `url`, as 1.2. */
import { defineMetrics } from "../../api.ts"

const time = { unit: "milliseconds", help: "HTTP response time; a failed request reports the timeout" } as const
const status = { values: ["status"], help: "HTTP status code; 0 when no response came" } as const
const ok = { values: ["ok"], help: "1 if the response came in time with the expected status, else 0" } as const

export const metrics = defineMetrics({
  time,
  status,
  ok,
  timeByUrl: { ...time, labels: ["url"] },
  statusByUrl: { ...status, labels: ["url"] },
  okByUrl: { ...ok, labels: ["url"] },
})
