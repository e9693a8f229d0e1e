/**
 * What SmartCtl emits. The original pollect's raw attribute values come in one set per unit their
 * names carry (`Power_On_Hours` → hours), so snake_case names come out in base units; the others
 * are labelled `device`, `model`, `serial`. Under `"compat": "1.2"` pollect 1.2's one set
 * (`pollect12`, labels `attribute`, `dev`) takes the raw sets' place.
 */
import { defineMetrics } from "../../api.ts"

const ids = ["device", "model", "serial"]
const RAW_HELP = "SMART attribute raw value (the original pollect's names)"

export const metrics = defineMetrics({
  raw: { values: ["<attribute>"], labels: ["dev"], help: RAW_HELP },
  rawCelsius: {
    values: ["Temperature_Cel", "Temperature_Cel<rest>", "Airflow_Temperature_Cel", "Airflow_Temperature_Cel<rest>"],
    labels: ["dev"],
    unit: "celsius",
    help: RAW_HELP,
  },
  rawHours: { values: ["<attribute>_Hours", "<attribute>_Hours_<rest>"], labels: ["dev"], unit: "hours", help: RAW_HELP },
  rawMinutes: { values: ["<attribute>_Minutes", "<attribute>_Minutes_<rest>"], labels: ["dev"], unit: "minutes", help: RAW_HELP },
  rawSeconds: { values: ["<attribute>_Seconds", "<attribute>_Seconds_<rest>"], labels: ["dev"], unit: "seconds", help: RAW_HELP },
  normalized: { values: ["attribute_normalized"], labels: [...ids, "attribute"], help: "SMART attribute normalised value (VALUE column)" },
  health: { values: ["health"], labels: ids, help: "SMART overall health self-assessment: 1 passed, 0 failed" },
  temperature: { values: ["current_temperature"], labels: ids, unit: "celsius", help: "Drive temperature" },
  powerOn: { values: ["power_on_time"], labels: ids, unit: "seconds", kind: "counter", help: "Drive power-on time" },
  powerCycles: { values: ["power_cycles"], labels: ids, kind: "counter", help: "Drive power cycles" },
  percentUsed: { values: ["percentage_used"], labels: ids, unit: "percent", help: "NVMe percentage of rated life used" },
  spare: { values: ["available_spare"], labels: ids, unit: "percent", help: "NVMe available spare" },
  warning: { values: ["critical_warning"], labels: ids, help: "NVMe critical warning bits (0: none)" },
  bytes: { values: ["data_read", "data_written"], labels: ids, unit: "bytes", kind: "counter", help: "NVMe data read and written" },
  nvmeCounters: {
    values: ["media_errors", "unsafe_shutdowns", "error_log_entries"],
    labels: ids,
    kind: "counter",
    help: "NVMe error and shutdown counters",
  },
  pollect12: {
    labels: ["attribute", "dev"],
    help: 'SMART attribute raw value or NVMe health log entry, pollect 1.2\'s names ("compat": "1.2"; replaces the raw values above)',
  },
})
