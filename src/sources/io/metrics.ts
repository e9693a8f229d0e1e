/** What IO emits: the original's names per disk, plus `busy_percent`. */
import { defineMetrics } from "../../api.ts"

const diskLabel = ["disk"]

export const metrics = defineMetrics({
  reads: { values: ["reads_sec"], labels: diskLabel, help: "Reads completed per second" },
  writes: { values: ["writes_sec"], labels: diskLabel, help: "Writes completed per second" },
  readBytes: { values: ["read_bytes_sec"], labels: diskLabel, unit: "bytes_per_second", help: "Bytes read per second" },
  writeBytes: { values: ["write_bytes_sec"], labels: diskLabel, unit: "bytes_per_second", help: "Bytes written per second" },
  busy: { values: ["busy_percent"], labels: diskLabel, unit: "percent", help: "Share of time the disk had I/O in flight" },
})
