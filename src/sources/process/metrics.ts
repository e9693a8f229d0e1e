/** What Process emits: per matching process (`pidx` in pid order), and their number. */
import { defineMetrics } from "../../api.ts"

const pidx = ["pidx"]

export const metrics = defineMetrics({
  load: { values: ["load_percent"], labels: pidx, unit: "percent", help: "CPU use of the process, percent of one core" },
  virtual: { values: ["virtual_memory"], labels: pidx, unit: "bytes", help: "Virtual memory size of the process" },
  resident: { values: ["resident_memory"], labels: pidx, unit: "bytes", help: "Resident memory of the process" },
  count: { values: ["process_count"], labels: pidx, help: "Number of matching processes" },
})
